"""``tf.signal``'s N-dimensional Fourier transforms over chosen axes (``fftnd``, ``ifftnd``,
``rfftnd``, ``irfftnd``, with ``fft_length``, ``axes`` and ``norm``) and the modified DCT
(``mdct``, ``inverse_mdct``).

Each N-D transform is a chain of the 1-D transforms of ``ops/spectral.py``, one axis at a time
(the axis moved innermost and back), so gradients come from those ops' rules.
"""
import math

from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.array import concat, transpose
from ..ops.array import slice as _slice
from ..ops.indexing import pad, reverse, split
from ..ops.math import as_t, cast
from ..tensor import TensorBase, convert_to_tensor
from ._fft import fft, ifft, irfft, rfft
from ._frames import _int, frame, overlap_and_add, vorbis_window
from ._mel import dct

__all__ = ["fftnd", "ifftnd", "rfftnd", "irfftnd", "mdct", "inverse_mdct"]


def _convert(x, preferred):
    """TF's ``convert_to_tensor(x, preferred_dtype=...)``: Python and NumPy values take the
    preferred dtype when they can, tensors keep theirs."""
    if isinstance(x, TensorBase):
        return x
    return convert_to_tensor(x, dtype_hint=preferred)


def _ints(v, what):
    v = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
    if v.ndim != 1:
        raise ValueError(f"Shape {tuple(v.shape)} must have rank 1 ({what})")
    return [int(d) for d in v]


def _plan(x, fft_length, axes, opname, inverse_real=False):
    """Normalised axes and transform lengths, checked as the FFTND kernels check them."""
    nd = x._v.ndim
    shape = list(x._v.shape)
    axes = list(range(nd)) if axes is None else _ints(axes, "axes")
    for a in axes:
        if not -nd <= a < nd:
            raise InvalidArgumentError(
                None, opname, f"axes {axes} out of range for an input of rank {nd} "
                f"[Op:{opname}]")
    axes = [a % nd for a in axes]
    if len(set(axes)) != len(axes):
        raise InvalidArgumentError(None, opname, f"axes {axes} must be unique [Op:{opname}]")
    if fft_length is None:
        lengths = [shape[a] for a in axes]
        if inverse_real and lengths:
            lengths[-1] = max(0, 2 * (lengths[-1] - 1))
    else:
        lengths = _ints(fft_length, "fft_length")
        if len(lengths) != len(axes):
            raise InvalidArgumentError(
                None, opname, f"fft_length {lengths} and axes {axes} must have the same number "
                f"of elements [Op:{opname}]")
    if any(n < 0 for n in lengths):
        raise InvalidArgumentError(None, opname, f"fft_length {lengths} must be non-negative "
                                   f"[Op:{opname}]")
    return axes, lengths


def _fit_axes(x, axes, lengths):
    """``x`` cut or zero-padded at the end of each of ``axes`` to ``lengths``."""
    shape = list(x._v.shape)
    size = list(shape)
    padding = [[0, 0] for _ in shape]
    for a, n in zip(axes, lengths):
        size[a] = min(shape[a], n)
        padding[a][1] = max(n - shape[a], 0)
    if size != shape:
        x = _slice(x, [0] * len(shape), size)
    if any(p for _, p in padding):
        x = pad(x, padding)
    return x


def _along(x, axis, fn):
    """``fn`` (a transform over the innermost axis) applied along ``axis``."""
    nd = x._v.ndim
    if axis == nd - 1:
        return fn(x)
    perm = list(range(nd))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return transpose(fn(transpose(x, perm)), perm)


def _scale(x, norm, lengths, inverse):
    n = 1
    for d in lengths:
        n *= d
    if norm in (None, "backward") or n == 0:
        return x
    factor = float(n) if norm == "forward" else math.sqrt(n) if norm == "ortho" else 1.0
    return x * (factor if inverse else 1.0 / factor)


def _complex_nd(inverse):
    opname = "IFFTND" if inverse else "FFTND"
    one = ifft if inverse else fft

    def transform(input_tensor, fft_length=None, axes=None, norm=None, name=None):
        x = _convert(input_tensor, "complex64")
        if x._v.dtype.kind != "c":
            raise InvalidArgumentError(
                None, opname, f"Value for attr 'Tcomplex' of {x.dtype.name} is not in the list "
                f"of allowed values: complex64, complex128 [Op:{opname}]")
        axes, lengths = _plan(x, fft_length, axes, opname)
        x = _scale(_fit_axes(x, axes, lengths), norm, lengths, inverse)
        for a in axes:
            x = _along(x, a, one)
        return x

    transform.__name__ = opname.lower()
    transform.__doc__ = (f"The {'inverse ' if inverse else ''}N-dimensional discrete Fourier "
                         "transform over ``axes`` (all by default), each cut or zero-padded to "
                         "its ``fft_length``; ``norm`` is None/'backward', 'forward' or "
                         "'ortho'.")
    return transform


fftnd, ifftnd = _complex_nd(False), _complex_nd(True)


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The N-D DFT of a real signal over ``axes``, keeping ``fft_length[-1] // 2 + 1``
    non-negative frequencies along the last of them."""
    x = _convert(input_tensor, "float32")
    if x._v.dtype not in (np.float32, np.float64):
        raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x!s}")
    axes, lengths = _plan(x, fft_length, axes, "RFFTND")
    x = _scale(_fit_axes(x, axes, lengths), norm, lengths, False)
    if not axes:
        return cast(x, "complex64" if x._v.dtype == np.float32 else "complex128")
    x = _along(x, axes[-1], rfft)
    for a in axes[:-1]:
        x = _along(x, a, fft)
    return x


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The inverse of ``rfftnd``: a real signal of ``fft_length`` samples along ``axes`` from
    the non-negative frequencies of the last axis."""
    x = _convert(input_tensor, "complex64")
    if x._v.dtype.kind != "c":
        raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: {x!s}")
    axes, lengths = _plan(x, fft_length, axes, "IRFFTND", inverse_real=True)
    if not axes:
        return x
    half = lengths[:-1] + [lengths[-1] // 2 + 1]
    x = _scale(_fit_axes(x, axes, half), norm, lengths, True)
    for a in axes[:-1]:
        x = _along(x, a, ifft)
    last = lengths[-1]
    return _along(x, axes[-1], lambda t: irfft(t, fft_length=[last]))


# -- the modified discrete cosine transform ----------------------------------------------------
def _check_norm(norm):
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """The MDCT of frames of ``frame_length`` samples (a multiple of 4) half a frame apart:
    ``[..., frames, frame_length // 2]``. ``window_fn=None`` scales by ``1 / sqrt(2)``."""
    x = as_t(signals)
    if x._v.ndim < 1:
        raise ValueError(f"Shape {x.shape} must have rank at least 1")
    v = frame_length.numpy() if hasattr(frame_length, "numpy") else frame_length
    if np.ndim(v) != 0:
        raise ValueError(f"Shape {tuple(np.shape(v))} must have rank 0")
    length = _int(v, "frame_length")
    if length % 4 != 0:
        raise ValueError("The frame length must be a multiple of 4.")
    framed = frame(x, length, length // 2, pad_end=pad_end)
    if window_fn is not None:
        framed = framed * window_fn(length, dtype=framed.dtype)
    else:
        framed = framed * (1.0 / math.sqrt(2.0))
    q = split(framed, 4, axis=-1)
    first = -reverse(q[2], [-1]) - q[3]
    second = q[0] - reverse(q[1], [-1])
    return dct(concat([first, second], -1), type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The inverse MDCT, windowed and overlap-added: ``[..., (frames - 1) * half + 2 * half]``
    samples from ``[..., frames, half]`` bins."""
    x = as_t(mdcts)
    if x._v.ndim < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    _check_norm(norm)
    half = x._v.shape[-1]
    if norm is None:
        spec = dct(x, type=4) * (0.5 / half)
    else:
        spec = dct(x, type=4, norm="ortho")
    a, b = split(spec, 2, axis=-1)
    frames = concat([b, -reverse(b, [-1]), -reverse(a, [-1]), -a], -1)
    if window_fn is not None:
        frames = frames * window_fn(2 * half, dtype=x.dtype)
    else:
        frames = frames * (1.0 / math.sqrt(2.0))
    return overlap_and_add(frames, half)
