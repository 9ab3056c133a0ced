"""keras.models.clone_model, Model.to_json and keras.models.model_from_json, against
Keras 3.15's behaviour."""
import json

import numpy as np
import pytest

import tapeflow as tf

k = tf.keras


def _seq():
    return k.Sequential([k.Input((3,)), k.layers.Dense(2, kernel_initializer="ones", name="d1"),
                         k.layers.Dense(1, name="d2")], name="seq")


def _functional():
    i = k.Input((3,), name="inp")
    o = k.layers.Dense(2, name="a")(i)
    o = k.layers.Dense(1, name="b")(o)
    return k.Model(i, o, name="fun")


def test_to_json_form():
    m = _seq()
    d = json.loads(m.to_json())
    # Keras 3.15: these keys, class Sequential, module 'keras', build_config input_shape
    assert list(d) == ["module", "class_name", "config", "registered_name", "build_config",
                       "compile_config"]
    assert (d["class_name"], d["module"]) == ("Sequential", "keras")
    assert d["build_config"] == {"input_shape": [None, 3]}
    assert m.to_json(indent=1).startswith('{\n "module": "keras",\n "class_name": "Se')
    m.compile("sgd", "mse")
    assert json.loads(m.to_json())["compile_config"] is not None


def test_model_from_json_round_trip():
    m = _seq()
    m2 = k.models.model_from_json(m.to_json())
    assert type(m2).__name__ == "Sequential" and m2.name == "seq"
    assert [layer.name for layer in m2.layers] == ["d1", "d2"] and m2.built
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    m2.set_weights(m.get_weights())
    np.testing.assert_allclose(m2(x).numpy(), m(x).numpy())
    f = _functional()
    f2 = k.models.model_from_json(f.to_json())
    assert [layer.name for layer in f2.layers] == ["inp", "a", "b"]


def test_model_from_json_unknown_class():
    spec = json.dumps({"class_name": "NoSuchModel", "config": {}})
    with pytest.raises(ValueError, match="unknown model class 'NoSuchModel'"):
        k.models.model_from_json(spec)


def test_clone_sequential():
    m = _seq()
    c = k.models.clone_model(m)
    # Keras 3.15: Sequential seq ['d1', 'd2'] built, new layer objects, new weights
    assert type(c).__name__ == "Sequential" and c.name == "seq"
    assert [layer.name for layer in c.layers] == ["d1", "d2"] and c.built
    assert c.layers[0] is not m.layers[0]
    assert c.layers[0].kernel.numpy().tolist() == [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    assert c.layers[1].kernel is not m.layers[1].kernel


def test_clone_with_clone_function():
    m = _seq()

    def fn(layer):
        if layer.name == "d1":
            return k.layers.Dense(4, name="x_" + layer.name)
        return layer.__class__.from_config(layer.get_config())

    c = k.models.clone_model(m, clone_function=fn)
    assert [(layer.name, layer.units) for layer in c.layers] == [("x_d1", 4), ("d2", 1)]


def test_clone_functional():
    f = _functional()
    c = k.models.clone_model(f)
    assert type(c).__name__ == "Functional" and c.name == "fun"
    assert [layer.name for layer in c.layers] == ["inp", "a", "b"]
    assert c.layers[1] is not f.layers[1]
    c2 = k.models.clone_model(f, input_tensors=k.Input((3,), name="new"))
    assert [layer.name for layer in c2.layers] == ["new", "a", "b"]
    calls = []

    def call_function(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    c3 = k.models.clone_model(f, call_function=call_function)
    assert calls == ["a", "b"]
    assert c3(np.ones((2, 3), np.float32)).shape == (2, 1)


def test_clone_shared_layer_stays_shared():
    i = k.Input((2,))
    d = k.layers.Dense(2, name="shared")
    o = d(d(i))
    f = k.Model(i, o)
    c = k.models.clone_model(f)
    assert len(c.layers) == 2
    assert len(c.trainable_weights) == 2


def test_clone_recursive():
    inner = k.Sequential([k.Input((3,)), k.layers.Dense(2, name="in_d")], name="inner")
    outer = k.Sequential([k.Input((3,)), inner, k.layers.Dense(1, name="out_d")])
    seen = []

    def fn(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    k.models.clone_model(outer, clone_function=fn, recursive=True)
    assert seen == ["in_d", "out_d"]


def test_clone_errors():
    with pytest.raises(ValueError, match="`call_function` argument is not supported with "
                                         "Sequential models.  In a Sequential model, layers "
                                         "aren't called at model-construction time"):
        k.models.clone_model(_seq(), call_function=lambda *a: a)
    with pytest.raises(ValueError, match="Expected `model` argument to be a `Model` instance"):
        k.models.clone_model(3)


class _Sub(k.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.d = k.layers.Dense(units)

    def call(self, x):
        return self.d(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_clone_subclassed_and_unbuilt():
    c = k.models.clone_model(_Sub(units=3, name="s"))
    assert (type(c).__name__, c.name, c.units) == ("_Sub", "s", 3)
    m = k.Sequential([k.layers.Dense(2, name="a"), k.layers.Dense(1, name="b")])
    c = k.models.clone_model(m)
    assert (c.built, [layer.name for layer in c.layers]) == (False, ["a", "b"])
    m(np.ones((1, 3), np.float32))
    assert k.models.clone_model(m).built
    assert k.models.clone_model(m, input_tensors=k.Input((3,))).built


def test_clone_argument_errors():
    s = _Sub()
    with pytest.raises(ValueError, match="^Arguments `clone_function` and `input_tensors` are "
                                         "only supported for Sequential models or Functional "
                                         "models. Received model of type '_Sub', with "
                                         "clone_function=<function"):
        k.models.clone_model(s, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="^Argument `call_function` is only supported for "
                                         "Functional models. Received model of type '_Sub'"):
        k.models.clone_model(s, call_function=lambda *a: a)
    seq = k.Sequential([k.Input((2,)), k.layers.Dense(1)])
    with pytest.raises(ValueError, match="^Argument `input_tensors` must contain a single "
                                         "tensor.$"):
        k.models.clone_model(seq, input_tensors=[k.Input((2,)), k.Input((2,))])
    with pytest.raises(ValueError, match="^Argument `input_tensors` must be a KerasTensor. "
                                         "Received invalid value: input_tensors=3$"):
        k.models.clone_model(seq, input_tensors=[3])
