"""3-D convolution and pooling ops (``tf.nn.conv3d``, ``conv3d_transpose``, ``max_pool3d``,
``avg_pool3d``) built from the 2-D ops: each tap along the depth axis is one 2-D op over a
strided depth slice of the input, and the taps are summed (or maxed). Every piece is a
recorded op, so gradients of every order come from the 2-D ops' rules."""
from ..backend import host as np
from ..errors import NotFoundError
from ..errors import _invalid as invalid
from ._core import Op, convert_inputs
from .array import reshape, stack, transpose
from .conv import (
    _NAMED,
    _channels_first,
    _check_dtype,
    _dims,
    _out_size,
    _pads,
    _spatial,
    _t,
    conv2d,
    conv2d_transpose,
)
from .indexing import pad
from .math import add_n, maximum
from .pooling import _lowest, avg_pool2d, max_pool2d

__all__ = ["conv3d", "conv3d_transpose", "max_pool3d", "avg_pool3d"]


def _ndhwc(t, cf):
    return transpose(t, [0, 2, 3, 4, 1]) if cf else t


def _from_ndhwc(t, cf):
    return transpose(t, [0, 4, 1, 2, 3]) if cf else t


def _pair3(opname, x, w):
    op = _NAMED.get(opname) or _NAMED.setdefault(opname, Op(opname, None))
    x, w = convert_inputs(op, [x, w])
    _check_dtype(opname, x, ("half", "bfloat16", "float", "double"))
    return x, w


def _depth_taps(x, k, s, d, out):
    """For each of ``k`` depth taps, the strided depth slice of ``x`` (NDHWC) it reads, folded
    into the batch: [(n * out, h, w, c)]."""
    n, _, h, w, c = x._v.shape
    span = (out - 1) * s + 1
    return [reshape(x[:, i * d:i * d + span:s], [n * out, h, w, c]) for i in range(k)]


def _unfold(y, n, out):
    """(n * out, h, w, c) back to (n, out, h, w, c)."""
    return reshape(y, [n, out] + list(y._v.shape[1:]))


def _check_rank(opname, xs, ws=None):
    if len(xs) != 5:
        raise invalid(opname, f"input must be 5-dimensional{_dims(xs)}")
    if ws is not None and len(ws) != 5:
        raise invalid(opname, f"filter must be 5-dimensional: {_dims(ws)}")


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):
    """3-D convolution of ``input`` (NDHWC or NCDHW) with ``filters`` [kd, kh, kw, in, out].

    NOTE: dilations > 1 are computed (TF's CPU kernel refuses them; its GPU kernel does not).

    Args:
        input: a 5-D float tensor.
        filters: a 5-D tensor of the input's dtype.
        strides: an int or a list of 1, 3 or 5 ints (batch and channel strides are 1).
        padding: 'SAME' or 'VALID'.
        data_format: 'NDHWC' (default) or 'NCDHW'.
        dilations: an int or a list of 1, 3 or 5 ints (default 1).
        name: unused.

    Returns:
        The 5-D convolution output in ``data_format``.
    """
    for name, value in (("strides", strides), ("dilations", dilations)):
        if isinstance(value, (list, tuple)) and len(value) < 5:
            raise invalid("Conv3D", f"Length for attr '{name}' of {len(value)} must be at least "
                          "minimum 5")
    return _conv3d(input, filters, strides, padding, data_format, dilations, grouped=False)


def _conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None,
            grouped=True):
    """``conv3d``; ``grouped`` also takes an input depth that is a multiple of the filter's
    (a grouped convolution: TF's CPU kernel refuses those, Keras's Conv3D(groups=) not)."""
    op = "Conv3D"
    x, w = _pair3(op, input, filters)
    cf = _channels_first(data_format, 3, op)
    xs, ws = x._v.shape, w._v.shape
    _check_rank(op, xs, ws)
    s = _spatial(strides, "strides", 3, cf, op, "strides")
    d = _spatial(1 if dilations is None else dilations, "dilations", 3, cf, op, "dilations")
    x = _ndhwc(x, cf)
    xs = x._v.shape
    if xs[4] % ws[3] if grouped else xs[4] != ws[3]:
        raise invalid(op, f"input and filter must have the same depth: {xs[4]} vs {ws[3]}")
    if not isinstance(padding, str) or padding not in ("SAME", "VALID"):
        raise invalid(op, f"Value for attr 'padding' of \"{padding}\" is not in the list of "
                      "allowed values: \"SAME\", \"VALID\"")
    pads = _pads(padding, xs[1:4], ws[:3], s, d, False, op, False)
    x = pad(x, [[0, 0], list(pads[0]), [0, 0], [0, 0], [0, 0]])
    out = _out_size(xs[1], ws[0], s[0], d[0], *pads[0])
    n = xs[0]
    hw_pads = [[0, 0], list(pads[1]), list(pads[2]), [0, 0]]
    if out == 0:
        out_hw = [_out_size(xs[1 + i], ws[i], s[i], d[i], *pads[i]) for i in (1, 2)]
        return _from_ndhwc(reshape(x[:0, :0, :out_hw[0], :out_hw[1], :1] * 0, [n, 0] + out_hw
                                   + [ws[4]]), cf)
    parts = [conv2d(t, w[i], (1, s[1], s[2], 1), hw_pads, "NHWC", (1, d[1], d[2], 1))
             for i, t in enumerate(_depth_taps(x, ws[0], s[0], d[0], out))]
    y = parts[0] if len(parts) == 1 else add_n(parts)
    return _from_ndhwc(_unfold(y, n, out), cf)


def _interleave(t, s, axis):
    """``t`` with ``s - 1`` zeros after each slice along ``axis`` (the last ones dropped)."""
    if s == 1:
        return t
    shape = list(t._v.shape)
    zeros = t * 0
    stacked = stack([t] + [zeros] * (s - 1), axis=axis + 1)
    full = reshape(stacked, shape[:axis] + [shape[axis] * s] + shape[axis + 1:])
    index = [slice(None)] * len(shape)
    index[axis] = slice(0, (shape[axis] - 1) * s + 1)
    return full[tuple(index)]


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NDHWC",
                     dilations=None, name=None):
    """The transpose (gradient) of ``conv3d``: ``filters`` [kd, kh, kw, out, in].

    Args:
        input: a 5-D float tensor (the convolution's output side).
        filters: a 5-D tensor [kd, kh, kw, output channels, input channels].
        output_shape: the 5 ints of the result's shape.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: 'SAME' or 'VALID'.
        data_format: 'NDHWC' (default) or 'NCDHW'.
        dilations: an int or a list of 1, 3 or 5 ints (default 1).
        name: unused.

    Returns:
        A tensor of ``output_shape``.
    """
    op = "Conv3DBackpropInputV2"
    x, w = _pair3(op, input, filters)
    cf = _channels_first(data_format, 3, op)
    xs, ws = x._v.shape, w._v.shape
    _check_rank(op, xs, ws)
    if hasattr(output_shape, "numpy"):
        output_shape = output_shape.numpy().tolist()
    osh = [int(v) for v in output_shape]
    if len(osh) != 5:
        raise invalid(op, f"input_sizes must have 5 elements, got {len(osh)}")
    s = _spatial(strides, "strides", 3, cf, op, "strides")
    d = _spatial(1 if dilations is None else dilations, "dilations", 3, cf, op, "dilations")
    x = _ndhwc(x, cf)
    xs = x._v.shape
    n, c_out, size = (osh[0], osh[1], osh[2:]) if cf else (osh[0], osh[4], osh[1:4])
    if c_out != ws[3] or xs[4] != ws[4] or n != xs[0]:
        raise invalid(op, f"Conv3DBackpropInputOpV2: input, filter and out_backprop shapes do "
                      f"not agree: output_shape {osh}, filter shape {_dims(ws)}, input shape "
                      f"{_dims(xs)}")
    pads = _pads(padding, size, ws[:3], s, d, False, op, False)
    for i in range(3):
        want = _out_size(size[i], ws[i], s[i], d[i], *pads[i])
        if want != xs[1 + i]:
            raise invalid(op, f"Conv3DBackpropInputOpV2: Size of out_backprop doesn't match "
                          f"computed: actual = {xs[1 + i]}, computed = {want} spatial_dim: "
                          f"{i + 1} input: {size[i]} filter: {ws[i]} output: {xs[1 + i]} "
                          f"stride: {s[i]} dilation: {d[i]}")
    depth = xs[1]
    g = reshape(x, [n * depth] + list(xs[2:]))
    padded = size[0] + pads[0][0] + pads[0][1]
    span = (depth - 1) * s[0] + 1
    hw_out = [n * depth, size[1], size[2], c_out]
    parts = []
    for i in range(ws[0]):
        t = conv2d_transpose(g, w[i], hw_out, (1, s[1], s[2], 1),
                             [[0, 0], list(pads[1]), list(pads[2]), [0, 0]], "NHWC",
                             (1, d[1], d[2], 1))
        t = _interleave(_unfold(t, n, depth), s[0], 1)
        start = i * d[0]
        end = padded - start - span
        if end < 0:
            t, end = t[:, :span + end], 0
        parts.append(pad(t, [[0, 0], [start, end], [0, 0], [0, 0], [0, 0]]))
    y = parts[0] if len(parts) == 1 else add_n(parts)
    y = y[:, pads[0][0]:pads[0][0] + size[0]]
    return _from_ndhwc(y, cf)


def _pool3d(opname, input, ksize, strides, padding, data_format):
    x = _t(input)
    cf = _channels_first(data_format, 3, opname)
    _check_rank(opname, x._v.shape)
    k = _spatial(ksize, "ksize", 3, cf, opname, "ksize")
    s = _spatial(strides, "strides", 3, cf, opname, "strides")
    x = _ndhwc(x, cf)
    xs = x._v.shape
    if not isinstance(padding, str) or padding not in ("SAME", "VALID"):
        raise invalid(opname, f"Value for attr 'padding' of \"{padding}\" is not in the list of "
                      "allowed values: \"SAME\", \"VALID\"")
    pads = _pads(padding, xs[1:4], k, s, (1, 1, 1), False, opname, False)
    out = [_out_size(xs[1 + i], k[i], s[i], 1, *pads[i]) for i in range(3)]
    return x, cf, k, s, pads, out


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Max over ``ksize`` windows of a 5-D input.

    Args:
        input: a 5-D tensor (NDHWC or NCDHW).
        ksize: an int or a list of 1, 3 or 5 ints.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: 'SAME' or 'VALID'.
        data_format: 'NDHWC' (default) or 'NCDHW'.
        name: unused.

    Returns:
        The pooled tensor in ``data_format``.
    """
    x = _t(input)
    _check_dtype("MaxPool3D", x, ("half", "bfloat16", "float"))
    return _max_pool3d(x, ksize, strides, padding, data_format)


def _max_pool3d(input, ksize, strides, padding, data_format="NDHWC"):
    """``max_pool3d`` without the dtype check (float64 runs too: the gradient checks use it)."""
    x, cf, k, s, pads, out = _pool3d("MaxPool3D", input, ksize, strides, padding, data_format)
    if 0 in out:
        return _from_ndhwc(reshape(x[:, :0] * 0, [x._v.shape[0]] + out + [x._v.shape[4]]), cf)
    x = pad(x, [[0, 0]] + [list(p) for p in pads] + [[0, 0]],
            constant_values=_lowest(np.dtype(x.dtype.as_numpy_dtype)))
    y = None
    for t in _depth_taps(x, k[0], s[0], 1, out[0]):
        p = max_pool2d(t, k[1:], s[1:], "VALID")
        y = p if y is None else maximum(y, p)
    return _from_ndhwc(_unfold(y, x._v.shape[0], out[0]), cf)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Mean over ``ksize`` windows of a 5-D input; 'SAME' windows average real elements only.

    Args:
        input: a 5-D float tensor (NDHWC or NCDHW).
        ksize: an int or a list of 1, 3 or 5 ints.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: 'SAME' or 'VALID'.
        data_format: 'NDHWC' (default) or 'NCDHW'.
        name: unused.

    Returns:
        The pooled tensor in ``data_format``.
    """
    x = _t(input)
    _check_dtype("AvgPool3D", x, ("half", "bfloat16", "float", "double"))
    if x.dtype.name == "float64":
        raise NotFoundError(None, "AvgPool3D", "Could not find device for node: {{node "
                            "AvgPool3D}} = AvgPool3D[T=DT_DOUBLE] (TF has no CPU kernel for "
                            "float64 AvgPool3D) [Op:AvgPool3D]")
    return _avg_pool3d(x, ksize, strides, padding, data_format)


def _avg_pool3d(input, ksize, strides, padding, data_format="NDHWC"):
    """``avg_pool3d`` without the dtype check (float64 runs too: the gradient checks use it)."""
    x, cf, k, s, pads, out = _pool3d("AvgPool3D", input, ksize, strides, padding, data_format)
    n, c = x._v.shape[0], x._v.shape[4]
    if 0 in out:
        return _from_ndhwc(reshape(x[:, :0] * 0, [n] + out + [c]), cf)
    counts = []
    for i in range(3):
        pos = (np.arange(out[i]) * s[i] - pads[i][0])[:, None] + np.arange(k[i])[None, :]
        counts.append(((pos >= 0) & (pos < x._v.shape[1 + i])).sum(1))
    count = np.einsum("i,j,k->ijk", *counts)[None, :, :, :, None]
    x = pad(x, [[0, 0]] + [list(p) for p in pads] + [[0, 0]])
    parts = [avg_pool2d(t, k[1:], s[1:], "VALID")
             for t in _depth_taps(x, k[0], s[0], 1, out[0])]
    total = parts[0] if len(parts) == 1 else add_n(parts)
    total = _unfold(total, n, out[0]) * float(k[1] * k[2])
    return _from_ndhwc(total / count.astype(x.dtype.as_numpy_dtype), cf)
