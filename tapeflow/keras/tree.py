"""``keras.tree``: Keras 3's utilities for nested structures (lists, tuples, dicts,
namedtuples). Dicts give their values in sorted key order and are rebuilt in their own key
order; an ``OrderedDict`` keeps its order; ``None`` is a leaf; tensors and strings are leaves.

>>> import tapeflow as tf
>>> tf.keras.tree.flatten({"b": [1, (2, None)], "a": 3})
[3, 1, 2, None]
>>> tf.keras.tree.flatten_with_path({"b": [1], "a": 3})
[(('a',), 3), (('b', 0), 1)]
"""
import collections as _collections
import collections.abc as _abc

from .. import nest as _nest

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]


class MAP_TO_NONE:  # Keras's name
    """Returned by ``traverse``'s function: put ``None`` in place of this node."""


def is_nested(structure):
    """Whether ``structure`` is a list, tuple, dict or namedtuple (not a leaf)."""
    return _nest.is_nested(structure)


def _keys(x):
    if isinstance(x, _collections.OrderedDict) or not isinstance(x, dict):
        return list(x)
    try:
        return sorted(x)
    except TypeError:
        return list(x)


def _items(x):
    """``(key, child)`` pairs of a nested node in flattening order."""
    if isinstance(x, _abc.Mapping):
        return [(k, x[k]) for k in _keys(x)]
    return list(enumerate(x))


def _rebuild(template, children):
    """A node like ``template`` holding ``children`` (given in flattening order)."""
    if isinstance(template, _abc.Mapping):
        keyed = dict(zip(_keys(template), children))
        try:
            return type(template)((k, keyed[k]) for k in template)
        except TypeError:
            return {k: keyed[k] for k in template}
    if _nest._is_namedtuple(template):
        return type(template)(*children)
    if isinstance(template, tuple):
        return tuple(children)
    if type(template) is list:
        return list(children)
    try:
        return type(template)(children)
    except TypeError:
        return list(children)


def flatten(structure):
    """The leaves of ``structure``, depth first (``None`` included)."""
    out = []

    def walk(x):
        if is_nested(x):
            for _, c in _items(x):
                walk(c)
        else:
            out.append(x)

    walk(structure)
    return out


def flatten_with_path(structure):
    """``(path, leaf)`` pairs; a path is the tuple of keys and indices leading to the leaf."""
    out = []

    def walk(x, path):
        if is_nested(x):
            for k, c in _items(x):
                walk(c, path + (k,))
        else:
            out.append((path, x))

    walk(structure, ())
    return out


def _kind(x):
    return type(x).__name__ if not isinstance(x, dict) else "dict"


def _key_mismatch(a, b):
    missing = [k for k in _keys(a) if k not in b]
    extra = [k for k in _keys(b) if k not in a]
    return ValueError(f"dictionary key mismatch; expected key(s): {_keys(a)}, got key(s): "
                      f"{_keys(b)}, missing key(s): {missing}, extra key(s): {extra}; dict: "
                      f"{b!r}.")


def _check_like(a, b):
    """Raise ``ValueError`` unless ``b`` has ``a``'s nesting (node types, arity, keys)."""
    if not is_nested(a):
        if is_nested(b):
            raise ValueError("Structures don't have the same nested structure.")
        return
    if not is_nested(b) or (type(a) is not type(b) and not (
            isinstance(a, _abc.Mapping) and isinstance(b, _abc.Mapping))):
        raise ValueError(f"Expected an instance of {_kind(a)}, got {b!r}.")
    if isinstance(a, _abc.Mapping):
        if set(a) != set(b):
            raise _key_mismatch(a, b)
    elif len(a) != len(b):
        raise ValueError(f"{_kind(a)} arity mismatch; expected: {len(a)}, got: {len(b)}; "
                         f"{_kind(a)}: {b!r}.")
    for (_, x), (_, y) in zip(_items(a), _items(b)):
        _check_like(x, y)


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leafwise across structures of the same nesting; with
    ``none_is_leaf=False`` a ``None`` stays ``None`` and ``func`` does not see it."""
    if not callable(func):
        raise TypeError(f"'{type(func).__name__}' object is not callable")
    if not structures:
        raise ValueError("Must provide at least one structure")
    for other in structures[1:]:
        _check_like(structures[0], other)
    flats = [flatten(s) for s in structures]
    leaves = [None if not none_is_leaf and xs[0] is None else func(*xs) for xs in zip(*flats)]
    return pack_sequence_as(structures[0], leaves)


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the subtrees of ``structures`` found at the leaves of
    ``shallow_structure``."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def walk(shallow, subs):
        if not is_nested(shallow):
            return func(*subs)
        for s in subs:
            _check_shallow(shallow, s)
        kids = [walk(c, [dict(_items(s))[k] for s in subs]) for k, c in _items(shallow)]
        return _rebuild(shallow, kids)

    return walk(shallow_structure, list(structures))


def _check_shallow(shallow, s):
    if not is_nested(s) or (isinstance(shallow, _abc.Mapping) != isinstance(s, _abc.Mapping)):
        raise ValueError(f"Expected an instance of {_kind(shallow)}, got {s!r}.")
    if isinstance(shallow, _abc.Mapping):
        if set(shallow) != set(s):
            raise _key_mismatch(shallow, s)
    elif len(shallow) != len(s):
        raise ValueError(f"{_kind(shallow)} arity mismatch; expected: {len(shallow)}, got: "
                         f"{len(s)}; {_kind(shallow)}: {s!r}.")


def pack_sequence_as(structure, flat_sequence):
    """``structure`` rebuilt with its leaves taken in order from ``flat_sequence``."""
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if n != len(flat):
        word = "few" if len(flat) < n else "many"
        raise ValueError(f"Too {word} leaves for PyTreeSpec; expected: {n}, got: {len(flat)}.")
    it = iter(flat)

    def build(t):
        if not is_nested(t):
            return next(it)
        return _rebuild(t, [build(c) for _, c in _items(t)])

    return build(structure)


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` nest alike (node types included)."""
    _check_like(a, b)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (node types may
    differ)."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError(f"`a` and `b` don't have the same paths.\nPaths in `a` missing in "
                         f"`b`:\n{pa - pb}\nPaths in `b` missing in `a`:\n{pb - pa}")


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple, at every depth."""
    if not is_nested(structure):
        return structure
    kids = [lists_to_tuples(c) for _, c in _items(structure)]
    if type(structure) is list:
        return tuple(kids)
    return _rebuild(structure, kids)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in x) or \
        hasattr(x, "as_list")


def map_shape_structure(func, structure):
    """``func`` applied to every shape (a tuple or list of ints and ``None``) in
    ``structure``."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for _, c in _items(structure)])


def traverse(func, structure, top_down=True):
    """Visit every node (containers and leaves). Top down: a non-``None`` result replaces
    the node and its subtree is not visited (``MAP_TO_NONE`` puts ``None`` there). Bottom
    up: ``func`` sees each node after its children were replaced; ``None`` keeps it."""
    def fix(value, original):
        if value is None:
            return original
        return None if value is MAP_TO_NONE else value

    def down(x):
        r = func(x)
        if r is not None:
            return None if r is MAP_TO_NONE else r
        if not is_nested(x):
            return x
        return _rebuild(x, [down(c) for _, c in _items(x)])

    def up(x):
        if is_nested(x):
            x = _rebuild(x, [up(c) for _, c in _items(x)])
        return fix(func(x), x)

    return down(structure) if top_down else up(structure)
