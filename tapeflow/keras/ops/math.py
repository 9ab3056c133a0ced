"""``keras.ops`` math functions: segment reductions, top-k, ``logsumexp``, ``erfinv``,
sequence framing. FFT-based ones need complex dtypes, which tapeflow does not have."""
from ...backend import host as np
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import linalg as L
from ...ops import math as M
from ...ops import reduction as R
from ...ops import sorting as S
from ._base import conv, host, need_float, to_float
from .numpy import ERFINV


def _segment(reduce_name, data, segment_ids, num_segments, sorted):
    x = conv(data)
    ids = conv(segment_ids)
    idn = np.asarray(host(ids)).astype("int64")
    n = int(idn.max()) + 1 if num_segments is None and idn.size else (num_segments or 0)
    rows = []
    for s in range(n):
        sel = np.nonzero(idn == s)[0]
        part = IX.gather(x, conv(sel), axis=0)
        if reduce_name == "sum":
            rows.append(R.reduce_sum(part, axis=0))
        elif reduce_name == "prod":
            rows.append(R.reduce_prod(part, axis=0))
        elif not len(sel):
            info = (np.finfo if x.dtype.is_floating else np.iinfo)(x.dtype.as_numpy_dtype)
            fill = info.min if reduce_name == "max" else info.max
            rows.append(A.broadcast_to(conv(fill, x.dtype), list(x.shape[1:])))
        elif reduce_name == "max":
            rows.append(R.reduce_max(part, axis=0))
        else:
            rows.append(R.reduce_min(part, axis=0))
    if not rows:
        return A.zeros([0] + list(x.shape[1:]), x.dtype)
    return A.stack(rows, 0)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums of the rows of ``data`` sharing a segment id."""
    return _segment("sum", data, segment_ids, num_segments, sorted)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maxima of the rows sharing a segment id (the dtype's lowest value when empty)."""
    return _segment("max", data, segment_ids, num_segments, sorted)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minima of the rows sharing a segment id."""
    return _segment("min", data, segment_ids, num_segments, sorted)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Products of the rows sharing a segment id (1 when empty)."""
    return _segment("prod", data, segment_ids, num_segments, sorted)


def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their indices."""
    return S.top_k(conv(x), k=k, sorted=sorted)


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the ``k`` largest."""
    p = to_float(predictions)
    t = np.asarray(host(targets)).astype("int64")
    pa = np.asarray(host(p))
    tv = pa[np.arange(pa.shape[0]), t]
    better = (pa > tv[:, None]).sum(axis=1)
    return conv((better < k) & np.isfinite(tv))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return R.reduce_logsumexp(need_float(x, "logsumexp"), axis=axis, keepdims=keepdims)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis."""
    x = conv(x)
    n = x.shape[-1]
    frames = 1 + (n - sequence_length) // sequence_stride
    idx = (np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :])
    return IX.gather(x, conv(idx.astype("int64")), axis=len(x.shape) - 1)


def cdist(x1, x2, p=2.0):
    """Pairwise ``p``-norm distances between the rows of ``x1`` and ``x2`` (batched)."""
    a, b = to_float(x1), to_float(x2)
    b = conv(b, a.dtype)
    diff = M.abs(M.subtract(A.expand_dims(a, -2), A.expand_dims(b, -3)))
    if p == 2 or p == 2.0:
        return M.sqrt(R.reduce_sum(M.square(diff), axis=-1))
    if p == 1:
        return R.reduce_sum(diff, axis=-1)
    if p == float("inf"):
        return R.reduce_max(diff, axis=-1)
    pp = conv(float(p), a.dtype)
    return M.pow(R.reduce_sum(M.pow(diff, pp), axis=-1), M.reciprocal(pp))


def erfinv(x):
    """The inverse error function."""
    return ERFINV(need_float(x, "Erfinv"))


def erf(x):
    """The error function."""
    return M.erf(need_float(x, "Erf"))


def erfc(x):
    """``1 - erf(x)``."""
    x = need_float(x, "Erfc")
    return M.subtract(M.ones_like(x), M.erf(x))


def rsqrt(x):
    """``1 / sqrt(x)``."""
    return M.rsqrt(need_float(x, "Rsqrt"))


def logdet(x):
    """The log-determinant of Hermitian positive definite matrices."""
    return L.logdet(to_float(x))


def _complex(name):
    def f(*args, **kwargs):
        raise NotImplementedError(f"keras.ops.{name}: tapeflow has no complex dtypes")
    f.__name__ = name
    f.__doc__ = f"``keras.ops.{name}`` needs complex dtypes: not available in tapeflow."
    f._tapeflow_unsupported = True
    return f


fft = _complex("fft")
fft2 = _complex("fft2")
ifft2 = _complex("ifft2")
rfft = _complex("rfft")
irfft = _complex("irfft")
stft = _complex("stft")
istft = _complex("istft")
view_as_complex = _complex("view_as_complex")
view_as_real = _complex("view_as_real")


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and getattr(_v, "__module__", None) == __name__]
