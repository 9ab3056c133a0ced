"""What the summary ops compute before writing: histogram buckets, images as 8-bit PNG and
audio as 16-bit WAV, each as TF 2's summary ops compute them."""
import io
import wave

import numpy as np

from .. import errors

DEFAULT_BUCKETS = 30  # TF 2's and TensorBoard's


def histogram_buckets(data, buckets=None):
    """``[k, 3]`` float64 rows ``(left edge, right edge, count)`` over ``k`` equal-width
    buckets spanning the data's range (the last bucket closed). Empty data gives ``k`` rows of
    zeros; data of one value gives ``k`` zero-width buckets at it, all counted in the last;
    ``k <= 0`` gives no rows."""
    k = DEFAULT_BUCKETS if buckets is None else max(0, int(buckets))
    x = np.asarray(data, np.float64).ravel()
    if k == 0 or x.size == 0:
        return np.zeros((k, 3), np.float64)
    lo, hi = x.min(), x.max()
    if hi == lo:
        counts = np.zeros(k, np.float64)
        counts[-1] = x.size
        edges = np.full(k, hi)
        return np.stack([edges, edges, counts], axis=1)
    width = (hi - lo) / k
    index = np.minimum(np.floor((x - lo) / width).astype(np.int64), k - 1)
    counts = np.bincount(index, minlength=k).astype(np.float64)
    edges = lo + np.arange(k + 1) * ((hi - lo) / k)  # TF's linspace, last edge exactly max
    edges[-1] = hi
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def to_uint8(images):
    """Pixels as ``uint8`` the way ``tf.image.convert_image_dtype(..., saturate=True)``
    converts them: floats in [0, 1] scaled by 255.5, clipped and truncated; wider integers
    divided down, narrower ones multiplied up."""
    a = np.asarray(images)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if a.dtype.kind == "f":
        work = a if a.dtype in (np.float32, np.float64) else a.astype(np.float32)
        return np.clip(work * work.dtype.type(255.5), 0, 255).astype(np.uint8)
    info = np.iinfo(a.dtype)
    if info.max > 255:
        return (a // ((int(info.max) + 1) // 256)).astype(np.uint8)
    return (a.astype(np.int64) * (256 // (int(info.max) + 1))).astype(np.uint8)


def png(image):
    """One ``[h, w, c]`` uint8 image (1 to 4 channels) as PNG bytes, through Pillow."""
    try:
        from PIL import Image  # optional: the [tensorboard] extra brings Pillow
    except ImportError as e:
        raise ImportError("tf.summary.image encodes PNG with Pillow, which is not installed. "
                          "Install it with: pip install tapeflow[tensorboard]") from e
    channels = image.shape[-1]
    pixels = image[..., 0] if channels == 1 else image  # L, LA, RGB or RGBA
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="PNG")
    return buf.getvalue()


def wav(samples, sample_rate):
    """One ``[t, c]`` float clip in [-1, 1] as 16-bit PCM WAV bytes: each sample times 32768,
    rounded half away from zero and clipped, as TF's ``EncodeWav``."""
    x = np.asarray(samples, np.float32) * np.float32(32768)
    x = np.clip(np.sign(x) * np.floor(np.abs(x) + np.float32(0.5)), -32768, 32767)
    pcm = x.astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def check_rank(array, rank):
    if array.ndim != rank:
        raise ValueError(f"Tensor  must have rank {rank}.  Received rank {array.ndim}, shape "
                         f"{tuple(array.shape)}")


def check_channels(array):
    c = array.shape[-1]
    if not 1 <= c <= 4:
        raise errors._invalid("EncodePng", f"image must have 1, 2, 3, or 4 channels, got {c}")
