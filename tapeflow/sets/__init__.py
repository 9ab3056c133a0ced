"""``tf.sets``: set operations along the last dimension of dense or sparse tensors; the
results are SparseTensors whose rows hold each set's elements in sorted order."""
from .. import dtypes
from ..backend import host as np
from ..sparse import SparseTensor
from ..tensor import TensorBase, constant, convert_to_tensor

__all__ = ["size", "intersection", "union", "difference"]

_ALLOWED = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8,
            dtypes.uint16, dtypes.string)


def _rows(x, arg):
    """(batch shape, {batch index: list of elements}, dtype) of a dense or sparse input."""
    if isinstance(x, SparseTensor):
        dtype = x.dtype
        idx, vals = x.indices.numpy(), x.values.numpy()
        shape = [int(s) for s in x.dense_shape.numpy()]
        rows = {}
        for i, v in zip(idx, vals):
            rows.setdefault(tuple(int(k) for k in i[:-1]), []).append(v)
        out = (shape[:-1], rows, dtype)
    else:
        t = x if isinstance(x, TensorBase) else convert_to_tensor(x)
        dtype = t.dtype
        a = t.numpy()
        rows = {i: list(a[i]) for i in np.ndindex(*a.shape[:-1])}
        out = (list(a.shape[:-1]), rows, dtype)
    if dtype not in _ALLOWED:
        names = ", ".join(f"tf.{d.name}" for d in _ALLOWED)
        raise TypeError(f"'{arg}' has invalid dtype `{dtype!r}` not in supported dtypes: "
                        f"`frozenset({{{names}}})`.")
    return out


def _sparse(batch, sets, dtype):
    width = max([len(s) for s in sets.values()] + [0])
    indices, values = [], []
    for key in np.ndindex(*batch):
        for j, v in enumerate(sorted(sets.get(key, ()))):
            indices.append(list(key) + [j])
            values.append(v)
    ind = np.asarray(indices, np.int64).reshape(-1, len(batch) + 1)
    vals = constant(np.asarray(values, dtype=object if dtype == dtypes.string else
                               dtype._np).reshape(-1), dtype)
    return SparseTensor(constant(ind), vals, constant(np.asarray(batch + [width], np.int64)))


def _binary(a, b, combine):
    batch_a, rows_a, da = _rows(a, "a")
    batch_b, rows_b, db = _rows(b, "b")
    if da != db:
        raise TypeError(f"Types don't match, {da!r} vs {db!r}.")
    sets = {k: combine(set(rows_a.get(k, ())), set(rows_b.get(k, ())))
            for k in np.ndindex(*batch_a)}
    return _sparse(batch_a, sets, da)


def size(a, validate_indices=True):
    """The number of distinct elements of each set (the last dimension) of a SparseTensor.

    Args:
      a: SparseTensor.
      validate_indices: ignored.

    Returns:
      int32 tensor of the batch shape.
    """
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    batch, rows, _ = _rows(a, "a")
    out = np.zeros(batch, np.int32)
    for k, v in rows.items():
        out[k] = len(set(v))
    return constant(out)


def intersection(a, b, validate_indices=True):
    """Elements in both ``a`` and ``b``, set by set (``a``, ``b`` dense or sparse)."""
    return _binary(a, b, lambda x, y: x & y)


def union(a, b, validate_indices=True):
    """Elements in ``a`` or ``b``, set by set."""
    return _binary(a, b, lambda x, y: x | y)


def difference(a, b, aminusb=True, validate_indices=True):
    """Elements of ``a`` not in ``b`` (or of ``b`` not in ``a`` when ``aminusb`` is
    False), set by set."""
    return _binary(a, b, (lambda x, y: x - y) if aminusb else (lambda x, y: y - x))
