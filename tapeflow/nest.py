"""``tf.nest``: flatten, rebuild and map nested structures of lists, tuples, dicts and
namedtuples (dict keys in sorted order, as TF does). Tensors and None are leaves; with
``expand_composites=True`` an extension type (or its spec) is a structure of its tensors."""
import collections.abc as _abc


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


_PLAIN = (list, tuple, dict)


def is_nested(structure):
    """Whether ``structure`` is a container (list, tuple, dict, namedtuple...), not a leaf."""
    t = type(structure)
    if t in _PLAIN:
        return True
    return isinstance(structure, (list, tuple, _abc.Mapping)) and not hasattr(structure, "_v")


is_sequence = is_nested


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _children(x):
    if isinstance(x, _abc.Mapping):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def _parts(x):
    """The components of an extension type value or spec (its ``_tf_nest_parts``), else None."""
    f = getattr(type(x), "_tf_nest_parts", None)
    return None if f is None else f(x)


def flatten(structure, expand_composites=False):
    """Leaves of ``structure`` depth first; a non-nested value gives ``[value]`` (with
    ``expand_composites``, an extension type gives its components' leaves)."""
    if not expand_composites and not is_nested(structure):
        return [structure]
    out = []
    stack = [structure]
    while stack:
        x = stack.pop()
        if is_nested(x):
            stack.extend(reversed(_children(x)))
        elif expand_composites and (parts := _parts(x)) is not None:
            stack.extend(reversed(parts))
        else:
            out.append(x)
    return out


def _rebuild(template, children):
    if isinstance(template, _abc.Mapping):
        keyed = dict(zip(_sorted_keys(template), children))
        if isinstance(template, dict) and type(template) is not dict:
            try:
                return type(template)((k, keyed[k]) for k in template)
            except TypeError:
                pass
        return type(template)((k, keyed[k]) for k in template) if type(template) is dict else \
            {k: keyed[k] for k in template}
    if _is_namedtuple(template):
        return type(template)(*children)
    if isinstance(template, tuple):
        return tuple(children)
    return list(children) if type(template) is list else type(template)(children)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """Rebuild ``structure`` with the leaves taken in order from ``flat_sequence``."""
    flat = list(flat_sequence)
    expand = expand_composites and _parts(structure) is not None
    if not is_nested(structure) and not expand:
        if len(flat) != 1:
            raise ValueError(f"Structure is a scalar but len(flat_sequence) == {len(flat)} > 1")
        return flat[0]
    n = len(flatten(structure, expand_composites))
    if n != len(flat):
        raise ValueError(
            f"Could not pack sequence. Structure had {n} atoms, but flat_sequence had "
            f"{len(flat)} items. Structure: {structure!r}, flat_sequence: {flat!r}."
        )
    it = iter(flat)

    def build(t):
        if not is_nested(t):
            parts = _parts(t) if expand_composites else None
            if parts is None:
                return next(it)
            return t._tf_nest_rebuild([build(c) for c in parts])
        return _rebuild(t, [build(c) for c in _children(t)])

    return build(structure)


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raise ``ValueError`` unless ``nest1`` and ``nest2`` nest alike (``TypeError`` for
    different sequence types when ``check_types``)."""
    def walk(a, b):
        if expand_composites and (_parts(a) is not None or _parts(b) is not None):
            if _composite_key(a) != _composite_key(b):
                raise ValueError(f"The two structures don't have the same nested structure.\n\n"
                                 f"First structure: {nest1!r}\n\nSecond structure: {nest2!r}")
            for x, y in zip(_parts(a), _parts(b)):
                walk(x, y)
            return
        if is_nested(a) != is_nested(b):
            raise ValueError(f"The two structures don't have the same nested structure.\n\n"
                             f"First structure: {nest1!r}\n\nSecond structure: {nest2!r}")
        if not is_nested(a):
            return
        if check_types and type(a) is not type(b) and not (
            isinstance(a, _abc.Mapping) and isinstance(b, _abc.Mapping)
        ):
            raise TypeError(f"The two structures don't have the same sequence type. Input "
                            f"structure has type {type(a)!r}, while shallow structure has type "
                            f"{type(b)!r}.")
        if isinstance(a, _abc.Mapping) and set(a) != set(b):
            raise ValueError(f"The two dictionaries don't have the same set of keys. First "
                             f"structure has keys {list(a)}, while second structure has keys "
                             f"{list(b)}.")
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            raise ValueError(f"The two structures don't have the same number of elements.\n\n"
                             f"First structure: {nest1!r}\n\nSecond structure: {nest2!r}")
        for x, y in zip(ca, cb):
            walk(x, y)

    walk(nest1, nest2)


def _composite_key(x):
    """An extension type's class, Python fields and tensor dtypes (``assert_same_structure``
    with ``expand_composites``: shapes may differ, as in TF)."""
    key = getattr(x, "_tf_static_key", None)
    if key is None:
        return None
    leaves = [getattr(t, "dtype", None) for t in flatten(x, expand_composites=True)]
    return key(), leaves


def map_structure(func, *structure, **kwargs):
    """Apply ``func`` leafwise across structures of the same shape."""
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    expand = kwargs.pop("expand_composites", False)
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types,
                              expand_composites=expand)
    flats = [flatten(s, expand) for s in structure]
    return pack_sequence_as(structure[0], [func(*xs) for xs in zip(*flats)], expand)


def flatten_with_joined_string_paths(structure, separator="/", expand_composites=False):
    out = []

    def walk(x, path):
        if not is_nested(x):
            out.append((separator.join(str(p) for p in path), x))
            return
        keys = _sorted_keys(x) if isinstance(x, _abc.Mapping) else range(len(x))
        for k in keys:
            walk(x[k], path + [k])

    walk(structure, [])
    return out
