"""tf.io.decode_webp / tf.image.decode_webp and WebP in decode_image; files and expected
pixels recorded from TF 2.21 (lossless WebPs, so every decoder gives the same pixels)."""
import pytest

import tapeflow as tf

PIL = pytest.importorskip("PIL.features", reason="WebP decoding needs Pillow (optional)")
if not PIL.check("webp"):
    pytest.skip("this Pillow was built without WebP (optional)", allow_module_level=True)

RGB = (b'RIFF~\x00\x00\x00WEBPVP8Lr\x00\x00\x00/\x04\xc0\x00\x00P\x13\x00Hs\x13\x80\x9f\x06'
       b'\x84\xe0\x06\xf7h` \xed\xe0m\x043i\x185\x91l5\xf5\x97\xf0\t]\xf2\x80\x12\xdc\xe0\x00%'
       b'\x88H\x1dU\x0ej\x185\xb5\xb5d3) \r\x87\x1eD\xe0\xd0\x82\xcd\xbf\x04\xae:\x1b\xc0*\x06'
       b'\xd0\xd1\xa5\xff\xc1\xc1%\xfeQ\x00\xe7m\x82\xfb\x8bkN\xd3#\xd8\xae(\x0b\xec\xb5\xed'
       b'\xfe\x8cQ\xcf{\x93\xa7\xed\t\xd2"\x87\xbf6')
RGB_PIXELS = [[[172, 47, 117], [192, 67, 251], [195, 103, 9], [211, 21, 242], [36, 87, 70]],
              [[216, 88, 140], [58, 193, 230], [39, 87, 174], [88, 81, 165], [25, 77, 72]],
              [[9, 148, 115], [208, 243, 197], [254, 79, 175], [192, 82, 99], [216, 177, 243]],
              [[29, 147, 147], [142, 167, 32], [193, 9, 185], [127, 32, 31], [202, 244, 151]]]
RGBA = (b'RIFFX\x00\x00\x00WEBPVP8LL\x00\x00\x00/\x01\x80\x00\x10/\xa0\xa8m\x1b\xa8\x07\x87>'
        b'\xab\x92\x1b\xf7AR\x0c\x00\r\xd4\xa1\x10C\xff\x00\x871_5\x01\x080-)\xed\x97c\x05P'
        b'\x13\x80\x00\xd3\xc0\x88!\x93K\x14\xcd\xe3{\xe7\xbc\x86\xb0\xf1\xfbdS!\x16LC\xd7@r('
        b'\xa2\xff\x91\x01')
RGBA_PIXELS = [[[163, 254, 203, 114], [183, 28, 34, 128]], [[128, 164, 53, 133],
                                                            [38, 232, 244, 17]],
               [[79, 132, 105, 42], [186, 31, 120, 1]]]


def test_decode_webp_rgb_and_rgba():
    out = tf.io.decode_webp(RGB)
    assert out.dtype == tf.uint8 and out.shape == (1, 4, 5, 3)
    assert out.numpy()[0].tolist() == RGB_PIXELS
    assert tf.io.decode_webp(RGB, channels=3).shape == (1, 4, 5, 3)
    out = tf.image.decode_webp(RGBA)
    assert out.shape == (1, 3, 2, 4) and out.numpy()[0].tolist() == RGBA_PIXELS
    assert tf.io.decode_webp(tf.constant(RGBA), channels=4).shape == (1, 3, 2, 4)


def test_decode_image_reads_webp():
    assert tf.io.decode_image(RGB).shape == (1, 4, 5, 3)
    flat = tf.io.decode_image(RGB, expand_animations=False)
    assert flat.shape == (4, 5, 3) and flat.numpy().tolist() == RGB_PIXELS
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="WebP only supports uint8 for dtype"):
        tf.image.decode_image(RGB, dtype=tf.float32)


@pytest.mark.parametrize("data,kw,message", [
    (RGBA, dict(channels=3), "Number of channels requested does not match input"),
    (RGB, dict(channels=4), "Number of channels requested does not match input"),
    (RGB, dict(channels=1), "WebP only supports 3 or 4 channels"),
    (RGB, dict(channels=2), "`channels` must be 0, 1, 3 or 4 but got 2"),
    (RGB, dict(channels=5), "`channels` must be 0, 1, 3 or 4 but got 5"),
    (b"garbage", {}, "Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP "
                     "required."),
    (RGB, dict(dtype=tf.float32), "Value for attr 'dtype' of float is not in the list of "
                                  "allowed values: uint8"),
])
def test_decode_webp_errors(data, kw, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message.replace(".", r"\.")):
        tf.io.decode_webp(data, **kw)
