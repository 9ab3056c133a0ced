"""``tf.signal``: Fourier transforms, framing, windows, the short-time Fourier transform, mel
filterbanks and the DCT."""
from ._fft import *  # noqa: F403
from ._fft import __all__ as _f
from ._frames import *  # noqa: F403
from ._frames import __all__ as _s
from ._mel import *  # noqa: F403
from ._mel import __all__ as _m
from ._nd import *  # noqa: F403
from ._nd import __all__ as _n

__all__ = list(_f) + list(_s) + list(_m) + list(_n)
