"""Discrete Fourier transforms over the innermost axes (complex FFT, real-input RFFT and its
inverse IRFFT, in 1, 2 and 3 dimensions) and framing a signal into overlapping windows
(``Frame``) with its adjoint (``OverlapAndAdd``). Each op's gradient follows TF's complex
convention: the adjoint transform of the upstream gradient.

The ops take inputs already cut or padded to the transform's length; the public functions
(``tapeflow/signal``) check dtypes and shapes and do the cutting and padding with recorded ops.
"""
from ..backend import xp_of
from ..tensor import const
from ._core import Op, apply
from .indexing import pad
from .math import real


def _axes(rank):
    return tuple(range(-rank, 0))


def _size(shape, rank):
    n = 1
    for d in shape[len(shape) - rank:]:
        n *= d
    return n


def _complex_of(real_dtype):
    return "complex64" if real_dtype.itemsize == 4 else "complex128"


def _real_of(complex_dtype):
    return "float32" if complex_dtype.itemsize == 8 else "float64"


# -- complex to complex -----------------------------------------------------------------------
def _fft_fwd(inverse, rank):
    def fwd(a):
        if a.size == 0:
            return a.copy()
        fft = xp_of(a).fft
        out = (fft.ifftn if inverse else fft.fftn)(a, axes=_axes(rank))
        return out.astype(a.dtype, copy=False)

    return fwd


def _fft_grad(inverse, rank):
    # NOTE: the adjoint of the DFT is n times the inverse DFT (and the adjoint of the inverse
    # is the DFT over n): TF's gradient of a linear complex map is its adjoint applied to g.
    def grad(n, g):
        size = _size(g._v.shape, rank)
        if inverse:
            return (apply(FFTS[rank], (g,), {}) * (1.0 / max(size, 1)),)
        return (apply(IFFTS[rank], (g,), {}) * float(size),)

    return grad


FFTS = {r: Op(f"FFT{'' if r == 1 else f'{r}D'}", _fft_fwd(False, r), _fft_grad(False, r), "c")
        for r in (1, 2, 3)}
IFFTS = {r: Op(f"IFFT{'' if r == 1 else f'{r}D'}", _fft_fwd(True, r), _fft_grad(True, r), "c")
         for r in (1, 2, 3)}


# -- real to complex and back -----------------------------------------------------------------
def _rfft_fwd(a, rank):
    out_dtype = _complex_of(a.dtype)
    if a.size == 0:
        shape = a.shape[:-1] + ((a.shape[-1] // 2 + 1) if a.shape[-1] else 0,)
        return xp_of(a).zeros(shape, out_dtype)
    return xp_of(a).fft.rfftn(a, axes=_axes(rank)).astype(out_dtype, copy=False)


def _rfft_grad(n, g):
    """For a real input x: the real part of the adjoint of the one-sided DFT, i.e. of
    ``size * ifftn(g)`` with g extended by zeros over the dropped (conjugate) half."""
    rank = n.attrs["rank"]
    length = n.inputs[0]._v.shape[-1]
    missing = length - g._v.shape[-1]
    full = g
    if missing > 0:
        full = pad(g, [[0, 0]] * (g._v.ndim - 1) + [[0, missing]])
    size = _size(n.inputs[0]._v.shape, rank)
    return (real(apply(IFFTS[rank], (full,), {}) * float(size)),)


def _irfft_fwd(a, rank, lengths):
    out_dtype = _real_of(a.dtype)
    if _size(lengths, len(lengths)) == 0 or a.size == 0:
        return xp_of(a).zeros(a.shape[:-rank] + tuple(lengths), out_dtype)
    out = xp_of(a).fft.irfftn(a, s=lengths, axes=_axes(rank))
    return out.astype(out_dtype, copy=False)


def _irfft_grad(n, g):
    """rfftn(g) / size with the bins that stand for two (a bin and its conjugate mirror)
    counted twice: all but bin 0 and, for an even length, the last one (TF's mask)."""
    rank, lengths = n.attrs["rank"], n.attrs["lengths"]
    spec = apply(RFFT, (g,), {"rank": rank})
    bins = spec._v.shape[-1]
    mask = xp_of(g._v).full((bins,), 2.0, spec._v.dtype)
    mask[0] = 1.0
    if lengths[-1] % 2 == 0:
        mask[-1] = 1.0
    mask /= max(_size(lengths, rank), 1)
    return (spec * const(mask),)


RFFT = Op("RFFT", _rfft_fwd, _rfft_grad, "f")
IRFFT = Op("IRFFT", _irfft_fwd, _irfft_grad, "c")


# -- framing ----------------------------------------------------------------------------------
def frame_count(n, length, step):
    """Whole frames of ``length`` samples ``step`` apart in ``n`` samples."""
    return 0 if n < length else (n - length) // step + 1


def _frame_fwd(a, length, step, axis, count):
    xp = xp_of(a)
    moved = xp.moveaxis(a, axis, -1)
    idx = step * xp.arange(count)[:, None] + xp.arange(length)[None, :]
    out = moved[..., idx]  # [..., frames, length]
    return xp.moveaxis(out, (-2, -1), (axis, axis + 1))


def _frame_grad(n, g):
    a = n.attrs
    return (apply(OVERLAP_ADD, (g,), {"step": a["step"], "axis": a["axis"],
                                      "n": n.inputs[0]._v.shape[a["axis"]]}),)


def _overlap_fwd(a, step, axis, n):
    """Sum frames ``a[..., f, :]`` (at ``axis``, ``axis + 1``) into a signal of length n with
    frame f starting at f * step: one strided add per block of ``step`` columns."""
    xp = xp_of(a)
    frames = xp.moveaxis(a, (axis, axis + 1), (-2, -1))
    count, length = frames.shape[-2], frames.shape[-1]
    lead = frames.shape[:-2]
    out = xp.zeros(lead + (max(n, count * step + length),), a.dtype)
    for j in range(0, length, step):
        block = frames[..., j:j + step]
        w = block.shape[-1]
        if w < step:
            block = xp.concatenate([block, xp.zeros(lead + (count, step - w), a.dtype)], -1)
        out[..., j:j + count * step] += block.reshape(lead + (count * step,))
    return xp.moveaxis(out[..., :n], -1, axis)


def _overlap_grad(n, g):
    a = n.attrs
    frames = n.inputs[0]._v.shape
    return (apply(FRAME, (g,), {"length": frames[a["axis"] + 1], "step": a["step"],
                                "axis": a["axis"], "count": frames[a["axis"]]}),)


FRAME = Op("Frame", _frame_fwd, _frame_grad, None)
OVERLAP_ADD = Op("OverlapAndAdd", _overlap_fwd, _overlap_grad, None)

__all__ = []
