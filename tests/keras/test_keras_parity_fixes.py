"""Keras 3.15 behaviours recorded from TF 2.21's tf.keras: Flatten with channels_first,
the average poolings' required window, the lookup layers' OOV hashing (``oov_method``,
``salt``) and AUC's ``multi_label`` / ``label_weights``."""
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
L = keras.layers


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(24, dtype="float32").reshape(2, 3, 2, 2)
    f = L.Flatten(data_format="channels_first")
    np.testing.assert_array_equal(f(x).numpy()[0], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
    np.testing.assert_array_equal(f(x[:, :, 0]).numpy()[0], [0, 4, 8, 1, 5, 9])
    np.testing.assert_array_equal(f(x[:, :, 0, 0]).numpy()[0], [0, 4, 8])
    np.testing.assert_array_equal(L.Flatten()(x).numpy()[0], np.arange(12))
    with pytest.raises(ValueError, match=r"must be one of \{'channels_first', "
                                         r"'channels_last'\}. Received: data_format=bad"):
        L.Flatten(data_format="bad")


@pytest.mark.parametrize("name", ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D"])
def test_average_poolings_need_a_window(name):
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'pool_size'"):
        getattr(L, name)()
    assert getattr(L, name)(2).pool_size == (2,) * int(name[-2])
    assert L.MaxPooling2D().pool_size == (2, 2)  # the max poolings keep Keras's default


TOKENS = ["a", "z", "q", "hello", "world", "x1", "x2", "x3"]


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [3, 1, 2, 1, 1, 1, 2, 0]),
    ({"oov_method": "farmhash"}, [3, 1, 2, 1, 1, 1, 2, 0]),
    ({"oov_method": "farmhash", "salt": 3}, [3, 0, 2, 0, 1, 2, 1, 2]),
    ({"oov_method": "floormod", "salt": 3}, [3, 0, 2, 0, 1, 2, 1, 2]),
    ({"oov_method": "farmhash", "salt": [1, 2]}, [3, 2, 0, 1, 1, 1, 0, 1]),
])
def test_string_lookup_oov_hashing(kwargs, expected):
    layer = L.StringLookup(vocabulary=["a", "b"], num_oov_indices=3, **kwargs)
    np.testing.assert_array_equal(layer(tf.constant(TOKENS)).numpy(), expected)
    config = layer.get_config()
    assert config["oov_method"] == kwargs.get("oov_method", "floormod")
    assert config["salt"] == kwargs.get("salt")
    again = L.StringLookup.from_config(config)
    np.testing.assert_array_equal(again(tf.constant(TOKENS)).numpy(), expected)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [3, 1, 2, 0]),
    ({"oov_method": "farmhash"}, [3, 0, 1, 0]),
    ({"oov_method": "farmhash", "salt": 3}, [3, 2, 1, 1]),
])
def test_integer_lookup_oov_hashing(kwargs, expected):
    layer = L.IntegerLookup(vocabulary=[7, 8], num_oov_indices=3, **kwargs)
    np.testing.assert_array_equal(layer(tf.constant([7, 100, 5, -3])).numpy(), expected)


def test_lookup_option_errors():
    with pytest.raises(ValueError, match=r"Unknown value for `oov_method` argument of "
                                         r"StringLookup. Allowed values are: \('floormod', "
                                         r"'farmhash'\). Received: oov_method=hash"):
        L.StringLookup(oov_method="hash")
    with pytest.raises(ValueError, match=r"`salt` can only be used when "
                                         r"`oov_method='farmhash'`. Received: "
                                         r"oov_method=floormod"):
        L.IntegerLookup(vocabulary=[7, 8], num_oov_indices=3, salt=3)


def _auc_data():
    rng = np.random.default_rng(0)
    yt = (rng.random((50, 3)) > 0.5).astype("float32")
    return yt, rng.random((50, 3)).astype("float32"), rng.random(50).astype("float32")


@pytest.mark.parametrize("kwargs, expected, shape", [
    ({"multi_label": True}, 0.516167, (200, 3)),
    ({"multi_label": True, "label_weights": [0.2, 1.0, 3.0]}, 0.523383, (200, 3)),
    ({"multi_label": True, "curve": "PR"}, 0.528068, (200, 3)),
    ({"multi_label": True, "curve": "PR", "summation_method": "majoring"}, 0.548738,
     (200, 3)),
    ({"multi_label": True, "num_labels": 3, "num_thresholds": 7}, 0.534946, (7, 3)),
    ({"multi_label": False, "label_weights": [0.2, 1.0, 3.0]}, 0.529388, (200,)),
    ({"multi_label": True, "from_logits": True}, 0.519895, (200, 3)),
])
def test_auc_per_label_and_label_weights(kwargs, expected, shape):
    yt, yp, sw = _auc_data()
    m = keras.metrics.AUC(**kwargs)
    m.update_state(yt[:20], yp[:20])
    m.update_state(yt[20:], yp[20:], sample_weight=sw[20:])
    assert float(m.result()) == pytest.approx(expected, abs=2e-6)
    assert tuple(m.variables[0].shape) == shape


def test_auc_multi_label_builds_on_first_update_and_in_fit():
    m = keras.metrics.AUC(multi_label=True)
    assert m.variables == [] and float(m.result()) == 0.0
    yt, yp, _ = _auc_data()
    with pytest.raises(ValueError, match=r"`y_pred` must have rank 2 when "
                                         r"`multi_label=True`. Found rank 1"):
        m.update_state(yt[:, 0], yp[:, 0])
    m.update_state(yt, yp)
    assert len(m.variables) == 4
    m.reset_state()
    assert float(m.result()) == 0.0
    x = np.random.default_rng(1).random((32, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=[keras.metrics.AUC(multi_label=True,
                                                                           name="auc")])
    model.fit(x, yt[:32], batch_size=8, epochs=1, verbose=0)
    direct = keras.metrics.AUC(multi_label=True)
    direct.update_state(yt[:32], model.predict(x, verbose=0))
    assert model.evaluate(x, yt[:32], verbose=0)[1] == pytest.approx(float(direct.result()))
