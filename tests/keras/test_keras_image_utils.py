"""``keras.utils.array_to_img`` / ``img_to_array`` / ``load_img`` / ``save_img``: values and
errors recorded from TF 2.21 (Keras 3) with Pillow installed, and the ImportError without
Pillow."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.utils import image as image_utils

u = tf.keras.utils
X = np.arange(12).reshape(2, 2, 3)


def test_img_to_array_shapes_and_dtypes():
    a = u.img_to_array(X)
    assert a.dtype == np.float32 and a.shape == (2, 2, 3) and a[0, 0].tolist() == [0., 1., 2.]
    assert u.img_to_array(X, data_format="channels_first").shape == (3, 2, 2)
    assert u.img_to_array(np.ones((2, 3))).shape == (2, 3, 1)
    assert u.img_to_array(np.ones((2, 3)), data_format="channels_first").shape == (1, 2, 3)
    assert u.img_to_array(X, dtype="uint8").dtype == np.uint8
    t = u.img_to_array(tf.ones((2, 2, 3)))
    assert type(t) is np.ndarray and t.dtype == np.float32
    with pytest.raises(ValueError, match=r"Unsupported image shape: \(3,\)"):
        u.img_to_array(np.ones(3))
    with pytest.raises(ValueError, match=r"The `data_format` argument must be one of "
                                         r"\{'channels_first', 'channels_last'\}. Received: "
                                         r"data_format=nchw"):
        u.img_to_array(X, data_format="nchw")


def test_array_to_img_without_pillow(monkeypatch):
    monkeypatch.setattr(image_utils, "_pil_image", lambda: None)
    # TF 2.21 without Pillow: ImportError "Could not import PIL.Image. The use of
    # `array_to_img` requires PIL." (tapeflow adds the extra to install)
    with pytest.raises(ImportError, match=r"Could not import PIL.Image. The use of "
                                          r"`array_to_img` requires PIL.*tapeflow\[image\]"):
        u.array_to_img(X)


def test_array_to_img_with_pillow():
    pytest.importorskip("PIL")
    img = u.array_to_img(X)
    assert type(img).__name__ == "Image" and img.mode == "RGB" and img.size == (2, 2)
    assert np.asarray(img).tolist() == [[[0, 23, 46], [69, 92, 115]],
                                        [[139, 162, 185], [208, 231, 255]]]
    assert np.asarray(u.array_to_img(X, scale=False)).tolist() == [
        [[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]
    gray = u.array_to_img(np.arange(6).reshape(2, 3, 1))
    assert (gray.mode, gray.size) == ("L", (3, 2))
    assert np.asarray(gray).tolist() == [[0, 51, 102], [153, 204, 255]]
    wide = u.array_to_img(np.arange(6).reshape(2, 3, 1) * 100, scale=False)
    assert wide.mode == "I" and np.asarray(wide).tolist() == [[0, 100, 200], [300, 400, 500]]
    rgba = u.array_to_img(np.ones((2, 3, 4)))
    assert (rgba.mode, rgba.size) == ("RGBA", (3, 2))
    cf = u.array_to_img(np.ones((3, 2, 5)), data_format="channels_first")
    assert (cf.mode, cf.size) == ("RGB", (5, 2))
    assert np.asarray(u.array_to_img(np.full((1, 2, 3), 7.))).tolist() == [[[0, 0, 0],
                                                                             [0, 0, 0]]]
    assert u.array_to_img(tf.ones((2, 2, 3))).mode == "RGB"
    assert u.img_to_array(u.array_to_img(X)).tolist() == [
        [[0., 23., 46.], [69., 92., 115.]], [[139., 162., 185.], [208., 231., 255.]]]
    with pytest.raises(ValueError, match=r"Expected image array to have rank 3 \(single "
                                         r"image\). Got array with shape: \(2, 3\)"):
        u.array_to_img(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        u.array_to_img(np.ones((2, 3, 2)))


# load_img / save_img: pixel sums of the loaded images as Keras 3.15 (TF 2.21) with Pillow
# gave them for IMAGE saved as PNG (RGB, RGBA with its red channel as alpha, and its red
# channel as grayscale); target sizes (20, 31) ("resize") and (40, 12) ("resize2")
IMAGE = (np.arange(37 * 53 * 3) * 7919 % 251).reshape(37, 53, 3).astype(np.uint8)
KERAS_SUMS = {
    "grayscale/a.png": 245786,
    "grayscale/g.png": 245359,
    "grayscale/rgba.png": 245786,
    "resize/bicubic/False": 232571,
    "resize/bicubic/True": 232463,
    "resize/bilinear/False": 232598,
    "resize/bilinear/True": 232478,
    "resize/box/False": 233795,
    "resize/box/True": 232464,
    "resize/hamming/False": 232672,
    "resize/hamming/True": 232477,
    "resize/lanczos/False": 232531,
    "resize/lanczos/True": 232492,
    "resize/nearest/False": 232754,
    "resize/nearest/True": 231739,
    "resize2/bicubic/False": 180060,
    "resize2/bicubic/True": 180045,
    "resize2/bilinear/False": 180067,
    "resize2/bilinear/True": 180065,
    "resize2/box/False": 180126,
    "resize2/box/True": 180561,
    "resize2/hamming/False": 180083,
    "resize2/hamming/True": 180059,
    "resize2/lanczos/False": 180064,
    "resize2/lanczos/True": 180111,
    "resize2/nearest/False": 181816,
    "resize2/nearest/True": 180561,
    "rgb/a.png": 735695,
    "rgb/g.png": 736077,
    "rgb/rgba.png": 735695,
    "rgba/a.png": 1235750,
    "rgba/g.png": 1236132,
    "rgba/rgba.png": 981054
}


@pytest.fixture
def image_files(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    pil.fromarray(IMAGE).save(tmp_path / "a.png")
    pil.fromarray(np.dstack([IMAGE, IMAGE[..., :1]])).save(tmp_path / "rgba.png")
    pil.fromarray(IMAGE[..., 0]).save(tmp_path / "g.png")
    return tmp_path


def _case(path, key):
    kind, interp, keep = key.split("/")
    size = (20, 31) if kind == "resize" else (40, 12)
    return u.load_img(path / "a.png", target_size=size, interpolation=interp,
                      keep_aspect_ratio=keep == "True"), size


def test_load_img_matches_keras(image_files):
    modes = {"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}
    for key, total in KERAS_SUMS.items():
        if key.startswith("resize"):
            img, (h, w) = _case(image_files, key)
            assert (img.mode, img.size) == ("RGB", (w, h)), key
        else:
            mode, name = key.split("/")
            img = u.load_img(str(image_files / name), color_mode=mode)
            assert (img.mode, img.size) == (modes[mode], (53, 37)), key
        assert int(np.asarray(img).astype(np.int64).sum()) == total, key


def test_load_img_sources_and_errors(image_files):
    import io

    raw = (image_files / "a.png").read_bytes()
    for src in (str(image_files / "a.png"), image_files / "a.png", io.BytesIO(raw)):
        assert np.array_equal(np.asarray(u.load_img(src)), IMAGE)
    # the right size already: the interpolation is never looked at (as in Keras)
    same = u.load_img(image_files / "a.png", target_size=(37, 53), interpolation="zzz")
    assert same.size == (53, 37)
    with pytest.raises(ValueError, match="Invalid interpolation method zzz specified. "
                                         "Supported methods are nearest, bilinear, bicubic"):
        u.load_img(image_files / "a.png", target_size=(20, 31), interpolation="zzz")
    with pytest.raises(ValueError, match='color_mode must be "grayscale", "rgb", or "rgba"'):
        u.load_img(image_files / "a.png", color_mode="bad")
    with pytest.raises(TypeError, match="path should be path-like or io.BytesIO, not "
                                        "<class 'int'>"):
        u.load_img(123)
    with pytest.raises(FileNotFoundError):
        u.load_img(image_files / "nope.png")


def test_load_img_without_pillow(monkeypatch):
    monkeypatch.setattr(image_utils, "_pil_image", lambda: None)
    with pytest.raises(ImportError, match=r"The use of `load_img` requires PIL"):
        u.load_img("x.png")


def test_save_img(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    x = np.linspace(0, 1, 9 * 11 * 3).reshape(9, 11, 3)
    for name, fmt in (("s.png", None), ("s.jpg", "jpg"), ("s2", "png"), ("s3", "jpeg")):
        u.save_img(tmp_path / name, x, file_format=fmt)
        assert np.asarray(pil.open(tmp_path / name)).shape == (9, 11, 3)
    assert np.array_equal(np.asarray(pil.open(tmp_path / "s.png")),
                          np.asarray(u.array_to_img(x)))
    with pytest.warns(UserWarning, match="The JPEG format does not support RGBA images, "
                                         "converting to RGB."):
        u.save_img(tmp_path / "r.jpg", np.ones((9, 11, 4)), file_format="jpg")
    assert pil.open(tmp_path / "r.jpg").mode == "RGB"
    u.save_img(tmp_path / "cf.png", np.ones((3, 5, 7)), data_format="channels_first")
    assert pil.open(tmp_path / "cf.png").size == (7, 5)
    u.save_img(tmp_path / "ns.png", np.full((2, 2, 3), 7.0), scale=False)
    assert np.asarray(pil.open(tmp_path / "ns.png")).tolist() == [[[7] * 3] * 2] * 2


def test_keras_utils_names():
    import tapeflow.keras.backend as kb
    import tapeflow.keras.models.data as kd

    names = {n for n in dir(u) if not n.startswith("_")}
    assert {"load_img", "save_img", "get_file", "pack_x_y_sample_weight", "clear_session",
            "image_dataset_from_directory"} <= names
    assert not names & {"np", "importlib", "random", "TensorBase", "to_host", "tf_random"}
    assert u.pack_x_y_sample_weight is kd.pack_x_y_sample_weight
    assert u.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert u.clear_session is kb.clear_session and u.is_keras_tensor is kb.is_keras_tensor
    assert u.get_custom_objects is tf.keras.saving.get_custom_objects


def test_pad_sequences_as_keras():
    # Keras 3.15's results and messages
    seqs = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10]]
    p = u.pad_sequences
    out = p(seqs)
    assert out.dtype == np.int32 and out.tolist() == [
        [0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [0, 0, 0, 0, 0], [6, 7, 8, 9, 10]]
    assert p(seqs, maxlen=3).tolist() == [[1, 2, 3], [0, 4, 5], [0, 0, 0], [8, 9, 10]]
    assert p(seqs, maxlen=3, padding="post").tolist()[1] == [4, 5, 0]
    assert p(seqs, maxlen=3, truncating="post").tolist()[3] == [6, 7, 8]
    assert p(seqs, maxlen=2, padding="post", truncating="post", value=-1).tolist() == [
        [1, 2], [4, 5], [-1, -1], [6, 7]]
    f = p(seqs, dtype="float32", value=0.5)
    assert f.dtype == np.float32 and f.tolist()[1] == [0.5, 0.5, 0.5, 4.0, 5.0]
    assert p([[1.7, 2.2]]).tolist() == [[1, 2]]
    assert p([["a", "bc"], ["d"]], dtype=object, value="x").tolist() == [["a", "bc"],
                                                                         ["x", "d"]]
    assert p([[[1, 2], [3, 4]], [[5, 6]]]).tolist() == [[[1, 2], [3, 4]], [[0, 0], [5, 6]]]
    assert p(np.array([[1, 2], [3, 4]]), maxlen=3).tolist() == [[0, 1, 2], [0, 3, 4]]
    assert p([[]]).shape == (1, 0)
    for kw, msg in (({"padding": "mid"}, 'Padding type "mid" not understood'),
                    ({"maxlen": 2, "truncating": "mid"}, 'Truncating type "mid" not')):
        with pytest.raises(ValueError, match=msg):
            p(seqs, **kw)
    with pytest.raises(ValueError, match="`dtype` int32 is not compatible with `value`'s type"):
        p([["a"]], value="x")
    with pytest.raises(ValueError, match=r"Shape of sample \(3,\) of sequence at position 1 "
                                         r"is different from expected shape \(2,\)"):
        p([[[1, 2]], [[5, 6, 7]]])
    with pytest.raises(ValueError, match="must be a list of iterables. Found non-iterable: 1"):
        p([1, 2])
    for bad in (5, (x for x in [[1]])):
        with pytest.raises(ValueError, match="`sequences` must be iterable."):
            p(bad)


def test_keras_preprocessing_module():
    pre = tf.keras.preprocessing
    assert pre.sequence.pad_sequences is u.pad_sequences
    assert pre.image.load_img is u.load_img and pre.image.img_to_array is u.img_to_array
    assert pre.image_dataset_from_directory is u.image_dataset_from_directory
    assert {"image", "sequence", "text_dataset_from_directory"} <= set(dir(pre))


def _as_lists(ds):
    return [tuple(t.numpy().tolist() for t in el) if isinstance(el, tuple)
            else el.numpy().tolist() for el in ds]


def test_timeseries_dataset_as_tf():
    # TF 2.21's batches, element specs and messages
    f = u.timeseries_dataset_from_array
    data = np.arange(20)
    ds = f(data, None, 5, batch_size=4)
    assert str(ds.element_spec) == "TensorSpec(shape=(None, None), dtype=tf.int64, name=None)"
    got = _as_lists(ds)
    assert len(got) == 4 and got[0] == [[0, 1, 2, 3, 4], [1, 2, 3, 4, 5], [2, 3, 4, 5, 6],
                                        [3, 4, 5, 6, 7]] and got[3][-1] == [15, 16, 17, 18, 19]
    ds = f(data, data[3:] * 10, 3, sequence_stride=2, sampling_rate=2, batch_size=3)
    assert _as_lists(ds) == [([[0, 2, 4], [2, 4, 6], [4, 6, 8]], [30, 50, 70]),
                             ([[6, 8, 10], [8, 10, 12], [10, 12, 14]], [90, 110, 130]),
                             ([[12, 14, 16], [14, 16, 18]], [150, 170])]
    x2 = np.arange(40, dtype=np.float32).reshape(20, 2)
    one = f(x2, None, 4, batch_size=None)
    assert str(one.element_spec) == "TensorSpec(shape=(None, 2), dtype=tf.float32, name=None)"
    assert len(_as_lists(one)) == 17
    ds = f(x2, np.arange(20), 4, start_index=3, end_index=15, batch_size=2)
    assert [y for _, y in _as_lists(ds)] == [[3, 4], [5, 6], [7, 8], [9, 10], [11]]
    assert _as_lists(ds)[0][0][0] == [[6.0, 7.0], [8.0, 9.0], [10.0, 11.0], [12.0, 13.0]]
    assert _as_lists(f(data, None, 25)) == [] == _as_lists(f(data, None, 3, end_index=0))
    assert _as_lists(f(data, None, 0)) == [[[]] * 21]  # TF's quirk: 21 empty windows
    for kw, msg in ((dict(start_index=-1), "`start_index` must be 0 or greater"),
                    (dict(start_index=20), "`start_index` must be lower than the length"),
                    (dict(end_index=20), "`end_index` must be lower than the length"),
                    (dict(start_index=5, end_index=5), "`end_index` must be higher than "
                                                       "`start_index`"),
                    (dict(sampling_rate=0), "`sampling_rate` must be higher than 0"),
                    (dict(sequence_stride=20), "Received: sequence_stride=20, for data of "
                                               "length 20")):
        with pytest.raises(ValueError, match=msg):
            f(data, None, 3, **kw)


def test_timeseries_dataset_shuffles_every_pass():
    f = u.timeseries_dataset_from_array
    ds = f(np.arange(20), np.arange(20), 3, batch_size=5, shuffle=True, seed=3)
    passes = [[int(x[0]) for xb, _ in ds for x in xb.numpy()] for _ in range(2)]
    assert sorted(passes[0]) == list(range(18)) == sorted(passes[1])
    assert passes[0] != passes[1] and passes[0] != list(range(18))
    for xb, yb in ds:  # each window keeps its own target
        assert xb.numpy()[:, 0].tolist() == yb.numpy().tolist()
    again = f(np.arange(20), np.arange(20), 3, batch_size=5, shuffle=True, seed=3)
    assert [int(x[0]) for xb, _ in again for x in xb.numpy()] == passes[0]
    assert tf.keras.preprocessing.timeseries_dataset_from_array is f


def test_smart_resize_as_tf():
    # TF 2.21's (Keras 3) shapes, dtypes and sums for a 7x10x3 image
    sr = tf.keras.preprocessing.image.smart_resize
    x = (np.arange(7 * 10 * 3) % 17).reshape(7, 10, 3).astype(np.float32)
    cases = [((x, (4, 4)), {}, (4, 4, 3), "float32", 383.219),
             ((x, (5, 3)), {"interpolation": "nearest"}, (5, 3, 3), "float32", 339.0),
             ((x, (14, 20)), {}, (14, 20, 3), "float32", 6588.0),
             ((x.astype(np.uint8), (4, 4)), {}, (4, 4, 3), "float32", 383.219),
             ((np.stack([x, x]), (3, 5)), {"interpolation": "bicubic"}, (2, 3, 5, 3),
              "float32", 703.707),
             ((x.transpose(2, 0, 1), (4, 4)), {"data_format": "channels_first"}, (3, 4, 4),
              "float32", 383.219),
             ((x.astype(np.uint8), (4, 5)), {"interpolation": "nearest"}, (4, 5, 3), "uint8",
              440.0),
             ((x, (4, 4)), {"interpolation": "area"}, (4, 4, 3), "float32", 381.061),
             ((x, (6, 9)), {"interpolation": "lanczos3"}, (6, 9, 3), "float32", 1263.428)]
    for args, kw, shape, dtype, total in cases:
        r = sr(*args, **kw)
        assert type(r) is np.ndarray and r.shape == shape and r.dtype == dtype, (args[1], kw)
        assert round(float(r.astype(np.float64).sum()), 3) == total, (args[1], kw)
    t = sr(tf.constant(x), (4, 4))
    assert isinstance(t, tf.Tensor) and t.shape == (4, 4, 3)
    with pytest.raises(ValueError, match=r"Expected `size` to be a tuple of 2 integers, but "
                                         r"got: \(4,\)."):
        sr(x, (4,))
    with pytest.raises(ValueError, match=r"incorrect rank, of shape \(10, 3\)."):
        sr(x[0], (4, 4))
    with pytest.raises(ValueError, match=r"Invalid value for argument `interpolation`. "
                                         r"Expected of one \('bilinear', 'nearest'"):
        sr(x, (4, 4), interpolation="zzz")
