"""Image codecs: ``decode_png`` / ``decode_jpeg`` / ``decode_gif`` / ``decode_bmp`` /
``decode_image``, ``encode_png`` / ``encode_jpeg``, ``is_jpeg``, ``extract_jpeg_shape``.
Pillow does the coding (the ``image`` extra); channel and bit-depth conversions follow TF's."""
import io as _pyio

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import convert_to_tensor
from . import _png16
from ._files import scalar_bytes

__all__ = ["decode_png", "decode_jpeg", "decode_and_crop_jpeg", "decode_gif", "decode_bmp",
           "decode_image", "decode_webp", "encode_png", "encode_jpeg", "is_jpeg",
           "extract_jpeg_shape"]

_PNG, _GIF, _BMP = b"\x89PNG\r\n\x1a\n", (b"GIF87a", b"GIF89a"), b"BM"
_JPEG = b"\xff\xd8\xff"


def _is_webp(data):
    return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _pil():
    try:
        from PIL import Image  # optional: Pillow is the ``image`` extra
    except ImportError:
        raise ImportError("tf.io's image codecs need Pillow: pip install tapeflow[image]") \
            from None
    return Image


def _open(data, op, kind):
    try:
        im = _pil().open(_pyio.BytesIO(data))
        im.load()
    except ImportError:
        raise
    except Exception:
        raise InvalidArgumentError(None, op, f"Invalid {kind} data or size, got {len(data)} "
                                   f"bytes [Op:{op}]") from None
    return im


def _luma(rgb):
    """TF's RGB-to-gray for PNGs: ITU-R 601 weights in 1/32768ths, truncated."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((9798 * r + 19235 * g + 3735 * b) >> 15).astype(rgb.dtype)[..., None]


def _channels(a, channels, op, top=None):
    """``a`` ([h, w, c], c in 1..4) to ``channels`` channels the way TF's decoders do; an
    added alpha channel is ``top`` (default: the dtype's maximum)."""
    c = a.shape[-1]
    if channels in (0, None) or channels == c:
        return a
    top = np.iinfo(a.dtype).max if top is None else top
    color = a[..., :3] if c >= 3 else np.repeat(a[..., :1], 3, -1)
    if channels == 1:
        return a[..., :1] if c <= 2 else _luma(color)
    if channels == 2:
        gray = a[..., :1] if c <= 2 else _luma(color)
        alpha = a[..., -1:] if c in (2, 4) else np.full_like(a[..., :1], top)
        return np.concatenate([gray, alpha], -1)
    if channels == 3:
        return color
    if channels == 4:
        alpha = a[..., -1:] if c in (2, 4) else np.full_like(a[..., :1], top)
        return np.concatenate([color, alpha], -1)
    raise InvalidArgumentError(None, op, f"channels must be 0, 1, 2, 3 or 4, got {channels} "
                               f"[Op:{op}]")


def _array(im):
    """A Pillow image as [h, w, c] uint8 or uint16, keeping alpha and 16-bit gray."""
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(im, np.uint16)[..., None] if mode != "I" else \
            np.asarray(im).astype(np.uint16)[..., None]
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("RGB")
    a = np.asarray(im, np.uint8)
    return a[..., None] if a.ndim == 2 else a


def _depth(a, dtype, op):
    dtype = dtypes.as_dtype(dtype)
    if dtype == dtypes.uint8:
        return a if a.dtype == np.uint8 else (a >> 8).astype(np.uint8), dtype
    if dtype == dtypes.uint16:
        return a if a.dtype == np.uint16 else a.astype(np.uint16) * 257, dtype
    if dtype == dtypes.float32:
        return a.astype(np.float32) / np.float32(np.iinfo(a.dtype).max), dtype
    raise TypeError(f"{op}: dtype must be uint8, uint16 or float32, got {dtype.name}")


def _check_channels(channels, allowed, op):
    channels = 0 if channels is None else int(channels)
    if channels not in allowed:
        raise InvalidArgumentError(None, op, f"channels must be one of {list(allowed)}, got "
                                   f"{channels} [Op:{op}]")
    return channels


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    """A PNG as a [height, width, channels] uint8 or uint16 tensor."""
    channels = _check_channels(channels, (0, 1, 3, 4), "DecodePng")
    data = scalar_bytes(contents, "contents", "DecodePng")
    if not data.startswith(_PNG):  # TF's decoders sniff the format like decode_image
        return _other(data, channels, dtype, "DecodePng")
    if len(data) >= 29 and _png16.header(data)[2] == 16 and _png16.header(data)[3] != 0:
        try:  # Pillow would reduce a 16-bit colour PNG to 8 bits
            a = _channels(_png16.decode16(data), channels, "DecodePng")
        except Exception:
            raise InvalidArgumentError(None, "DecodePng", "Invalid PNG data, size "
                                       f"{len(data)} [Op:DecodePng]") from None
        a, dt = _depth(a, dtype, "DecodePng")
        return convert_to_tensor(a, dt)
    im = _open(data, "DecodePng", "PNG")
    # TF's PNG path fills the alpha it adds to an opaque palette image with 15, not 255
    top = 15 if im.mode == "P" and "transparency" not in im.info else None
    a = _channels(_array(im), channels, "DecodePng", top)
    a, dt = _depth(a, dtype, "DecodePng")
    return convert_to_tensor(a, dt)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True,
                try_recover_truncated=False, acceptable_fraction=1, dct_method="", name=None):
    """A JPEG as a [height, width, channels] uint8 tensor (channels 0, 1 or 3)."""
    channels = _check_channels(channels, (0, 1, 3), "DecodeJpeg")
    data = scalar_bytes(contents, "contents", "DecodeJpeg")
    if not data.startswith(_JPEG):  # TF's decoders sniff the format like decode_image
        return _other(data, channels, dtypes.uint8, "DecodeJpeg")
    try:
        im = _pil().open(_pyio.BytesIO(data))
        if channels == 1 and im.mode != "L":
            im.draft("L", im.size)  # the decoder's own luma, as libjpeg's grayscale output
        if int(ratio) != 1:
            im.draft(im.mode, (im.size[0] // int(ratio), im.size[1] // int(ratio)))
        im.load()
    except ImportError:
        raise
    except Exception:
        raise InvalidArgumentError(None, "DecodeJpeg", "Invalid JPEG data or crop window, "
                                   f"data size {len(data)} [Op:DecodeJpeg]") from None
    a = _channels(_array(im), channels, "DecodeJpeg")
    return convert_to_tensor(a, dtypes.uint8)


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                         name=None):
    """``decode_jpeg`` then the ``crop_window`` = ``[y, x, height, width]`` window."""
    a = decode_jpeg(contents, channels, ratio).numpy()
    y, x, h, w = (int(v) for v in np.asarray(
        crop_window.numpy() if hasattr(crop_window, "numpy") else crop_window).reshape(-1))
    if y < 0 or x < 0 or h <= 0 or w <= 0 or y + h > a.shape[0] or x + w > a.shape[1]:
        raise InvalidArgumentError(None, "DecodeAndCropJpeg", f"Invalid JPEG data or crop "
                                   f"window, crop window {[y, x, h, w]} for an image of shape "
                                   f"{list(a.shape)} [Op:DecodeAndCropJpeg]")
    return convert_to_tensor(np.ascontiguousarray(a[y:y + h, x:x + w]), dtypes.uint8)


def decode_bmp(contents, channels=0, name=None):
    """A BMP as a [height, width, channels] uint8 tensor."""
    channels = _check_channels(channels, (0, 1, 3, 4), "DecodeBmp")
    data = scalar_bytes(contents, "contents", "DecodeBmp")
    if not data.startswith(_BMP):  # TF's decoders sniff the format like decode_image
        return _other(data, channels, dtypes.uint8, "DecodeBmp")
    a = _channels(_array(_open(data, "DecodeBmp", "BMP")), channels, "DecodeBmp")
    return convert_to_tensor(a, dtypes.uint8)


def decode_gif(contents, name=None):
    """Every frame of a GIF, composited, as a [frames, height, width, 3] uint8 tensor."""
    data = scalar_bytes(contents, "contents", "DecodeGif")
    if not data.startswith(_GIF):  # TF decodes the other formats too, as one frame
        if not (data.startswith(_PNG) or data.startswith(_JPEG) or data.startswith(_BMP)):
            raise InvalidArgumentError(None, "DecodeGif", "Unknown image file format. One "
                                       "of JPEG, PNG, GIF, BMP required. [Op:DecodeGif]")
        return convert_to_tensor(decode_image(data, 3).numpy()[None], dtypes.uint8)
    im = _open(data, "DecodeGif", "GIF")
    frames = []
    for i in range(getattr(im, "n_frames", 1)):
        im.seek(i)
        frames.append(np.asarray(im.convert("RGB"), np.uint8))
    return convert_to_tensor(np.stack(frames), dtypes.uint8)


def _webp_frames(data, channels, op):
    """``[frames, h, w, c]`` uint8 of a WebP (``c`` 4 when it has alpha, else 3)."""
    if channels not in (0, 1, 3, 4):
        raise InvalidArgumentError(None, op, f"`channels` must be 0, 1, 3 or 4 but got "
                                   f"{channels} [Op:{op}]")
    if channels == 1:
        raise InvalidArgumentError(None, op, f"WebP only supports 3 or 4 channels [Op:{op}]")
    im = _open(data, op, "WebP")
    alpha = "A" in im.getbands() or "transparency" in im.info
    if channels and channels != (4 if alpha else 3):
        raise InvalidArgumentError(None, op, "Number of channels requested does not match "
                                   f"input [Op:{op}]")
    frames = []
    for k in range(getattr(im, "n_frames", 1)):
        im.seek(k)
        frames.append(np.asarray(im.convert("RGBA" if alpha else "RGB"), np.uint8))
    return np.stack(frames)


def decode_webp(contents, channels=0, dtype=dtypes.uint8, name=None):
    """A WebP image (still or animated) as uint8 ``[frames, h, w, c]``, ``c`` 3 (RGB) or 4
    (RGBA, when the image has alpha; ``channels`` may only confirm it)."""
    op = "DecodeWebP"
    data = scalar_bytes(contents, "contents", op)
    dtype = dtypes.as_dtype(dtype)
    if dtype != dtypes.uint8:
        raise InvalidArgumentError(None, op, f"Value for attr 'dtype' of {_tf_word(dtype)} is "
                                   f"not in the list of allowed values: uint8 [Op:{op}]")
    if not _is_webp(data):
        raise InvalidArgumentError(None, op, "Unknown image file format. One of JPEG, JPEG XL, "
                                   f"PNG, GIF, BMP, WebP required. [Op:{op}]")
    return convert_to_tensor(_webp_frames(data, int(channels), op), dtypes.uint8)


def _tf_word(dtype):
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name,
                                                                            dtype.name)


def _other(data, channels, dtype, op):
    if data.startswith(_GIF):
        raise InvalidArgumentError(None, op, f"{op} cannot decode a GIF: use decode_gif or "
                                   f"decode_image [Op:{op}]")
    if not (data.startswith(_PNG) or data.startswith(_JPEG) or data.startswith(_BMP)):
        raise InvalidArgumentError(None, op, "Unknown image file format. One of JPEG, PNG, "
                                   f"GIF, BMP required. [Op:{op}]")
    return decode_image(data, channels, dtype)


def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None,
                 expand_animations=True):
    """Any of PNG, JPEG, GIF, BMP, WebP by its header: [h, w, c] (GIF and WebP: [frames, h,
    w, c], or the first frame without ``expand_animations``); ``dtype`` float32 scales to
    [0, 1]."""
    data = scalar_bytes(contents, "contents", "DecodeImage")
    dtype = dtypes.as_dtype(dtype)
    if data.startswith(_PNG):
        return decode_png(data, channels or 0, dtype)
    if data.startswith(_GIF):
        if channels not in (None, 0, 3):
            raise InvalidArgumentError(None, "DecodeImage", f"channels must be 0 or 3 for GIF,"
                                       f" got {channels} [Op:DecodeImage]")
        a = decode_gif(data).numpy()
        a = a if expand_animations else a[0]
    elif data.startswith(_JPEG):
        a = decode_jpeg(data, channels or 0).numpy()
    elif data.startswith(_BMP):
        a = decode_bmp(data, channels or 0).numpy()
    elif _is_webp(data):
        if dtype != dtypes.uint8:
            raise InvalidArgumentError(None, "DecodeImage", "WebP only supports uint8 for "
                                       "dtype [Op:DecodeImage]")
        a = _webp_frames(data, channels or 0, "DecodeImage")
        return convert_to_tensor(a if expand_animations else a[0], dtypes.uint8)
    else:
        raise InvalidArgumentError(None, "DecodeImage", "Unknown image file format. One of "
                                   "JPEG, PNG, GIF, BMP required. [Op:DecodeImage]")
    a, dt = _depth(a, dtype, "DecodeImage")
    return convert_to_tensor(a, dt)


def _image_array(image, op, kinds):
    x = image.numpy() if hasattr(image, "numpy") else np.asarray(image)
    x = np.asarray(x)
    if x.ndim != 3:
        raise InvalidArgumentError(None, op, f"image must be 3-dimensional, got shape "
                                   f"{list(x.shape)} [Op:{op}]")
    if x.dtype.name not in kinds:
        # TF converts a NumPy integer array whose values fit, as convert_to_tensor does
        fits = (not hasattr(image, "numpy") and x.dtype.kind in "iu" and x.size
                and 0 <= x.min() and x.max() <= np.iinfo(kinds[0]).max)
        if not fits:
            raise InvalidArgumentError(None, op, f"image must be {' or '.join(kinds)}, got "
                                       f"{x.dtype.name} [Op:{op}]")
        x = x.astype(kinds[0])
    return x


def _bytes_tensor(b):
    return convert_to_tensor(np.array(b, dtype=object), dtypes.string)


def encode_png(image, compression=-1, name=None):
    """A [h, w, c] uint8/uint16 image (c in 1..4) as PNG bytes (lossless)."""
    a = _image_array(image, "EncodePng", ("uint8", "uint16"))
    c = a.shape[-1]
    if c not in (1, 2, 3, 4):
        raise InvalidArgumentError(None, "EncodePng", f"image must have 1, 2, 3 or 4 channels,"
                                   f" got {c} [Op:EncodePng]")
    level = 6 if int(compression) < 0 else int(compression)
    if a.dtype == np.uint16:
        return _bytes_tensor(_png16.encode16(a, level))
    Image = _pil()
    im = Image.fromarray(np.ascontiguousarray(a[..., 0] if c == 1 else a))
    buf = _pyio.BytesIO()
    im.save(buf, "PNG", compress_level=level)
    return _bytes_tensor(buf.getvalue())


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):
    """A [h, w, 1 or 3] uint8 image as JPEG bytes at ``quality`` (0-100)."""
    a = _image_array(image, "EncodeJpeg", ("uint8",))
    c = a.shape[-1]
    if format == "grayscale" and c != 1 or format == "rgb" and c != 3 or c not in (1, 3):
        raise InvalidArgumentError(None, "EncodeJpeg", f"image must have 1 or 3 channels, "
                                   f"got {c} [Op:EncodeJpeg]")
    Image = _pil()
    im = Image.fromarray(np.ascontiguousarray(a[..., 0] if c == 1 else a))
    buf = _pyio.BytesIO()
    dpi = (int(x_density), int(y_density))
    im.save(buf, "JPEG", quality=int(quality), progressive=bool(progressive),
            optimize=bool(optimize_size), subsampling=2 if chroma_downsampling else 0, dpi=dpi)
    return _bytes_tensor(buf.getvalue())


def is_jpeg(contents, name=None):
    """True when ``contents`` starts with the JPEG marker bytes."""
    return convert_to_tensor(scalar_bytes(contents, "contents", "IsJpeg").startswith(_JPEG))


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    """``[height, width, channels]`` from a JPEG's header, without decoding it."""
    data = scalar_bytes(contents, "contents", "ExtractJpegShape")
    if not data.startswith(_JPEG):
        raise InvalidArgumentError(None, "ExtractJpegShape", "Invalid JPEG data, size "
                                   f"{len(data)} [Op:ExtractJpegShape]")
    im = _pil().open(_pyio.BytesIO(data))
    c = {"L": 1, "RGB": 3, "CMYK": 4}.get(im.mode, 3)
    return convert_to_tensor(np.array([im.size[1], im.size[0], c]), output_type)
