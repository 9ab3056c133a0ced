"""``tf.quantization``: simulated quantization of float tensors (``fake_quant_*``,
``quantize_and_dequantize*``) with TF's straight-through gradients. TF's ``quantize``,
``dequantize`` and ``quantized_concat`` produce and take the quantized dtypes (qint8...),
which tapeflow does not have."""
from .. import dtypes
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..ops._core import Op, apply
from ..ops.math import cast
from ..tensor import TensorBase, convert_to_tensor

__all__ = ["fake_quant_with_min_max_args", "fake_quant_with_min_max_args_gradient",
           "fake_quant_with_min_max_vars", "fake_quant_with_min_max_vars_gradient",
           "fake_quant_with_min_max_vars_per_channel",
           "fake_quant_with_min_max_vars_per_channel_gradient", "quantize_and_dequantize",
           "quantize_and_dequantize_v2"]


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


def _nudge(xp, lo, hi, num_bits, narrow_range):
    """TF's nudged (min, max, scale): the range moved so that zero is exactly
    representable."""
    qmin = 1.0 if narrow_range else 0.0
    qmax = float(2 ** num_bits - 1)
    lo = xp.asarray(lo, xp.float32)
    hi = xp.asarray(hi, xp.float32)
    scale = ((hi - lo) / xp.float32(qmax - qmin)).astype(xp.float32)
    zero = (xp.float32(qmin) - lo / scale).astype(xp.float32)
    nudged = xp.where(zero < qmin, qmin, xp.where(zero > qmax, qmax, xp.floor(zero + 0.5)))
    nudged = nudged.astype(xp.float32)
    return ((qmin - nudged) * scale).astype(xp.float32), \
        ((qmax - nudged) * scale).astype(xp.float32), scale


def _fake_quant(x, lo, hi, num_bits, narrow_range):
    xp = xp_of(x)
    nmin, nmax, scale = _nudge(xp, lo, hi, num_bits, narrow_range)
    # NOTE: TF's per-tensor kernels fuse each multiply-add (one rounding): a float64
    # multiply-add rounded once to float32 gives the same numbers. Its per-channel kernel
    # rounds after each step.
    f64 = xp.float64 if lo.ndim == 0 else xp.float32
    inv = (xp.float32(1.0) / scale).astype(xp.float32)
    shifted = (xp.minimum(xp.maximum(x, nmin), nmax) - nmin).astype(xp.float32)
    q = xp.floor((shifted.astype(f64) * inv + 0.5).astype(xp.float32))
    out = q.astype(f64) * scale.astype(f64) + nmin.astype(f64)
    return out.astype(xp.float32), nmin, nmax


def _check_bits(num_bits):
    if not 2 <= num_bits <= 16:
        raise InvalidArgumentError(None, "FakeQuantWithMinMaxArgs", f"num_bits is out of range,"
                                   f" expected between 2 and 16, was: {num_bits}")


def _float_input(x, op):
    """``x`` as a float32 tensor: Python and NumPy values convert, a tensor of another dtype
    is refused (ValueError for the fixed-range op, InvalidArgumentError for the others, as
    TF)."""
    if not isinstance(x, TensorBase):
        from ..backend import host as np  # deferred: only non-tensor inputs need it
        return convert_to_tensor(np.asarray(x, np.float32))
    if x.dtype != dtypes.float32:
        if op == "FakeQuantWithMinMaxArgs":
            raise ValueError(f"Tensor conversion requested dtype float32 for Tensor with dtype "
                             f"{x.dtype.name}: {x!r}")
        raise InvalidArgumentError(None, op, f"cannot compute {op} as input #0(zero-based) was "
                                   f"expected to be a float tensor but is a "
                                   f"{x.dtype.name} tensor [Op:{op}]")
    return x


# -- fixed range --------------------------------------------------------------------------------
def _args_fwd(x, lo, hi, num_bits, narrow_range):
    xp = xp_of(x)
    return _fake_quant(x, xp.float32(lo), xp.float32(hi), num_bits, narrow_range)[0]


def _args_backprop(x, g, lo, hi, num_bits, narrow_range):
    xp = xp_of(x)
    nmin, nmax, _ = _nudge(xp, lo, hi, num_bits, narrow_range)
    return (g * ((x >= nmin) & (x <= nmax))).astype(g.dtype)


def _args_grad(n, g):
    return (apply(ARGS_GRAD, (g, n.inputs[0]), n.attrs),)


ARGS = Op("FakeQuantWithMinMaxArgs", _args_fwd, _args_grad, "f")
ARGS_GRAD = Op("FakeQuantWithMinMaxArgsGradient",
               lambda g, x, **a: _args_backprop(x, g, **a), None, "f")


def _range_check(lo, hi, op):
    if lo > hi:
        raise InvalidArgumentError(None, op, f"min has to be smaller or equal than max, was: "
                                   f"{lo}, {hi} [Op:{op}]")


def fake_quant_with_min_max_args(inputs, min=-6, max=6, num_bits=8, narrow_range=False,
                                 name=None):
    """Quantize float32 ``inputs`` to ``num_bits`` levels over ``[min, max]`` (nudged so
    zero is exact) and back; the gradient passes where the input lies in range.

    Args:
      inputs: float32 tensor.
      min, max: the range (Python floats).
      num_bits: 2 to 16.
      narrow_range: use ``[1, 2^num_bits - 1]`` instead of ``[0, 2^num_bits - 1]``.
      name: ignored.

    Returns:
      float32 tensor of ``inputs``' shape.
    """
    x = _float_input(inputs, "FakeQuantWithMinMaxArgs")
    _check_bits(num_bits)
    _range_check(min, max, "FakeQuantWithMinMaxArgs")
    return apply(ARGS, (x,), {"lo": float(min), "hi": float(max), "num_bits": int(num_bits),
                              "narrow_range": bool(narrow_range)})


def fake_quant_with_min_max_args_gradient(gradients, inputs, min=-6, max=6, num_bits=8,
                                          narrow_range=False, name=None):
    """The backprop of ``fake_quant_with_min_max_args``: ``gradients`` where ``inputs`` is
    within the nudged range, else 0."""
    g = _float_input(gradients, "FakeQuantWithMinMaxArgsGradient")
    x = _float_input(inputs, "FakeQuantWithMinMaxArgsGradient")
    _check_bits(num_bits)
    return apply(ARGS_GRAD, (g, x), {"lo": float(min), "hi": float(max),
                                     "num_bits": int(num_bits),
                                     "narrow_range": bool(narrow_range)})


# -- ranges as tensors (per tensor or per channel) ----------------------------------------------
def _vars_fwd(x, lo, hi, num_bits, narrow_range):
    return _fake_quant(x, lo, hi, num_bits, narrow_range)[0]


def _vars_backprops(g, x, lo, hi, num_bits, narrow_range):
    """(d inputs, d min, d max): below the range the gradient goes to min, above to max."""
    xp = xp_of(x)
    nmin, nmax, _ = _nudge(xp, lo, hi, num_bits, narrow_range)
    below, above = x < nmin, x > nmax
    gx = (g * ~(below | above)).astype(g.dtype)
    axes = tuple(range(x.ndim - lo.ndim))
    gmin = (g * below).sum(axis=axes).astype(g.dtype)
    gmax = (g * above).sum(axis=axes).astype(g.dtype)
    return gx, gmin, gmax


def _vars_grad(n, g):
    x, lo, hi = n.inputs
    gx, gmin, gmax = _vars_backprops(g._v, x._v, lo._v, hi._v, **n.attrs)
    return tuple(convert_to_tensor(v) for v in (gx, gmin, gmax))


VARS = Op("FakeQuantWithMinMaxVars", _vars_fwd, _vars_grad, "f")


def _vars(inputs, min, max, num_bits, narrow_range, per_channel):
    op = "FakeQuantWithMinMaxVarsPerChannel" if per_channel else "FakeQuantWithMinMaxVars"
    x, lo, hi = _float_input(inputs, op), _t(min, dtypes.float32), _t(max, dtypes.float32)
    _check_bits(num_bits)
    want = (x.shape[-1],) if per_channel else ()
    for t, what in ((lo, "min"), (hi, "max")):
        if tuple(t.shape) != want:
            kind = "rank 1" if per_channel else "a scalar"
            raise InvalidArgumentError(None, op, f"{what} must be {kind} of shape "
                                       f"{list(want)}, got {list(t.shape)} [Op:{op}]")
    return x, lo, hi


def fake_quant_with_min_max_vars(inputs, min, max, num_bits=8, narrow_range=False, name=None):
    """``fake_quant_with_min_max_args`` with the range as scalar tensors (variables, say),
    which receive gradients from the inputs that fall below or above it.

    Args:
      inputs: float32 tensor.
      min, max: float32 scalars.
      num_bits, narrow_range: as ``fake_quant_with_min_max_args``.
      name: ignored.

    Returns:
      float32 tensor of ``inputs``' shape.
    """
    x, lo, hi = _vars(inputs, min, max, num_bits, narrow_range, False)
    return apply(VARS, (x, lo, hi), {"num_bits": int(num_bits),
                                     "narrow_range": bool(narrow_range)})


def fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits=8, narrow_range=False,
                                             name=None):
    """``fake_quant_with_min_max_vars`` with one range per channel (the last dimension).

    Args:
      inputs: float32 tensor ``[..., d]``.
      min, max: float32 ``[d]``.
      num_bits, narrow_range: as ``fake_quant_with_min_max_args``.
      name: ignored.

    Returns:
      float32 tensor of ``inputs``' shape.
    """
    x, lo, hi = _vars(inputs, min, max, num_bits, narrow_range, True)
    return apply(VARS, (x, lo, hi), {"num_bits": int(num_bits),
                                     "narrow_range": bool(narrow_range)})


def _vars_gradient(gradients, inputs, min, max, num_bits, narrow_range, per_channel):
    x, lo, hi = _vars(inputs, min, max, num_bits, narrow_range, per_channel)
    g = _float_input(gradients, "FakeQuantWithMinMaxVarsGradient")
    out = _vars_backprops(g._v, x._v, lo._v, hi._v, int(num_bits), bool(narrow_range))
    return tuple(convert_to_tensor(v) for v in out)


def fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits=8,
                                          narrow_range=False, name=None):
    """The backprops of ``fake_quant_with_min_max_vars``: ``(d inputs, d min, d max)``."""
    return _vars_gradient(gradients, inputs, min, max, num_bits, narrow_range, False)


def fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, num_bits=8,
                                                      narrow_range=False, name=None):
    """The backprops of ``fake_quant_with_min_max_vars_per_channel``: ``(d inputs, d min [d],
    d max [d])``."""
    return _vars_gradient(gradients, inputs, min, max, num_bits, narrow_range, True)


# -- quantize and dequantize --------------------------------------------------------------------
def _qdq_fwd(x, lo, hi, signed_input, num_bits, range_given, round_mode, narrow_range, axis):
    xp = xp_of(x)
    if axis is None:
        lo = lo if range_given else x.min()
        hi = hi if range_given else x.max()
    else:
        red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
        lo = lo if range_given else x.min(axis=red)
        hi = hi if range_given else x.max(axis=red)
    t = x.dtype.type
    lo = xp.asarray(lo, x.dtype)
    hi = xp.asarray(hi, x.dtype)
    if signed_input:
        qmin = -(2.0 ** (num_bits - 1)) + (1 if narrow_range else 0)
        qmax = 2.0 ** (num_bits - 1) - 1
    else:
        qmin, qmax = 0.0, 2.0 ** num_bits - 1
    qmin, qmax = t(qmin), t(qmax)
    big = xp.finfo(x.dtype).max
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        from_min = xp.where(qmin * lo > 0, qmin / lo, big).astype(x.dtype)
        from_max = xp.where(qmax * hi > 0, qmax / hi, big).astype(x.dtype)
    use_min = from_min < from_max
    scale = xp.where(use_min, from_min, from_max)
    with xp.errstate(divide="ignore", invalid="ignore"):
        inverse = xp.where(use_min, lo / qmin, hi / qmax).astype(x.dtype)
    hi = xp.where(use_min, qmax * inverse, hi).astype(x.dtype)
    lo = xp.where(use_min, lo, qmin * inverse).astype(x.dtype)
    if axis is not None:
        shape = [1] * x.ndim
        shape[axis % x.ndim] = -1
        lo, hi, scale, inverse = (v.reshape(shape) for v in (lo, hi, scale, inverse))
    v = x
    if range_given:
        v = xp.clip(v, lo, hi)
    v = (v * scale).astype(x.dtype)
    q = xp.round(v) if round_mode == "HALF_TO_EVEN" else xp.floor(v + 0.5)
    return (q * inverse).astype(x.dtype)


def _qdq_grad(n, g):
    x, lo, hi = n.inputs
    xp = xp_of(x._v)
    lo_v, hi_v = lo._v, hi._v
    if n.attrs["axis"] is not None:
        shape = [1] * x._v.ndim
        shape[n.attrs["axis"] % x._v.ndim] = -1
        lo_v, hi_v = lo_v.reshape(shape), hi_v.reshape(shape)
    keep = (x._v >= lo_v) & (x._v <= hi_v)
    return (convert_to_tensor(xp.where(keep, g._v, 0).astype(g._v.dtype)),
            None, None)


def _qdq_forward_only(x, lo, hi, **attrs):
    return _qdq_fwd(x, lo, hi, **attrs)


QDQ = Op("QuantizeAndDequantizeV4", _qdq_forward_only, _qdq_grad, "f", same_dtype=False)


def quantize_and_dequantize_v2(input, input_min, input_max, signed_input=True, num_bits=8,
                               range_given=False, round_mode="HALF_TO_EVEN", name=None,
                               narrow_range=False, axis=None):
    """Quantize to ``num_bits`` integers with one scale (per tensor, or per slice along
    ``axis``) and back; the gradient passes inside ``[input_min, input_max]``.

    Args:
      input: float tensor.
      input_min, input_max: the range (used when ``range_given``; else the data's).
      signed_input: signed or unsigned integer levels.
      num_bits: bits per level.
      range_given: use ``input_min``/``input_max`` instead of the data's range.
      round_mode: ``"HALF_TO_EVEN"`` or ``"HALF_UP"``.
      name: ignored.
      narrow_range: drop the most negative signed level.
      axis: optional axis of per-slice ranges.

    Returns:
      Tensor of ``input``'s shape and dtype.
    """
    x = _t(input)
    if round_mode not in ("HALF_TO_EVEN", "HALF_UP"):
        raise InvalidArgumentError(None, "QuantizeAndDequantizeV4", f"Round mode string must "
                                   f"be 'HALF_UP' or 'HALF_TO_EVEN', is '{round_mode}'")
    lo, hi = cast(_t(input_min), x.dtype), cast(_t(input_max), x.dtype)
    if axis is not None and range_given:
        # NOTE: TF 2.21 refuses every per-axis given range (scalar or not): match it
        raise InvalidArgumentError(None, "QuantizeAndDequantizeV4", "input_min must be a "
                                   "scalar. [Op:QuantizeAndDequantizeV4]")
    return apply(QDQ, (x, lo, hi), {"signed_input": bool(signed_input),
                                    "num_bits": int(num_bits),
                                    "range_given": bool(range_given),
                                    "round_mode": round_mode,
                                    "narrow_range": bool(narrow_range), "axis": axis})


def quantize_and_dequantize(input, input_min, input_max, signed_input=True, num_bits=8,
                            range_given=False, round_mode="HALF_TO_EVEN", name=None,
                            narrow_range=False, axis=None):
    """The deprecated spelling of ``quantize_and_dequantize_v2`` (same arguments and
    results)."""
    return quantize_and_dequantize_v2(input, input_min, input_max, signed_input, num_bits,
                                      range_given, round_mode, name, narrow_range, axis)
