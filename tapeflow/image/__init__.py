"""``tf.image``: resizing, flips, crops and pads, colour adjustments, dtype conversion,
random augmentations and the image codecs (from ``tf.io``)."""
from ._color import *  # noqa: F403
from ._color import __all__ as _c
from ._geometry import *  # noqa: F403
from ._geometry import __all__ as _g
from ._random import *  # noqa: F403
from ._random import __all__ as _r
from ._resize import *  # noqa: F403
from ._resize import __all__ as _z

__all__ = list(_c) + list(_g) + list(_r) + list(_z)
