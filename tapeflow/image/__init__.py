"""``tf.image``: resizing, flips, crops and pads, colour adjustments, dtype conversion,
random augmentations and the image codecs (from ``tf.io``)."""
from ..io import _image as _codecs
from ._boxes import *  # noqa: F403
from ._boxes import __all__ as _b
from ._color import *  # noqa: F403
from ._color import __all__ as _c
from ._crops import *  # noqa: F403
from ._crops import __all__ as _k
from ._geometry import *  # noqa: F403
from ._geometry import __all__ as _g
from ._glimpse import *  # noqa: F403
from ._glimpse import __all__ as _e
from ._nms import *  # noqa: F403
from ._nms import __all__ as _n
from ._patches import *  # noqa: F403
from ._patches import __all__ as _p
from ._random import *  # noqa: F403
from ._random import __all__ as _r
from ._resize import *  # noqa: F403
from ._resize import __all__ as _z

__all__ = (list(_b) + list(_c) + list(_k) + list(_g) + list(_e) + list(_n) + list(_p) + list(_r)
           + list(_z))

# TF's tf.image also carries the codecs of tf.io
_CODECS = ["decode_and_crop_jpeg", "decode_bmp", "decode_gif", "decode_image", "decode_jpeg",
           "decode_png", "decode_webp", "encode_jpeg", "encode_png", "extract_jpeg_shape",
           "is_jpeg"]
globals().update({_n: getattr(_codecs, _n) for _n in _CODECS})
__all__ += _CODECS
