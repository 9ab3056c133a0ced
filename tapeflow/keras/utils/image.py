"""``keras.utils.array_to_img`` / ``img_to_array``: NumPy arrays to and from PIL images;
``load_img`` / ``save_img``: PIL images from and to files.

``array_to_img``, ``load_img`` and ``save_img`` need Pillow (the ``image`` extra:
``pip install tapeflow[image]``); without it, they raise Keras' ``ImportError``.
``img_to_array`` needs no Pillow: it reads anything NumPy can (a PIL image, an array, a tensor)."""
import io
import os
import warnings

from ...backend import host as np
from ...backend import to_host
from ...ops import array as array_ops
from ...tensor import TensorBase, convert_to_tensor
from .. import backend


def _data_format(value):
    if value is None:
        return "channels_last"  # NOTE: tapeflow has no image_data_format setting
    fmt = str(value).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={fmt}")
    return fmt


def _pil_image():
    try:
        from PIL import Image  # optional: Pillow, the `image` extra
    except ImportError:
        return None
    return Image


def _require_pil(what):
    pil_image = _pil_image()
    if pil_image is None:
        raise ImportError(f"Could not import PIL.Image. The use of `{what}` requires PIL. "
                          "Install Pillow: `pip install tapeflow[image]`.")
    return pil_image


def _host(x, dtype=None):
    """A NumPy array of ``x`` (a tensor, an array, a PIL image...)."""
    if isinstance(x, TensorBase):
        x = to_host(x._v)
    return np.asarray(x, dtype=dtype)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of a rank-3 array (RGB, RGBA or one-channel), rescaled to 0-255 when
    ``scale``."""
    data_format = _data_format(data_format)
    if dtype is None:
        dtype = backend.floatx()
    pil_image = _require_pil("array_to_img")
    x = _host(x, dtype)
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). "
                         f"Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return pil_image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return pil_image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:  # 32-bit integer grayscale, PIL mode "I"
            return pil_image.fromarray(x[:, :, 0].astype("int32"), "I")
        return pil_image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """A rank-3 NumPy array (``floatx`` by default) of a PIL image or 2-D/3-D array."""
    data_format = _data_format(data_format)
    if dtype is None:
        dtype = backend.floatx()
    x = _host(img, dtype)
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        if data_format == "channels_first":
            x = x.reshape((1, x.shape[0], x.shape[1]))
        else:
            x = x.reshape((x.shape[0], x.shape[1], 1))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


# Keras's interpolation names -> Pillow's resampling filters (looked up when used)
_RESAMPLE = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _center_crop_box(size, target):
    """The centred box of ``size`` (width, height) with ``target``'s aspect ratio."""
    width, height = size
    tw, th = target
    keep_h = min(height, width * th // tw)
    keep_w = min(width, height * tw // th)
    top, left = (height - keep_h) // 2, (width - keep_w) // 2
    return left, top, left + keep_w, top + keep_h


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file (a path or a binary file object such as ``io.BytesIO``) as a PIL
    image in ``color_mode`` ("grayscale", "rgb" or "rgba"), resized to ``target_size``
    ``(height, width)`` with ``interpolation`` when given; ``keep_aspect_ratio`` first crops
    the centre to the target's aspect ratio. Needs Pillow, as Keras's does."""
    pil_image = _require_pil("load_img")
    if isinstance(path, (str, bytes)) or hasattr(path, "__fspath__"):
        with open(os.fspath(path), "rb") as f:
            img = pil_image.open(io.BytesIO(f.read()))
    elif hasattr(path, "read"):
        img = pil_image.open(path)
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode not in _COLOR_MODES:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    want = _COLOR_MODES[color_mode]
    # NOTE: as Keras: 16- and 32-bit grayscale images stay as they are in "grayscale"
    keep = ("L", "I;16", "I") if color_mode == "grayscale" else (want,)
    if img.mode not in keep:
        img = img.convert(want)
    if target_size is not None:
        size = (int(target_size[1]), int(target_size[0]))  # PIL's (width, height)
        if img.size != size:
            if interpolation not in _RESAMPLE:
                raise ValueError(f"Invalid interpolation method {interpolation} specified. "
                                 f"Supported methods are {', '.join(_RESAMPLE)}")
            resample = getattr(getattr(pil_image, "Resampling", pil_image),
                               interpolation.upper())
            # NOTE: the crop is resize's source box (filters read past its edges, as Keras's)
            box = _center_crop_box(img.size, size) if keep_aspect_ratio else None
            img = img.resize(size, resample, box=box)
    return img


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save the image array ``x`` (as ``array_to_img`` reads it) to ``path`` (or a file
    object) in ``file_format`` (from the file name when None); RGBA saved as JPEG becomes RGB
    with a warning, as in Keras. Other keywords go to Pillow's ``Image.save``."""
    data_format = _data_format(data_format)
    img = array_to_img(x, data_format=data_format, scale=scale)
    if file_format is not None and file_format.lower() in ("jpg", "jpeg"):
        file_format = "jpeg"
        if img.mode == "RGBA":
            warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                          stacklevel=2)
            img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


_SMART_METHODS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last",
                 backend_module=None):
    """Resize an image (or a batch) to ``size`` ``(height, width)`` without distorting it: the
    largest centred crop with the target's aspect ratio, then ``tf.image.resize`` with
    ``interpolation``. A NumPy array gives a NumPy array, a tensor a tensor."""
    from ... import image as tf_image  # deferred: tf.image loads on first use

    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = convert_to_tensor(x)
    rank = len(img.shape)
    if rank < 3 or rank > 4:
        raise ValueError("Expected an image array with shape `(height, width, channels)`, or "
                         "`(batch_size, height, width, channels)`, but got input with "
                         f"incorrect rank, of shape {tuple(img.shape)}.")
    if interpolation not in _SMART_METHODS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{_SMART_METHODS}. Received: interpolation={interpolation}")
    channels_first = _data_format(data_format) == "channels_first"
    shape = tuple(img.shape)
    height, width = shape[-2:] if channels_first else shape[-3:-1]
    th, tw = int(size[0]), int(size[1])
    # NOTE: as Keras: float32 quotients truncated to integers
    crop_h = min(height, int(np.float32(width * th) / np.float32(tw)))
    crop_w = min(width, int(np.float32(height * tw) / np.float32(th)))
    h0 = int(np.float32(height - crop_h) / np.float32(2))
    w0 = int(np.float32(width - crop_w) / np.float32(2))
    if channels_first:
        img = img[..., h0:h0 + crop_h, w0:w0 + crop_w]
        perm = [0, 2, 3, 1] if rank == 4 else [1, 2, 0]
        back = [0, 3, 1, 2] if rank == 4 else [2, 0, 1]
        img = array_ops.transpose(
            tf_image.resize(array_ops.transpose(img, perm), (th, tw), method=interpolation),
            back)
    else:
        img = img[..., h0:h0 + crop_h, w0:w0 + crop_w, :]
        img = tf_image.resize(img, (th, tw), method=interpolation)
    if isinstance(x, np.ndarray):
        return np.array(img)
    return img
