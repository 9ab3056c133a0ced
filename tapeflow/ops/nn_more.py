"""More of ``tf.nn``: local response normalisation, max pooling with argmax, morphological
dilation and erosion, atrous and N-D transposed convolutions, space-to-batch and N-D pooling,
the depthwise convolution backprops, fractional pooling, isotonic regression, the CTC label
helpers, approximate top-k and ``tf.nn.experimental``'s dropouts.

Most are compositions of recorded ops (pad, slices, stacks, reductions, segment reductions),
so their gradients come from those ops; the index outputs (argmax, pooling sequences,
segments) are computed on the host and are not differentiable, as in TF.

``NN`` lists the ``tf.nn`` names, ``MATH`` the ``tf.math`` ones and ``TOP`` the ``tf.*``
ones.
"""
import collections

from .. import dtypes
from ..backend import host as np
from ..backend import to_host
from ..errors import _invalid as invalid
from ..tensor import TensorBase, convert_to_tensor, wrap
from .array import reshape, stack, transpose
from .conv import conv1d_transpose, conv2d, conv2d_transpose
from .extra import unsorted_segment_max, unsorted_segment_mean
from .indexing import gather, pad, reverse
from .math import add, cast, divide, multiply, negative, pow, square
from .nn import batch_normalization
from .pooling import avg_pool, max_pool, max_pool2d
from .random import _rng, _stateless_rng
from .reduction import reduce_max
from .sorting import top_k

NN = ["approx_max_k", "approx_min_k", "local_response_normalization", "lrn",
      "max_pool_with_argmax", "dilation2d", "erosion2d", "atrous_conv2d",
      "atrous_conv2d_transpose", "conv_transpose", "pool", "with_space_to_batch",
      "space_to_batch", "batch_norm_with_global_normalization", "fractional_max_pool",
      "fractional_avg_pool", "isotonic_regression", "collapse_repeated", "ctc_unique_labels"]
MATH = ["approx_max_k", "approx_min_k"]
TOP = ["space_to_batch", "space_to_batch_nd", "batch_to_space", "required_space_to_batch_paddings"]
__all__ = [
    "approx_max_k", "approx_min_k", "atrous_conv2d", "atrous_conv2d_transpose",
    "batch_norm_with_global_normalization", "batch_to_space", "collapse_repeated",
    "conv_transpose", "ctc_unique_labels", "dilation2d", "erosion2d", "fractional_avg_pool",
    "fractional_max_pool", "isotonic_regression", "local_response_normalization", "lrn",
    "max_pool_with_argmax", "pool", "required_space_to_batch_paddings", "space_to_batch",
    "space_to_batch_nd", "with_space_to_batch",
]


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


def _ints(x):
    if isinstance(x, TensorBase):
        x = to_host(x._v)
    return [int(v) for v in np.asarray(x).ravel().tolist()]


def _check_float(t, opname, allowed):
    name = t.dtype.name
    if name not in allowed:
        names = {"float16": "half", "float32": "float", "float64": "double"}
        listed = ", ".join(names.get(a, a) for a in allowed)
        raise invalid(opname, f"Value for attr 'T' of {names.get(name, name)} is not in the "
                      f"list of allowed values: {listed}")


# -- approximate top-k (exact here) ----------------------------------------------------------
ApproxTopK = collections.namedtuple("ApproxTopK", ["values", "indices"])  # TF's result type


def _approx_k(operand, k, axis, largest):
    x = _t(operand)
    _check_float(x, "ApproxTopK", ("float16", "bfloat16", "float32"))
    nd = x._v.ndim
    axis = axis % nd if nd else 0
    if int(k) > int(x.shape[axis]):
        raise invalid("ApproxTopK", f"input must have at least k columns. Had "
                      f"{int(x.shape[axis])}, needed {int(k)}")
    perm = [i for i in range(nd) if i != axis] + [axis]
    moved = transpose(x, perm) if axis != nd - 1 else x
    vals, idx = top_k(moved if largest else negative(moved), k=int(k))
    if not largest:
        vals = negative(vals)
    if axis != nd - 1:
        back = list(np.argsort(perm))
        vals, idx = transpose(vals, back), transpose(idx, back)
    return ApproxTopK(vals, idx)


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The ``k`` largest values along ``reduction_dimension`` and their int32 indices.

    TF's op is approximate on TPUs only; on CPU (and here) the result is exact.

    Args:
        operand: a float16/bfloat16/float32 tensor.
        k: how many values to keep.
        reduction_dimension: the axis to reduce.
        recall_target, reduction_input_size_override, aggregate_to_topk: accepted, unused.
        name: unused.

    Returns:
        ``ApproxTopK(values, indices)``, sorted descending; values carry gradients.
    """
    return _approx_k(operand, k, reduction_dimension, True)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The ``k`` smallest values along ``reduction_dimension`` and their int32 indices.

    Args:
        operand: a float16/bfloat16/float32 tensor.
        k: how many values to keep.
        reduction_dimension: the axis to reduce.
        recall_target, reduction_input_size_override, aggregate_to_topk: accepted, unused.
        name: unused.

    Returns:
        ``ApproxTopK(values, indices)``, sorted ascending.
    """
    return _approx_k(operand, k, reduction_dimension, False)


# -- local response normalisation --------------------------------------------------------------
def _lrn(x, depth_radius, bias, alpha, beta):
    """``x / (bias + alpha * window_sum(x^2))^beta`` over channel windows of 2r + 1."""
    r = int(depth_radius)
    c = int(x.shape[-1])
    sq = pad(square(x), [[0, 0]] * (x._v.ndim - 1) + [[r, r]])
    total = sq[..., 0:c]
    for i in range(1, 2 * r + 1):
        total = add(total, sq[..., i:i + c])
    return divide(x, pow(add(multiply(total, alpha), bias), beta))


def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name=None):
    """Local response normalisation over the last (depth) axis of a 4-D tensor.

    Args:
        input: a 4-D half/bfloat16/float32 tensor.
        depth_radius: half the width of the channel window.
        bias, alpha, beta: ``x / (bias + alpha * sum(x^2 over the window))^beta``.
        name: unused.

    Returns:
        A tensor like ``input``.
    """
    x = _t(input)
    _check_float(x, "LRN", ("float16", "bfloat16", "float32"))
    if x._v.ndim != 4:
        raise invalid("LRN", "in must be 4-dimensional")
    return _lrn(x, depth_radius, float(bias), float(alpha), float(beta))


lrn = local_response_normalization


# -- max pooling with argmax -------------------------------------------------------------------
def _window_geometry(ksize, strides, padding, h, w, opname):
    k = _four(ksize, "ksize", opname)
    s = _four(strides, "strides", opname)
    pads = []
    for n, kk, ss in ((h, k[1], s[1]), (w, k[2], s[2])):
        if padding == "SAME":
            out = -(-n // ss)
            total = max((out - 1) * ss + kk - n, 0)
            pads.append((total // 2, total - total // 2))
        elif padding == "VALID":
            pads.append((0, 0))
        else:
            raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return k, s, pads


def _four(v, what, opname):
    vals = _ints(v) if not isinstance(v, int) else [v]
    if len(vals) == 1:
        return [1, vals[0], vals[0], 1]
    if len(vals) == 2:
        return [1, vals[0], vals[1], 1]
    if len(vals) != 4:
        raise ValueError(f"`{what}` should be of length 1, 2 or 4. Received: {what}={v}")
    return vals


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",
                         output_dtype=dtypes.int64, include_batch_in_index=False, name=None):
    """Max pooling that also returns where each maximum came from.

    Args:
        input: a 4-D NHWC tensor.
        ksize, strides: ints or lists of 1, 2 or 4 values.
        padding: 'SAME' or 'VALID'.
        data_format: must be 'NHWC'.
        output_dtype: int32 or int64, the dtype of the indices.
        include_batch_in_index: whether the flat index counts the batch too.
        name: unused.

    Returns:
        ``(output, argmax)``: the pooled values (differentiable) and the flat indices
        ``((b * height + y) * width + x) * channels + c`` of the first maximum of each window
        (without the ``b`` term unless ``include_batch_in_index``).
    """
    _nhwc_only(data_format)
    x = _t(input)
    out = max_pool2d(x, ksize, strides, padding)
    a = to_host(x._v)
    n, h, w, c = a.shape
    k, s, pads = _window_geometry(ksize, strides, padding, h, w, "MaxPoolWithArgmax")
    oh, ow = out.shape[1], out.shape[2]
    flat = np.arange(n * h * w * c, dtype=np.int64).reshape(n, h, w, c)
    if not include_batch_in_index:
        flat = flat - (np.arange(n, dtype=np.int64) * h * w * c)[:, None, None, None]
    lo = -np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min
    ap = np.pad(a, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=lo)
    fp = np.pad(flat, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=-1)
    best = np.full((n, oh, ow, c), lo, dtype=a.dtype)
    arg = np.zeros((n, oh, ow, c), dtype=np.int64)
    for i in range(k[1]):
        for j in range(k[2]):
            v = ap[:, i:i + (oh - 1) * s[1] + 1:s[1], j:j + (ow - 1) * s[2] + 1:s[2], :]
            f = fp[:, i:i + (oh - 1) * s[1] + 1:s[1], j:j + (ow - 1) * s[2] + 1:s[2], :]
            take = v > best
            best = np.where(take, v, best)
            arg = np.where(take, f, arg)
    return out, wrap(arg.astype(dtypes.as_dtype(output_dtype)._np))


# -- morphology ----------------------------------------------------------------------------------
def _nhwc_only(data_format):
    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. "
                         f"Received: data_format={data_format}")


def dilation2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """Grayscale morphological dilation: the max over each window of ``input + filters``.

    Args:
        input: a 4-D NHWC tensor.
        filters: a 3-D ``[height, width, channels]`` tensor of the same dtype.
        strides: 4 ints ``[1, sh, sw, 1]``.
        padding: 'SAME' or 'VALID'.
        data_format: must be 'NHWC'.
        dilations: 4 ints ``[1, rh, rw, 1]`` (default all 1).
        name: unused.

    Returns:
        A 4-D tensor; gradients flow to ``input`` and ``filters``.
    """
    _nhwc_only(data_format)
    x = _t(input)
    f = _t(filters, x.dtype)
    s = _ints(strides)
    d = _ints(dilations) if dilations is not None else [1, 1, 1, 1]
    if x._v.ndim != 4:
        raise invalid("Dilation2D", f"input must be 4-dimensional{list(x.shape)}")
    if f._v.ndim != 3:
        raise invalid("Dilation2D", f"filter must be 3-dimensional: {list(f.shape)}")
    n, h, w, c = x.shape
    if int(f.shape[2]) != int(c):
        raise invalid("Dilation2D", f"input and filter must have the same depth: {int(c)} vs "
                      f"{int(f.shape[2])}")
    fh, fw = int(f.shape[0]), int(f.shape[1])
    eh, ew = (fh - 1) * d[1] + 1, (fw - 1) * d[2] + 1
    pads = []
    for size, e, st in ((h, eh, s[1]), (w, ew, s[2])):
        if padding == "SAME":
            out = -(-size // st)
            total = max((out - 1) * st + e - size, 0)
            pads.append([total // 2, total - total // 2, out])
        else:
            pads.append([0, 0, (size - e) // st + 1])
    lo = float(np.finfo(x._v.dtype).min) if x._v.dtype.kind == "f" else \
        int(np.iinfo(x._v.dtype).min)
    xp = pad(x, [[0, 0], pads[0][:2], pads[1][:2], [0, 0]], constant_values=lo)
    oh, ow = pads[0][2], pads[1][2]
    taps = []
    for i in range(fh):
        for j in range(fw):
            r0, c0 = i * d[1], j * d[2]
            win = xp[:, r0:r0 + (oh - 1) * s[1] + 1:s[1], c0:c0 + (ow - 1) * s[2] + 1:s[2], :]
            taps.append(add(win, f[i, j]))
    return reduce_max(stack(taps, axis=0), axis=0)


def erosion2d(value, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """Grayscale morphological erosion: the min over each window of ``value - filters``
    (``-dilation2d(-value, filters reversed in height and width)``).

    Args:
        value: a 4-D NHWC tensor.
        filters: a 3-D ``[height, width, channels]`` tensor.
        strides, padding, data_format, dilations: as for ``dilation2d``.
        name: unused.

    Returns:
        A 4-D tensor.
    """
    x = _t(value)
    f = reverse(_t(filters, x.dtype), [0, 1])
    return negative(dilation2d(negative(x), f, strides, padding, data_format, dilations))


# -- convolutions ------------------------------------------------------------------------------
def atrous_conv2d(value, filters, rate, padding, name=None):
    """2-D convolution with holes: ``conv2d`` with stride 1 and dilation ``rate``.

    Args:
        value: a 4-D NHWC tensor.
        filters: ``[height, width, in, out]``.
        rate: a positive int, the dilation.
        padding: 'SAME' or 'VALID'.
        name: unused.

    Returns:
        A 4-D tensor.
    """
    if int(rate) < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return conv2d(value, filters, 1, padding, dilations=int(rate))


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of ``atrous_conv2d``.

    Args:
        value: a 4-D NHWC tensor.
        filters: ``[height, width, out_channels, in_channels]``.
        output_shape: the 4 dims of the result.
        rate: a positive int, the dilation.
        padding: 'SAME' or 'VALID'.
        name: unused.

    Returns:
        A 4-D tensor of ``output_shape``.
    """
    if int(rate) < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return conv2d_transpose(value, filters, output_shape, 1, padding, dilations=int(rate))


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
                   dilations=None, name=None):
    """The transpose of ``convolution``, dispatching on the length of ``output_shape``
    (3: ``conv1d_transpose``, 4: ``conv2d_transpose``, 5: ``conv3d_transpose``).

    Args:
        input, filters, output_shape, strides, padding, data_format, dilations: as for the
            rank-specific function.
        name: unused.

    Returns:
        A tensor of ``output_shape``.
    """
    n = len(_ints(output_shape))
    if n == 3:
        return conv1d_transpose(input, filters, output_shape, strides, padding,
                                data_format or "NWC", dilations)
    if n == 4:
        return conv2d_transpose(input, filters, output_shape, strides, padding,
                                data_format or "NHWC", dilations)
    if n == 5:
        from . import conv3d  # deferred: the 3-D convolutions live in their own module

        return conv3d.conv3d_transpose(input, filters, output_shape, strides, padding,
                                       data_format or "NDHWC", dilations)
    raise ValueError(f"output_shape must be of length 3, 4 or 5 but was {n}.")


def batch_norm_with_global_normalization(input=None, mean=None, variance=None, beta=None,
                                         gamma=None, variance_epsilon=None,
                                         scale_after_normalization=None, name=None):
    """Batch normalisation with given moments (TF1's op):
    ``(input - mean) / sqrt(variance + eps) * gamma + beta``.

    Args:
        input: a tensor.
        mean, variance, beta, gamma: 1-D tensors over the last axis.
        variance_epsilon: a small float.
        scale_after_normalization: whether ``gamma`` multiplies the result.
        name: unused.

    Returns:
        A tensor like ``input``.
    """
    return batch_normalization(input, mean, variance, beta,
                               gamma if scale_after_normalization else None, variance_epsilon)


# -- space to batch ------------------------------------------------------------------------------
def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """The paddings (and crops) that make ``input_shape`` divisible by ``block_shape``.

    Args:
        input_shape: the spatial dims, 1-D.
        block_shape: the block size per spatial dim.
        base_paddings: ``[n, 2]`` paddings to apply first (zeros by default).
        name: unused.

    Returns:
        ``(paddings, crops)``, two int32 ``[n, 2]`` tensors.
    """
    shape = np.asarray(_ints(input_shape), dtype=np.int64)
    block = np.asarray(_ints(block_shape), dtype=np.int64)
    base = np.zeros((len(block), 2), np.int64) if base_paddings is None else \
        np.asarray(_ints(base_paddings), dtype=np.int64).reshape(-1, 2)
    full = shape + base[:, 0] + base[:, 1]
    extra = (block - full % block) % block
    paddings = np.stack([base[:, 0], base[:, 1] + extra], axis=1)
    crops = np.stack([np.zeros_like(extra), extra], axis=1)
    dtype = _t(input_shape).dtype if isinstance(input_shape, TensorBase) else dtypes.int32
    return wrap(paddings.astype(dtype._np)), wrap(crops.astype(dtype._np))


def space_to_batch_nd(input, block_shape, paddings, name=None):
    """Move blocks of the spatial dims into the batch: pad, then ``[b, h/bh, bh, ...]`` to
    ``[bh * ... * b, h/bh, ...]``.

    Args:
        input: a tensor ``[batch] + spatial + rest``.
        block_shape: the block size per spatial dim.
        paddings: ``[n, 2]`` zero paddings of the spatial dims.
        name: unused.

    Returns:
        A tensor ``[batch * prod(block)] + spatial / block + rest``.
    """
    x = _t(input)
    block = _ints(block_shape)
    pads = np.asarray(_ints(paddings), dtype=np.int64).reshape(-1, 2)
    m = len(block)
    if x._v.ndim < 2:
        raise invalid("SpaceToBatchND", f"input rank should be >= 2 instead of {x._v.ndim}")
    rest = [[0, 0]] * (x._v.ndim - 1 - m)
    xp = pad(x, [[0, 0]] + pads.tolist() + rest)
    shape = list(xp.shape)
    for i, b in enumerate(block):
        if shape[1 + i] % b:
            raise invalid("SpaceToBatchND", f"padded_shape[{i}]={shape[1 + i]} is not "
                          f"divisible by block_shape[{i}]={b}")
    split = [shape[0]]
    for i, b in enumerate(block):
        split += [shape[1 + i] // b, b]
    split += shape[1 + m:]
    y = reshape(xp, split)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        list(range(1 + 2 * m, len(split)))
    y = transpose(y, perm)
    return reshape(y, [shape[0] * int(np.prod(block))] +
                   [shape[1 + i] // b for i, b in enumerate(block)] + shape[1 + m:])


def space_to_batch(input, block_shape, paddings, name=None):
    """``tf.space_to_batch`` (TF 2's): the same as ``space_to_batch_nd``.

    Args:
        input, block_shape, paddings: as for ``space_to_batch_nd``.
        name: unused.

    Returns:
        A tensor.
    """
    return space_to_batch_nd(input, block_shape, paddings)


def batch_to_space(input, block_shape, crops, name=None):
    """The inverse of ``space_to_batch_nd``: blocks of the batch back into the spatial dims,
    then ``crops`` removed.

    Args:
        input: a tensor ``[batch * prod(block)] + spatial + rest``.
        block_shape: the block size per spatial dim.
        crops: ``[n, 2]`` amounts to crop from each spatial dim.
        name: unused.

    Returns:
        A tensor.
    """
    x = _t(input)
    block = _ints(block_shape)
    crops = np.asarray(_ints(crops), dtype=np.int64).reshape(-1, 2)
    m = len(block)
    shape = list(x.shape)
    nb = int(np.prod(block))
    if shape[0] % nb:
        raise invalid("BatchToSpaceND", f"Input batch dimension ({shape[0]}) is not divisible "
                      f"by product of block sizes ({nb})")
    batch = shape[0] // nb
    y = reshape(x, block + [batch] + shape[1:])
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(2 * m + 1, len(shape) + m))
    y = transpose(y, perm)
    full = [shape[1 + i] * b for i, b in enumerate(block)]
    y = reshape(y, [batch] + full + shape[1 + m:])
    index = [slice(None)] + [slice(int(crops[i, 0]), full[i] - int(crops[i, 1]))
                             for i in range(m)]
    return y[tuple(index)]


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None,
                        data_format=None):
    """Run ``op(converted_input, num_spatial_dims, padding)`` as a dilated operation: the input
    is moved to the batch with ``space_to_batch_nd`` so that ``op`` runs undilated, then moved
    back.

    Args:
        input: a tensor, channels last.
        dilation_rate: the rate per spatial dim.
        padding: 'SAME' or 'VALID' (for 'SAME', ``filter_shape`` is needed).
        op: a callable ``(input, num_spatial_dims, padding) -> tensor``.
        filter_shape: the spatial dims of the filter.
        spatial_dims: the spatial axes (1 .. n by default).
        data_format: None or a channels-last format.

    Returns:
        The result of ``op`` on the dilated geometry.
    """
    x = _t(input)
    rate = _ints(dilation_rate)
    m = len(rate)
    if spatial_dims is not None and list(spatial_dims) != list(range(1, m + 1)):
        raise ValueError("tapeflow's with_space_to_batch supports spatial_dims 1 .. n only")
    if all(r == 1 for r in rate):
        return op(x, m, padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("filter_shape must be specified for SAME padding")
        fs = _ints(filter_shape)
        eff = [(f - 1) * r for f, r in zip(fs, rate)]
        base = [[e // 2, e - e // 2] for e in eff]
    elif padding == "VALID":
        base = [[0, 0]] * m
    else:
        raise ValueError(f"Invalid padding method {padding!r}")
    shape = [int(v) for v in x.shape[1:1 + m]]
    paddings, crops = required_space_to_batch_paddings(shape, rate, base)
    y = op(space_to_batch_nd(x, rate, paddings), m, "VALID")
    return batch_to_space(y, rate, crops)


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,
         dilations=None, name=None):
    """N-D max or average pooling, with dilated windows through ``with_space_to_batch``.

    Args:
        input: a ``[batch] + spatial + [channels]`` tensor (1 or 2 spatial dims).
        window_shape: the window per spatial dim.
        pooling_type: 'MAX' or 'AVG'.
        strides: the stride per spatial dim (1 by default; must be 1 with dilations > 1).
        padding: 'SAME' or 'VALID'.
        data_format: None or a channels-last format ('NWC', 'NHWC').
        dilations: the dilation per spatial dim.
        name: unused.

    Returns:
        The pooled tensor.
    """
    x = _t(input)
    window = _ints(window_shape)
    m = len(window)
    if x._v.ndim != m + 2:
        raise ValueError(f"Shape {tuple(x.shape)} must have rank {m + 2}")
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"{m}-D {pooling_type} pooling is not supported.")
    st = [1] * m if strides is None else _ints(strides)
    rate = [1] * m if dilations is None else _ints(dilations)
    if any(r > 1 for r in rate) and any(s > 1 for s in st):
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={np.asarray(st)} and dilation_rate="
                         f"{np.asarray(rate)}")
    fn = max_pool if pooling_type == "MAX" else avg_pool

    def run(v, num, pad_):
        return fn(v, window, st, pad_, data_format)

    if padding == "SAME" and any(r > 1 for r in rate):
        raise ValueError("pooling with 'SAME' padding is not implemented for `dilation_rate` "
                         f"> 1. Received: padding=SAME and dilation_rate={np.asarray(rate)}")
    return with_space_to_batch(x, rate, padding, run, filter_shape=window)


# -- fractional pooling ------------------------------------------------------------------------
def _pooling_sequence(size, ratio, rng, pseudo_random):
    """The window boundaries (length out + 1, from 0 to size) of a fractional pooling."""
    out = int(size / ratio)
    if out <= 0:
        raise invalid("FractionalMaxPool", "pooling_ratio is too large for the input")
    alpha = size / out
    if pseudo_random:
        u = rng.uniform(0.0, 1.0)
        seq = np.ceil(alpha * (np.arange(out + 1) + u)) - np.ceil(alpha * u)
        seq[-1] = size
        return seq.astype(np.int64)
    lo = int(np.floor(alpha))
    n_hi = size - lo * out
    steps = np.array([lo + 1] * n_hi + [lo] * (out - n_hi), dtype=np.int64)
    rng.shuffle(steps)
    return np.concatenate([[0], np.cumsum(steps)]).astype(np.int64)


def _fractional(value, pooling_ratio, pseudo_random, overlapping, seed, reduce_fn, opname):
    x = _t(value)
    ratio = [float(r) for r in pooling_ratio]
    if ratio[0] != 1.0 or ratio[-1] != 1.0 or len(ratio) != 4:
        raise ValueError("`pooling_ratio` should have first and last elements with value 1.0. "
                         f"Received: pooling_ratio={list(pooling_ratio)}")
    if any(r < 1.0 for r in ratio):
        raise ValueError("`pooling_ratio` elements should be >= 1.0. Received: "
                         f"pooling_ratio={list(pooling_ratio)}")
    if x._v.ndim != 4:
        raise invalid(opname, f"input must be 4-dimensional: {list(x.shape)}")
    rng = _rng(seed if seed else None, opname)
    n, h, w, c = (int(v) for v in x.shape)
    rows = _pooling_sequence(h, ratio[1], rng, pseudo_random)
    cols = _pooling_sequence(w, ratio[2], rng, pseudo_random)
    y = _pool_axis(x, rows, overlapping, 1, reduce_fn)
    y = _pool_axis(y, cols, overlapping, 2, reduce_fn)
    return y, wrap(rows), wrap(cols)


def _pool_axis(x, seq, overlapping, axis, reduce_fn):
    """Reduce ``x`` along ``axis`` over the windows [seq[i], seq[i+1]) (closed on the right
    when overlapping and not last)."""
    size = int(x.shape[axis])
    idx, ids = [], []
    for i in range(len(seq) - 1):
        end = min(int(seq[i + 1]) + (1 if overlapping else 0), size)
        for r in range(int(seq[i]), end):
            idx.append(r)
            ids.append(i)
    perm = [axis] + [d for d in range(x._v.ndim) if d != axis]
    moved = gather(transpose(x, perm), np.asarray(idx, np.int64))
    red = reduce_fn(moved, np.asarray(ids, np.int64), len(seq) - 1)
    return transpose(red, list(np.argsort(perm)))


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, seed=0,
                        name=None):
    """Max pooling over windows of random, non-integer average size.

    Args:
        value: a 4-D NHWC tensor.
        pooling_ratio: 4 floats ``[1.0, rh, rw, 1.0]``, each >= 1.
        pseudo_random: draw the window boundaries pseudo-randomly (else a random mix of the
            two window sizes).
        overlapping: windows share their boundary row and column.
        seed: an op seed (0: none).
        name: unused.

    Returns:
        ``(output, row_pooling_sequence, col_pooling_sequence)``; the sequences are int64.
        Which windows are drawn follows tapeflow's random streams, not TF's.
    """
    return _fractional(value, pooling_ratio, pseudo_random, overlapping, seed,
                       unsorted_segment_max, "FractionalMaxPool")


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, seed=0,
                        name=None):
    """Average pooling over windows of random, non-integer average size.

    Args:
        value: a 4-D NHWC tensor.
        pooling_ratio: 4 floats ``[1.0, rh, rw, 1.0]``, each >= 1.
        pseudo_random, overlapping, seed: as for ``fractional_max_pool``.
        name: unused.

    Returns:
        ``(output, row_pooling_sequence, col_pooling_sequence)``.
    """
    return _fractional(value, pooling_ratio, pseudo_random, overlapping, seed,
                       unsorted_segment_mean, "FractionalAvgPool")


# -- isotonic regression ------------------------------------------------------------------------
def _pava(row, decreasing):
    """Segment ids of the pool-adjacent-violators solution for one row."""
    v = -row if not decreasing else row
    means, counts, starts = [], [], []
    for i, val in enumerate(v.tolist()):
        means.append(val)
        counts.append(1)
        starts.append(i)
        while len(means) > 1 and means[-2] < means[-1]:
            m2, c2 = means.pop(), counts.pop()
            starts.pop()
            means[-1] = (means[-1] * counts[-1] + m2 * c2) / (counts[-1] + c2)
            counts[-1] += c2
    seg = np.zeros(len(v), np.int32)
    for k, (s, c) in enumerate(zip(starts, counts)):
        seg[s:s + c] = k
    return seg


def isotonic_regression(inputs, decreasing=True, axis=-1):
    """The least-squares monotone fit of each row of ``inputs`` along ``axis``.

    Args:
        inputs: a tensor (integers are fitted in float64, as TF).
        decreasing: fit a non-increasing sequence (else non-decreasing).
        axis: the axis along which each row runs.

    Returns:
        ``(output, segments)``: the fit (differentiable: each element is the mean of its
        segment) and the int32 segment ids of each row.
    """
    x = _t(inputs)
    if x._v.dtype.kind != "f":
        x = cast(x, dtypes.float64)
    nd = x._v.ndim
    if nd == 0:
        return x, wrap(np.zeros((), np.int32))
    axis = axis % nd
    perm = [d for d in range(nd) if d != axis] + [axis]
    moved = transpose(x, perm)
    shape = list(moved.shape)
    n = shape[-1]
    flat = reshape(moved, [-1, n])
    rows = to_host(flat._v)
    segs = np.stack([_pava(r, decreasing) for r in rows]) if rows.size else \
        np.zeros(rows.shape, np.int32)
    ids = (segs + (np.arange(rows.shape[0]) * n)[:, None]).astype(np.int64).ravel()
    means = unsorted_segment_mean(reshape(flat, [-1]), ids, rows.shape[0] * n)
    out = reshape(gather(means, ids), shape)
    back = list(np.argsort(perm))
    seg_t = wrap(segs.reshape(shape))
    return transpose(out, back), transpose(seg_t, back)


# -- CTC label helpers ---------------------------------------------------------------------------
def collapse_repeated(labels, seq_length, name=None):
    """Merge repeated neighbouring labels of each row.

    Args:
        labels: ``[batch, max_len]`` integer labels.
        seq_length: ``[batch]`` valid lengths.
        name: unused.

    Returns:
        ``(collapsed_labels, new_seq_length)``: the merged rows padded with 0 to the longest
        merged row, and their lengths (int32).
    """
    lab = _t(labels)
    a = to_host(lab._v)
    if a.ndim != 2:
        raise invalid("StridedSlice", f"Index out of range using input dim 1; input has only "
                      f"{a.ndim} dims")
    lens = np.asarray(_ints(seq_length))
    rows = []
    for r, n in zip(a, lens):
        r = r[:n]
        keep = np.ones(len(r), bool)
        keep[1:] = r[1:] != r[:-1]
        rows.append(r[keep])
    width = max([len(r) for r in rows] + [0])
    out = np.zeros((a.shape[0], width), a.dtype)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return wrap(out), wrap(np.asarray([len(r) for r in rows], np.int32))


def ctc_unique_labels(labels, name=None):
    """The unique labels of each row, in order of first appearance, and where each label
    of the row sits among them.

    Args:
        labels: ``[batch, max_len]`` integer labels (0 is padding).
        name: unused.

    Returns:
        ``(unique, indices)``: int64 unique labels padded with 0 to ``max_len``, and int32
        indices of each label in its row's unique list.
    """
    a = to_host(_t(labels)._v)
    uniq = np.zeros(a.shape, np.int64)
    idx = np.zeros(a.shape, np.int32)
    for i, row in enumerate(a):
        seen = {}
        for j, v in enumerate(row.tolist()):
            if v not in seen:
                seen[v] = len(seen)
            idx[i, j] = seen[v]
        uniq[i, :len(seen)] = list(seen)
    return wrap(uniq), wrap(idx)


# -- tf.nn.experimental --------------------------------------------------------------------------
def _drop_with(x, rate, noise_shape, uniform):
    x = _t(x)
    if x._v.dtype.kind != "f":
        raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={x.dtype}")
    rate = float(rate.numpy() if isinstance(rate, TensorBase) else rate)
    if not 0 <= rate < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate={rate}")
    shape = list(x.shape) if noise_shape is None else _ints(noise_shape)
    u = uniform(shape, x.dtype)
    keep = wrap((to_host(_t(u)._v) >= rate).astype(x._v.dtype))
    return multiply(x, keep * (1.0 / (1.0 - rate)) if rate else keep)


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """Dropout whose mask depends only on ``seed`` (shape [2]).

    Args:
        x: a float tensor.
        rate: the probability of dropping each element.
        seed: two ints.
        rng_alg: accepted, unused (tapeflow has one generator).
        noise_shape: the shape of the mask, broadcast against ``x``.
        name: unused.

    Returns:
        ``x`` with dropped elements zeroed and the rest scaled by ``1 / (1 - rate)``.
    """
    def uniform(shape, dtype):
        return _stateless_rng(seed, "dropout").random(size=shape)
    return _drop_with(x, rate, noise_shape, uniform)


def general_dropout(x, rate, uniform_sampler, noise_shape=None, name=None):
    """Dropout with a caller's sampler of uniform [0, 1) values.

    Args:
        x: a float tensor.
        rate: the probability of dropping each element.
        uniform_sampler: a callable ``(shape, dtype) -> tensor`` of uniform values.
        noise_shape: the shape of the mask.
        name: unused.

    Returns:
        ``x`` with dropped elements zeroed and the rest scaled by ``1 / (1 - rate)``.
    """
    return _drop_with(x, rate, noise_shape, uniform_sampler)


class experimental:  # TF's name: the ``tf.nn.experimental`` namespace
    """``tf.nn.experimental``: dropout with a stateless seed or a caller's sampler."""

    stateless_dropout = staticmethod(stateless_dropout)
    general_dropout = staticmethod(general_dropout)

