"""``keras.ops`` math functions: segment reductions, top-k, ``logsumexp``, ``erfinv``,
sequence framing. FFT-based ones need complex dtypes, which tapeflow does not have."""
from ...backend import host as np
from ...ops import array as A
from ...ops import extra
from ...ops import indexing as IX
from ...ops import linalg as L
from ...ops import math as M
from ...ops import reduction as R
from ...ops import sorting as S
from ._base import conv, host, need_float, to_float


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
    """The inverse error function (``tf.math.erfinv``)."""
    return extra.erfinv(need_float(x, "Erfinv"))


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


# ---------------------------------------------------------------- Fourier transforms
# Keras passes complex values as (real, imag) pairs, so the transforms need no complex dtype:
# each is a matmul with cosine and sine matrices (differentiable, exact to rounding).

def _pair(x, name):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. "
                         f"Received: x={x}")
    re, im = conv(x[0]), conv(x[1])
    if tuple(re.shape) != tuple(im.shape):
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. "
                         f"Both the real and imaginary parts should have the same shape. "
                         f"Received: x[0].shape = {tuple(re.shape)}, "
                         f"x[1].shape = {tuple(im.shape)}")
    if not (re.dtype.is_floating and im.dtype.is_floating):
        raise ValueError(f"At least one tensor in input `x` is not of type float."
                         f"Received: x={x}.")
    return re, im


def _dft_mats(n_in, n_out, dtype, inverse=False):
    k = np.arange(n_out)[None, :]
    n = np.arange(n_in)[:, None]
    ang = 2.0 * np.pi * ((n * k) % max(n_in, n_out, 1)) / max(n_in, 1)
    if inverse:
        ang = 2.0 * np.pi * ((n * k) % max(n_out, 1)) / max(n_out, 1)
    return conv(np.cos(ang), dtype), conv(np.sin(ang), dtype)


def _dft_last(re, im, inverse=False):
    """The DFT (or inverse DFT, scaled by 1/n) of ``re + i*im`` along the last axis."""
    n = re.shape[-1]
    c, s_ = _dft_mats(n, n, re.dtype)
    mm = L.matmul if len(re.shape) > 1 else None

    def dot(a, m):
        if mm is None:
            return A.reshape(L.matmul(A.reshape(a, [1, -1]), m), [-1])
        return L.tensordot(a, m, 1)
    if inverse:
        out_re = M.subtract(dot(re, c), dot(im, s_))
        out_im = M.add(dot(im, c), dot(re, s_))
        scale = conv(1.0 / n, re.dtype)
        return M.multiply(out_re, scale), M.multiply(out_im, scale)
    return M.add(dot(re, c), dot(im, s_)), M.subtract(dot(im, c), dot(re, s_))


def _swap_last2(x):
    nd = len(x.shape)
    return A.transpose(x, list(range(nd - 2)) + [nd - 1, nd - 2])


def fft(x):
    """The discrete Fourier transform along the last axis of ``x = (real, imag)``."""
    return _dft_last(*_pair(x, "fft"))


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of ``(real, imag)``."""
    re, im = _dft_last(*_pair(x, "fft2"))
    re, im = _dft_last(_swap_last2(re), _swap_last2(im))
    return _swap_last2(re), _swap_last2(im)


def ifft2(x):
    """The inverse of ``fft2``."""
    re, im = _dft_last(*_pair(x, "ifft2"), inverse=True)
    re, im = _dft_last(_swap_last2(re), _swap_last2(im), inverse=True)
    return _swap_last2(re), _swap_last2(im)


def _fit_last(x, n):
    """``x`` cropped or zero-padded to length ``n`` on its last axis."""
    m = x.shape[-1]
    if m > n:
        return A.slice(x, [0] * len(x.shape), list(x.shape[:-1]) + [n])
    if m < n:
        return IX.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[0, n - m]])
    return x


def rfft(x, fft_length=None):
    """The DFT of real ``x`` along its last axis: the ``fft_length // 2 + 1`` non-negative
    frequencies as ``(real, imag)``."""
    x = conv(x)
    if not x.dtype.is_floating:
        raise ValueError(f"rfft: input must be a float tensor. Received: dtype={x.dtype.name}")
    n = x.shape[-1] if fft_length is None else fft_length
    x = _fit_last(x, n)
    k = np.arange(n // 2 + 1)[None, :]
    t = np.arange(n)[:, None]
    ang = 2.0 * np.pi * ((t * k) % n) / n
    re = L.tensordot(x, conv(np.cos(ang), x.dtype), 1)
    im = L.tensordot(x, conv(-np.sin(ang), x.dtype), 1)
    return re, im


def irfft(x, fft_length=None):
    """The inverse of ``rfft``: a real signal of ``fft_length`` samples (default
    ``2 * (bins - 1)``) from its non-negative frequencies ``(real, imag)``."""
    re, im = _pair(x, "irfft")
    bins = re.shape[-1]
    n = 2 * (bins - 1) if fft_length is None else fft_length
    nb = n // 2 + 1
    re, im = _fit_last(re, nb), _fit_last(im, nb)
    k = np.arange(nb)[:, None]
    t = np.arange(n)[None, :]
    w = np.full((nb, 1), 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    ang = 2.0 * np.pi * ((k * t) % n) / n
    c = conv(w * np.cos(ang) / n, re.dtype)
    s_ = conv(-w * np.sin(ang) / n, re.dtype)
    return M.add(L.tensordot(re, c, 1), L.tensordot(im, s_, 1))


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis: ``(real, imag)`` of shape
    ``[..., frames, fft_length // 2 + 1]``."""
    x = conv(x)
    if x.dtype.name not in ("float32", "float64"):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: "
                        f"input type={x.dtype.name}")
    if fft_length < sequence_length:
        raise ValueError(f"`fft_length` must equal or larger than `sequence_length`. "
                         f"Received: sequence_length={sequence_length}, "
                         f"fft_length={fft_length}")
    if isinstance(window, str) and window not in ("hann", "hamming"):
        raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, '
                         f'`"hamming"`. Received: window={window}')
    if center:
        half = fft_length // 2
        x = IX.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[half, half]], mode="REFLECT")
    left = (fft_length - sequence_length) // 2
    frames = extract_sequences(x, fft_length, sequence_stride)
    if window is not None:
        win = _window(window, sequence_length, x.dtype)
        win = IX.pad(win, [[left, fft_length - sequence_length - left]])
        frames = M.multiply(frames, win)
    return rfft(frames, fft_length)


def _window(window, sequence_length, dtype):
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, '
                             f'`"hamming"`. Received: window={window}')
        n = np.arange(sequence_length)
        a0 = 0.5 if window == "hann" else 0.54
        # TF's "periodic" windows: denominator N for even lengths, N - 1 for odd ones
        denom = sequence_length if sequence_length % 2 == 0 else sequence_length - 1
        win = conv(a0 - (1.0 - a0) * np.cos(2.0 * np.pi * n / max(denom, 1)), dtype)
    else:
        win = conv(window, dtype)
    if len(win.shape) != 1 or win.shape[0] != sequence_length:
        raise ValueError(f"The shape of `window` must be equal to [sequence_length]."
                         f"Received: window shape={tuple(win.shape)}")
    return win


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of ``stft``: frames from ``(real, imag)`` inverse-transformed, windowed
    for perfect reconstruction and overlap-added."""
    re, im = _pair(x, "istft")
    frames = irfft((re, im), fft_length)
    nf, step = re.shape[-2], sequence_stride
    left = (fft_length - sequence_length) // 2
    if window is not None:
        win = _window(window, sequence_length, frames.dtype)
        w = np.pad(np.asarray(host(win), dtype="float64"),
                   (left, fft_length - sequence_length - left))
        overlaps = -(-fft_length // step)
        den = np.pad(w * w, (0, overlaps * step - fft_length)).reshape(overlaps, step).sum(0)
        den = np.tile(den, overlaps)[:fft_length]
        frames = M.multiply(frames, conv(w / den, frames.dtype))
    total = step * (nf - 1) + fft_length
    place = np.zeros((nf * fft_length, total))
    f_idx = np.repeat(np.arange(nf), fft_length)
    j_idx = np.tile(np.arange(fft_length), nf)
    place[np.arange(nf * fft_length), f_idx * step + j_idx] = 1.0
    lead = list(frames.shape[:-2])
    flat = A.reshape(frames, lead + [nf * fft_length])
    out = L.tensordot(flat, conv(place, frames.dtype), 1)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    end = min(end, total)
    return A.slice(out, [0] * len(lead) + [start], lead + [max(end - start, 0)])


def view_as_complex(x):
    """complex64 numbers from a last axis of size 2 (real, imaginary), as Keras (float64
    input too)."""
    x = conv(x)
    if not x.shape or x.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). "
                         f"Received shape: {tuple(x.shape)}")
    x = M.cast(x, "float32")
    return M.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    """A last axis of size 2 holding the real and imaginary parts of ``x`` (a real ``x``
    gets zeros as its imaginary part, as Keras)."""
    x = conv(x)
    if x.dtype.is_complex:
        return A.stack([M.real(x), M.imag(x)], axis=-1)
    return A.stack([x, M.zeros_like(x)], axis=-1)


__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
    "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex", "view_as_real"
]
