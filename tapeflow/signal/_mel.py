"""Mel filterbanks and cepstra: ``linear_to_mel_weight_matrix`` (the HTK mel scale, built the
way TF builds it, in the requested dtype), ``dct``/``idct`` (types I-IV) and
``mfccs_from_log_mel_spectrograms``."""
import math

from .. import dtypes
from ..backend import host as np
from ..ops.array import reshape
from ..ops.linalg import matmul
from ..ops.math import as_t
from ..tensor import const
from ._fft import _fit

__all__ = ["linear_to_mel_weight_matrix", "dct", "idct", "mfccs_from_log_mel_spectrograms"]

_MEL_BREAK_HZ = 700.0  # the HTK mel scale: mel = 1127 * ln(1 + f / 700)
_MEL_SCALE = 1127.0


def _hertz_to_mel(f, t):
    return t(_MEL_SCALE) * np.log(t(1.0) + f / t(_MEL_BREAK_HZ))  # TF: log(1 + x), not log1p


def _linspace(start, stop, num, t):
    """Evenly spaced values in dtype ``t`` with both ends exact (TF's linspace)."""
    if num == 1:
        return np.array([start], t)
    step = (stop - start) / t(num - 1)
    out = start + np.arange(num, dtype=t) * step
    out[0], out[-1] = start, stop
    return out.astype(t, copy=False)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=dtypes.float32, name=None):
    """A ``[num_spectrogram_bins, num_mel_bins]`` matrix of triangular filters, evenly spaced
    on the mel scale between the edges, that maps a linear magnitude spectrogram (the bins of
    an ``rfft``, 0 Hz to ``sample_rate / 2``) to a mel spectrogram; the 0 Hz bin gets no
    weight."""
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    num_mel_bins, num_spectrogram_bins = int(num_mel_bins), int(num_spectrogram_bins)
    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz} >= upper_edge_hertz "
                         f"{upper_edge_hertz}")
    if sample_rate <= 0.0:
        raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError(f"upper_edge_hertz must not be larger than the Nyquist frequency "
                         f"(sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
                         f"{sample_rate}")
    t = dtype.as_numpy_dtype
    nyquist = t(sample_rate) / t(2.0)
    # the spectrogram bins' centre frequencies, without the 0 Hz bin, on the mel scale
    freqs = _linspace(t(0.0), nyquist, num_spectrogram_bins, t)[1:]
    bins_mel = _hertz_to_mel(freqs, t)[:, None]
    edges = _linspace(_hertz_to_mel(t(lower_edge_hertz), t), _hertz_to_mel(t(upper_edge_hertz), t),
                      num_mel_bins + 2, t)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(t(0.0), np.minimum(rising, falling))
    out = np.concatenate([np.zeros((1, num_mel_bins), t), weights.astype(t, copy=False)], 0)
    return const(out)


def _dct_matrix(kind, n, norm):
    """``M`` with ``dct(x) = x @ M`` for ``x`` of length ``n`` (float64)."""
    j = np.arange(n, dtype=np.float64)[:, None]  # input index
    k = np.arange(n, dtype=np.float64)[None, :]  # output index
    if kind == 1:
        m = 2.0 * np.cos(math.pi * j * k / (n - 1))
        m[0, :] = 1.0
        m[-1, :] = (-1.0) ** np.arange(n)
        return m
    if kind == 4:
        m = 2.0 * np.cos(math.pi * (2 * j + 1) * (2 * k + 1) / (4 * n))
        return m * math.sqrt(1.0 / (2 * n)) if norm == "ortho" else m
    m2 = 2.0 * np.cos(math.pi * k * (2 * j + 1) / (2 * n))  # type II
    if norm == "ortho":
        scale = np.full((1, n), math.sqrt(1.0 / (2 * n)))
        scale[0, 0] = math.sqrt(1.0 / (4 * n))
        m2 = m2 * scale
        return m2 if kind == 2 else m2.T  # the orthonormal type III is type II's inverse
    if kind == 2:
        return m2
    m3 = 2.0 * np.cos(math.pi * j * (2 * k + 1) / (2 * n))  # type III
    m3[0, :] = 1.0
    return m3


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):
    """The discrete cosine transform (types I-IV, ``norm`` None or ``'ortho'``) over the last
    axis, after cutting or zero-padding it to ``n``. Differentiable (a matrix product)."""
    if axis != -1:
        raise NotImplementedError(f"axis must be -1. Got: {axis}")
    if type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")
    if type == 1 and norm == "ortho":
        raise ValueError("Normalization is not supported for the Type-I DCT.")
    if n is not None and n < 1:
        raise ValueError(f"n should be a positive integer or None, got {n}")
    x = as_t(input)
    if x._v.dtype not in (np.float32, np.float64):
        raise ValueError(f"dct requires tf.float32 or tf.float64 inputs, got: {x!s}")
    if x._v.ndim < 1:
        raise ValueError(f"Shape {x.shape} must have rank at least 1")
    if n is not None:
        x = _fit(x, [int(n)])
    length = x._v.shape[-1]
    if type == 1 and length < 2:
        raise ValueError(f"Type-I DCT requires a dimension of size >= 2, got {length}")
    m = const(_dct_matrix(type, length, norm).astype(x._v.dtype))
    lead = x._v.shape[:-1]
    out = matmul(reshape(x, [-1, length]), m)
    return reshape(out, list(lead) + [length])


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):
    """The inverse DCT: the DCT of the inverse type (II and III swap), unscaled as TF's."""
    inverse = {1: 1, 2: 3, 3: 2, 4: 4}
    if type not in inverse:
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    return dct(input, type=inverse[type], n=n, axis=axis, norm=norm)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """Mel-frequency cepstral coefficients: the type-II DCT of each frame's log mel spectrum,
    scaled by ``1 / sqrt(2 * num_mel_bins)``."""
    x = as_t(log_mel_spectrograms)
    if x._v.dtype not in (np.float32, np.float64):
        raise ValueError(f"mfccs_from_log_mel_spectrograms requires tf.float32 or tf.float64 "
                         f"inputs, got: {x!s}")
    bins = x._v.shape[-1] if x._v.ndim else 0
    if bins < 1:
        raise ValueError(f"num_mel_bins must be positive, got a last dimension of {bins}")
    return dct(x, type=2) * (1.0 / math.sqrt(2.0 * bins))
