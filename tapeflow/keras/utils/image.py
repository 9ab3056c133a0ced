"""``keras.utils.array_to_img`` / ``img_to_array``: NumPy arrays to and from PIL images.

``array_to_img`` needs Pillow (the ``image`` extra: ``pip install tapeflow[image]``); without
it, it raises Keras' ``ImportError``. ``img_to_array`` needs no Pillow: it reads anything
NumPy can (a PIL image, an array, a tensor)."""
from ...backend import host as np
from ...backend import to_host
from ...tensor import TensorBase
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


def _host(x, dtype):
    if isinstance(x, TensorBase):
        x = to_host(x._v)
    return np.asarray(x, dtype=dtype)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of a rank-3 array (RGB, RGBA or one-channel), rescaled to 0-255 when
    ``scale``."""
    data_format = _data_format(data_format)
    if dtype is None:
        dtype = backend.floatx()
    pil_image = _pil_image()
    if pil_image is None:
        raise ImportError("Could not import PIL.Image. The use of `array_to_img` requires PIL. "
                          "Install Pillow: `pip install tapeflow[image]`.")
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
