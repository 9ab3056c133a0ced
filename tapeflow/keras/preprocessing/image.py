"""``keras.preprocessing.image``: ``keras.utils``'s image file functions."""
from ..utils.image import (  # noqa: F401
    array_to_img,
    img_to_array,
    load_img,
    save_img,
    smart_resize,
)
