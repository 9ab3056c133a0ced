"""``tf.ragged_fill_empty_rows`` and its gradient helper, on value-rowid encodings."""
import collections

from ..backend import host as np
from ..tensor import TensorBase, constant, convert_to_tensor

RaggedFillEmptyRows = collections.namedtuple(
    "RaggedFillEmptyRows", ["output_value_rowids", "output_values", "empty_row_indicator",
                            "reverse_index_map"])
RaggedFillEmptyRowsGrad = collections.namedtuple("RaggedFillEmptyRowsGrad",
                                                 ["d_values", "d_default_value"])


def _np(x):
    return (x if isinstance(x, TensorBase) else convert_to_tensor(x)).numpy()


def ragged_fill_empty_rows(value_rowids, values, nrows, default_value, name=None):
    """Give every empty row of a ragged tensor (``value_rowids``, sorted) one
    ``default_value``.

    Args:
      value_rowids: int64 ``[N]`` row of each value (non-decreasing).
      values: ``[N]`` values.
      nrows: int64 scalar, the number of rows.
      default_value: scalar of ``values``' dtype.
      name: ignored.

    Returns:
      ``(output_value_rowids, output_values, empty_row_indicator, reverse_index_map)``:
      the new encoding, which rows were empty, and where each input value went.
    """
    ids = _np(value_rowids).astype(np.int64)
    vals_t = values if isinstance(values, TensorBase) else convert_to_tensor(values)
    vals = vals_t.numpy()
    n = int(_np(nrows))
    default = np.asarray(_np(default_value)).astype(vals.dtype)
    counts = np.bincount(ids, minlength=n)[:n]
    empty = counts == 0
    out_ids, out_vals, reverse = [], [], np.zeros(len(ids), np.int64)
    pos = 0
    for row in range(n):
        if empty[row]:
            out_ids.append(row)
            out_vals.append(default)
            continue
        for k in np.nonzero(ids == row)[0]:
            reverse[k] = len(out_ids)
            out_ids.append(row)
            out_vals.append(vals[k])
            pos += 1
    out_v = np.asarray(out_vals, dtype=vals.dtype).reshape((len(out_vals),) + vals.shape[1:])
    return RaggedFillEmptyRows(constant(np.asarray(out_ids, np.int64)),
                               constant(out_v, vals_t.dtype),
                               constant(empty), constant(reverse))


def ragged_fill_empty_rows_grad(reverse_index_map, grad_values, name=None):
    """The gradient of ``ragged_fill_empty_rows``: the output gradients of the original
    values, and the sum of those of the filled-in defaults.

    Args:
      reverse_index_map: int64 ``[N]`` from ``ragged_fill_empty_rows``.
      grad_values: ``[M]`` gradient of its ``output_values``.
      name: ignored.

    Returns:
      ``(d_values [N], d_default_value scalar)``.
    """
    rev = _np(reverse_index_map).astype(np.int64)
    g_t = grad_values if isinstance(grad_values, TensorBase) else convert_to_tensor(grad_values)
    g = g_t.numpy()
    d_values = g[rev]
    mask = np.ones(len(g), bool)
    mask[rev] = False
    return RaggedFillEmptyRowsGrad(constant(d_values, g_t.dtype),
                                   constant(g[mask].sum(axis=0).astype(g.dtype), g_t.dtype))



