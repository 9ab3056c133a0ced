"""Framing and the short-time Fourier transform: ``frame``, ``overlap_and_add``, the raised
cosine windows, ``stft``, ``inverse_stft`` and ``inverse_stft_window_fn``."""
import math

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops._core import apply
from ..ops.indexing import pad
from ..ops.math import as_t
from ..ops.spectral import FRAME, OVERLAP_ADD, frame_count
from ..tensor import const, convert_to_tensor
from ._fft import _fit, irfft, rfft

__all__ = ["frame", "overlap_and_add", "hann_window", "hamming_window", "kaiser_window",
           "kaiser_bessel_derived_window", "vorbis_window", "stft", "inverse_stft",
           "inverse_stft_window_fn"]


def _int(v, what):
    v = v.numpy() if hasattr(v, "numpy") else v
    if np.ndim(v) != 0:
        raise ValueError(f"{what} must be a scalar, got {v!r}")
    return int(v)


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Overlapping frames of ``frame_length`` samples, ``frame_step`` apart, along ``axis``:
    that axis becomes two, ``[frames, frame_length]``. Without ``pad_end`` only whole frames
    are kept; with it the end is padded with ``pad_value`` to ``ceil(n / frame_step)`` frames."""
    x = as_t(signal)
    length, step = _int(frame_length, "frame_length"), _int(frame_step, "frame_step")
    nd = x._v.ndim
    if nd < 1:
        raise ValueError(f"Shape {x.shape} must have rank at least 1")
    axis = _int(axis, "axis")
    if not -nd <= axis < nd:
        raise ValueError(f"axis {axis} is out of range for a signal of rank {nd}")
    axis %= nd
    if step <= 0 or length < 0:
        raise InvalidArgumentError(
            None, "Frame", f"frame_step must be positive and frame_length non-negative, got "
            f"frame_length={length}, frame_step={step} (signal shape {list(x._v.shape)})")
    n = x._v.shape[axis]
    count = frame_count(n, length, step)
    if pad_end:
        count = -(-n // step)
        extra = max(0, step * (count - 1) + length - n) if count else 0
        if extra:
            value = convert_to_tensor(pad_value, x.dtype)
            paddings = [[0, 0]] * nd
            paddings[axis] = [0, extra]
            x = pad(x, paddings, constant_values=value)
    return apply(FRAME, (x,), {"length": length, "step": step, "axis": axis, "count": count})


def overlap_and_add(signal, frame_step, name=None):
    """The frames on the two innermost axes ``[frames, frame_length]`` added into one signal,
    frame f starting at ``f * frame_step``: ``(frames - 1) * frame_step + frame_length``
    samples."""
    x = as_t(signal)
    step = _int(frame_step, "frame_step")
    if x._v.ndim < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    if step <= 0:
        raise ValueError(f"frame_step must be positive, got {step}")
    count, length = x._v.shape[-2], x._v.shape[-1]
    n = max(count - 1, 0) * step + length if count else 0
    return apply(OVERLAP_ADD, (x,), {"step": step, "axis": x._v.ndim - 2, "n": n})


def _raised_cosine(window_length, periodic, dtype, a, b):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    n = _int(window_length, "window_length")
    t = dtype.as_numpy_dtype
    if n == 1:
        return const(np.ones((1,), t))
    # NOTE: a periodic window of even length spans n + 1 points (the last one dropped); of odd
    # length, TF uses the symmetric one. Computed in the window's dtype, as TF does.
    span = n - 1 + (1 if periodic and n % 2 == 0 else 0)
    arg = t(2 * math.pi) * np.arange(n, dtype=t) / t(max(span, 1))
    return const((t(a) - t(b) * np.cos(arg)).astype(t, copy=False))


def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / N)``."""
    return _raised_cosine(window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """The Hamming window ``0.54 - 0.46 cos(2 pi n / N)``."""
    return _raised_cosine(window_length, periodic, dtype, 0.54, 0.46)


def _float_dtype(dtype):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    return dtype.as_numpy_dtype


def kaiser_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """The (symmetric) Kaiser window ``I0(beta sqrt(1 - (2n / (N - 1) - 1)**2)) / I0(beta)``."""
    t = _float_dtype(dtype)
    n = _int(window_length, "window_length")
    if n == 1:
        return const(np.ones((1,), t))
    x = 2.0 * np.arange(n) / max(n - 1, 1) - 1.0
    w = np.i0(beta * np.sqrt(np.clip(1.0 - x * x, 0.0, None))) / np.i0(beta)
    return const(w.astype(t))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """The Kaiser-Bessel-derived window (for MDCTs): the square root of the normalised running
    sum of a Kaiser window of ``N / 2 + 1`` points, mirrored."""
    t = _float_dtype(dtype)
    half = _int(window_length, "window_length") // 2
    k = np.i0(beta * np.sqrt(np.clip(1.0 - (2.0 * np.arange(half + 1) / max(half, 1) - 1.0) ** 2,
                                     0.0, None)))
    c = np.cumsum(k)
    rising = np.sqrt(c[:half] / c[-1])
    return const(np.concatenate([rising, rising[::-1]]).astype(t))


def vorbis_window(window_length, dtype=dtypes.float32, name=None):
    """The Vorbis power-complementary window ``sin(pi / 2 sin(pi (n + 1/2) / N)**2)``."""
    t = _float_dtype(dtype)
    n = _int(window_length, "window_length")
    s = np.sin(np.pi * (np.arange(n) + 0.5) / max(n, 1))
    return const(np.sin(0.5 * np.pi * s * s).astype(t))


def _enclosing_power_of_two(n):
    return 1 if n <= 1 else 2 ** math.ceil(math.log2(n))


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """The short-time Fourier transform of real ``signals`` ``[..., samples]``: windowed
    frames, each through ``rfft``: ``[..., frames, fft_length // 2 + 1]``."""
    x = as_t(signals)
    if not x.dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {x.dtype}")
    length, step = _int(frame_length, "frame_length"), _int(frame_step, "frame_step")
    n_fft = _enclosing_power_of_two(length) if fft_length is None else _int(fft_length,
                                                                             "fft_length")
    frames = frame(x, length, step, pad_end=pad_end)
    if window_fn is not None:
        frames = frames * window_fn(length, dtype=x.dtype)
    return rfft(frames, [n_fft])


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """Signals back from their ``stft``: ``irfft`` of each frame, the window applied (use
    ``inverse_stft_window_fn`` for a perfect reconstruction), overlapped and added."""
    s = as_t(stfts)
    length, step = _int(frame_length, "frame_length"), _int(frame_step, "frame_step")
    n_fft = _enclosing_power_of_two(length) if fft_length is None else _int(fft_length,
                                                                             "fft_length")
    frames = irfft(s, [n_fft])
    frames = _fit(frames, [length])
    if window_fn is not None:
        frames = frames * window_fn(length, dtype=frames.dtype)
    return overlap_and_add(frames, step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window function for ``inverse_stft`` that undoes ``forward_window_fn``'s weighting:
    the forward window divided by the sum of the squared windows overlapping each sample."""
    step = _int(frame_step, "frame_step")

    def inverse_stft_window_fn_inner(frame_length, dtype):
        w = forward_window_fn(frame_length, dtype=dtype).numpy()
        n = w.shape[0]
        blocks = -(-n // step)
        sq = np.zeros(blocks * step, w.dtype)
        sq[:n] = w * w
        overlap = sq.reshape(blocks, step).sum(axis=0)
        denom = np.tile(overlap, blocks)[:n]
        return const((w / denom).astype(w.dtype, copy=False))

    return inverse_stft_window_fn_inner

