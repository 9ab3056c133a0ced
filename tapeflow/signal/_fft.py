"""``tf.signal``'s Fourier transforms: ``fft``/``ifft`` (1-3 D), ``rfft``/``irfft`` (1-3 D,
with ``fft_length``), ``fftshift``/``ifftshift``."""
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops._core import apply
from ..ops.array import slice as _slice
from ..ops.indexing import pad, roll
from ..ops.math import as_t
from ..ops.spectral import FFTS, IFFTS, IRFFT, RFFT

__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d",
           "irfft2d", "rfft3d", "irfft3d", "fftshift", "ifftshift"]


def _complex_input(x, rank, opname):
    x = as_t(x)
    shape = list(x._v.shape)
    if x._v.dtype.kind != "c":
        raise InvalidArgumentError(
            None, opname, f"Value for attr 'Tcomplex' of {x.dtype.name} is not in the list of "
            f"allowed values: complex64, complex128 (input shape {shape}) [Op:{opname}]")
    if len(shape) < rank:
        raise InvalidArgumentError(
            None, opname, f"Input must have rank of at least {rank} but got: {shape} "
            f"[Op:{opname}]")
    return x


def _c2c(rank, inverse):
    op = (IFFTS if inverse else FFTS)[rank]

    def transform(input, name=None):
        return apply(op, (_complex_input(input, rank, op.name),), {})

    transform.__name__ = op.name.lower()
    transform.__doc__ = (f"The {'inverse ' if inverse else ''}discrete Fourier transform over "
                         f"the innermost {rank} ax{'is' if rank == 1 else 'es'}.")
    return transform


fft, ifft = _c2c(1, False), _c2c(1, True)
fft2d, ifft2d = _c2c(2, False), _c2c(2, True)
fft3d, ifft3d = _c2c(3, False), _c2c(3, True)


def _lengths(fft_length, rank):
    v = np.asarray(fft_length.numpy() if hasattr(fft_length, "numpy") else fft_length)
    if v.ndim != 1:
        raise TypeError(f"fft_length must be a list of {rank} integers, got {fft_length!r}")
    if v.shape[0] != rank:
        raise ValueError(f"fft_length must have {rank} elements, got {v.shape[0]}")
    return [int(d) for d in v]


def _fit(x, lengths):
    """``x`` with its innermost axes cut or zero-padded (at the end) to ``lengths``."""
    shape = list(x._v.shape)
    lead = len(shape) - len(lengths)
    inner = shape[lead:]
    if inner == list(lengths):
        return x
    if any(d > n for d, n in zip(inner, lengths)):
        size = shape[:lead] + [min(d, n) for d, n in zip(inner, lengths)]
        x = _slice(x, [0] * len(shape), size)
    if any(d < n for d, n in zip(inner, lengths)):
        padding = [[0, 0]] * lead + [[0, max(n - d, 0)] for d, n in zip(inner, lengths)]
        x = pad(x, padding)
    return x


def _real_input(x, rank, opname):
    x = as_t(x)
    if x._v.dtype not in (np.float32, np.float64):
        raise ValueError(f"{opname} requires tf.float32 or tf.float64 inputs, got: {x!s}")
    if x._v.ndim < rank:
        raise ValueError(f"Shape {x.shape} must have rank at least {rank}")
    return x


def _r2c(rank):
    opname = "RFFT" if rank == 1 else f"RFFT{rank}D"

    def transform(input_tensor, fft_length=None, name=None):
        x = _real_input(input_tensor, rank, opname)
        if fft_length is not None:
            x = _fit(x, _lengths(fft_length, rank))
        return apply(RFFT, (x,), {"rank": rank})

    transform.__name__ = opname.lower()
    transform.__doc__ = (f"The discrete Fourier transform of a real signal over the innermost "
                         f"{rank} axes, keeping the non-negative frequencies of the last one "
                         f"(``fft_length // 2 + 1`` bins).")
    return transform


def _c2r(rank):
    opname = "IRFFT" if rank == 1 else f"IRFFT{rank}D"

    def transform(input_tensor, fft_length=None, name=None):
        x = as_t(input_tensor)
        if x._v.dtype.kind != "c":
            raise ValueError(f"{opname} requires tf.complex64 or tf.complex128 inputs, got: {x!s}")
        if x._v.ndim < rank:
            raise ValueError(f"Shape {x.shape} must have rank at least {rank}")
        shape = list(x._v.shape)
        if fft_length is None:
            lengths = shape[len(shape) - rank:-1] + [max(2 * (shape[-1] - 1), 0)]
        else:
            lengths = _lengths(fft_length, rank)
        x = _fit(x, lengths[:-1] + [lengths[-1] // 2 + 1])
        return apply(IRFFT, (x,), {"rank": rank, "lengths": tuple(lengths)})

    transform.__name__ = opname.lower()
    transform.__doc__ = (f"The inverse of ``rfft{'' if rank == 1 else f'{rank}d'}``: a real "
                         f"signal of ``fft_length`` samples from its non-negative frequencies.")
    return transform


rfft, rfft2d, rfft3d = _r2c(1), _r2c(2), _r2c(3)
irfft, irfft2d, irfft3d = _c2r(1), _c2r(2), _c2r(3)


def _shift(x, axes, sign):
    x = as_t(x)
    nd = x._v.ndim
    if axes is None:
        axes = list(range(nd))
    elif isinstance(axes, int) or (hasattr(axes, "ndim") and axes.ndim == 0):
        axes = [int(axes)]
    axes = [int(a) for a in axes]
    shifts = [sign * (x._v.shape[a] // 2) for a in axes]
    if not axes:
        return x
    return roll(x, shifts, axes)


def fftshift(x, axes=None, name=None):
    """Move the zero frequency to the centre of each of ``axes`` (all axes by default)."""
    return _shift(x, axes, 1)


def ifftshift(x, axes=None, name=None):
    """The inverse of ``fftshift``."""
    return _shift(x, axes, -1)

