"""``tf.io``: files, image codecs, raw bytes and CSV records."""
from ._csv import *  # noqa: F403
from ._files import *  # noqa: F403
from ._image import *  # noqa: F403
