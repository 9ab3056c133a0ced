"""keras.utils.PyDataset (and its other name, Sequence) given to fit/evaluate/predict: the
batches read, their order, the epoch hooks, worker threads and processes, and Keras's errors.
The expected orders and messages were recorded from Keras 3.15 (TF 2.21) running the same code;
Keras's TF backend also reads batches 0 and 1 once ahead of the first pass to learn their
spec (and calls on_epoch_end after that), which tapeflow has no need to do."""
import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.models import data as data_module

keras = tf.keras


class Logged(keras.utils.PyDataset):
    """``n`` batches of 8 rows; records every index read and every hook call."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.log = []
        rng = np.random.default_rng(0)
        self.x = rng.random((n * 8, 4)).astype(np.float32)
        self.y = (self.x.sum(1) > 2).astype(np.int64)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.log.append(i)
        return self.x[i * 8:(i + 1) * 8], self.y[i * 8:(i + 1) * 8]

    def on_epoch_begin(self):
        self.log.append("begin")

    def on_epoch_end(self):
        self.log.append("end")


class Endless(keras.utils.PyDataset):
    def __init__(self):
        super().__init__()
        self.log = []

    @property
    def num_batches(self):
        return None

    def __getitem__(self, i):
        self.log.append(i)
        return np.full((2, 4), i, np.float32), np.array([0, 1])


def model(kernel="glorot_uniform"):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_initializer=kernel)])
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def test_sequence_is_pydataset():
    assert keras.utils.Sequence is keras.utils.PyDataset
    assert tf.keras.utils.PyDataset is keras.utils.PyDataset
    assert "PyDataset" in dir(keras.utils)


def test_fit_shuffles_the_batch_order_with_python_random_and_calls_the_hooks():
    m, d = model(), Logged(4)
    keras.utils.set_random_seed(1)
    h = m.fit(d, epochs=2, verbose=0)
    # Keras 3.15, after set_random_seed(1): [3, 0, 2, 1], then [3, 1, 0, 2]
    assert d.log == ["begin", 3, 0, 2, 1, "end", "begin", 3, 1, 0, 2, "end"]
    assert len(h.history["loss"]) == 2
    d.log.clear()
    m.fit(d, epochs=1, verbose=0, shuffle=False)
    assert d.log == ["begin", 0, 1, 2, 3, "end"]


def test_evaluate_and_predict_read_every_batch_in_order():
    m, d = model(), Logged(4)
    loss = m.evaluate(d, verbose=0)
    assert d.log == ["begin", 0, 1, 2, 3, "end"]
    x, y = d.x, d.y
    logits = x @ m.layers[0].kernel.numpy() + m.layers[0].bias.numpy()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(loss, -logp[np.arange(len(y)), y].mean(), rtol=1e-5)
    d.log.clear()
    out = m.predict(d, verbose=0)
    assert d.log == ["begin", 0, 1, 2, 3, "end"]
    np.testing.assert_allclose(out, logits, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("processes", [False, True])
def test_workers_build_batches_ahead_and_hand_them_over_in_order(processes):
    m = model()
    one = Logged(5)
    many = Logged(5, workers=2, use_multiprocessing=processes, max_queue_size=2)
    assert (many.workers, many.use_multiprocessing, many.max_queue_size) == (2, processes, 2)
    np.testing.assert_array_equal(m.predict(one, verbose=0), m.predict(many, verbose=0))
    assert m.evaluate(one, verbose=0) == m.evaluate(many, verbose=0)
    if processes:  # __getitem__ ran in the worker processes: only the hooks ran here
        assert many.log == ["begin", "end"] * 2
    else:
        assert many.log == ["begin", *range(5), "end"] * 2


def test_an_error_in_a_worker_reaches_the_caller():
    class Broken(Logged):
        def __getitem__(self, i):
            if i == 2:
                raise KeyError("batch 2 is missing")
            return super().__getitem__(i)

    d = Broken(4, workers=2)
    with pytest.raises(KeyError, match="batch 2 is missing"):
        model().evaluate(d, verbose=0)
    assert d.log[-1] == "end"  # the hook still closes the pass


def test_an_endless_dataset_continues_across_epochs_of_steps_per_epoch():
    m, d = model(), Endless()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.fit(d, epochs=2, steps_per_epoch=3, verbose=0)  # shuffle=True: ignored, with a warning
    assert d.log == [0, 1, 2, 3, 4, 5]
    assert any(str(w.message).startswith(
        "`shuffle=True` was passed, but will be ignored since the data `x` was provided as an "
        "infinite PyDataset.") for w in caught)
    d.log.clear()
    m.evaluate(d, steps=2, verbose=0)
    assert d.log == [0, 1]


def test_class_weight_weights_each_batch():
    class Weighted(keras.utils.PyDataset):
        def __init__(self, three=False):
            super().__init__()
            self.three = three

        def __len__(self):
            return 1

        def __getitem__(self, i):
            b = (np.ones((4, 4), np.float32), np.array([0, 1, 1, 1]))
            return b + (np.ones(4, np.float32),) if self.three else b

    m = model("zeros")
    h = m.fit(Weighted(), class_weight={0: 3.0, 1: 1.0}, verbose=0, shuffle=False)
    assert h.history["loss"][0] == pytest.approx(1.0397207736968994, rel=1e-6)  # Keras 3.15
    with pytest.raises(ValueError, match="You cannot specify `class_weight` and "
                                         "`sample_weight` at the same time."):
        model().fit(Weighted(three=True), class_weight={0: 3.0, 1: 1.0}, verbose=0)


def test_batches_may_be_bare_arrays_or_dicts():
    class Bare(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.ones((2, 4), np.float32) * i

    class Named(Bare):
        def __getitem__(self, i):
            return {"x": np.ones((2, 4), np.float32) * i}

    inp = keras.Input((4,), name="x")
    m = keras.Model(inp, keras.layers.Dense(3)(inp))
    a, b = m.predict(Bare(), verbose=0), m.predict(Named(), verbose=0)
    assert a.shape == (6, 3)
    np.testing.assert_array_equal(a, b)


def test_keras_errors():
    class Bad(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return 5

    m, d = model(), Logged(2)
    with pytest.raises(ValueError) as e:
        m.fit(Bad(), verbose=0)
    assert str(e.value) == (
        "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be ordered "
        "either (input,) or (inputs, targets) or (inputs, targets, sample_weights). Received: "
        "5... of type <class 'int'>")
    with pytest.raises(ValueError, match=r"^When providing `x` as a PyDataset, `y` should not "
                                         r"be passed. Instead, the targets should be included "
                                         r"as part of the PyDataset.$"):
        m.fit(d, np.zeros(16), verbose=0)
    with pytest.raises(ValueError, match="`sample_weights` should not be passed. Instead, "
                                         "the sample weights should be included"):
        m.evaluate(d, sample_weight=np.ones(16), verbose=0)

    class NoLength(keras.utils.PyDataset):
        def __getitem__(self, i):
            return np.zeros((2, 4), np.float32), np.array([0, 1])

    with pytest.raises(NotImplementedError) as e:
        NoLength().num_batches
    assert str(e.value) == ("You need to implement the `num_batches` property:\n\n@property\n"
                            "def num_batches(self):\n  return ...")
    with pytest.raises(NotImplementedError):
        keras.utils.PyDataset()[0]


def test_a_subclass_that_skips_super_init_gets_the_defaults_and_a_warning():
    class NoSuper(keras.utils.Sequence):
        def __init__(self):
            self.x = np.zeros((8, 4), np.float32)

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return self.x, np.zeros(8, np.int64)

    d = NoSuper()
    with pytest.warns(UserWarning, match=r"Your `PyDataset` class should call "
                                         r"`super\(\).__init__\(\*\*kwargs\)`"):
        model().fit(d, verbose=0)
    assert (d.workers, d.use_multiprocessing, d.max_queue_size) == (1, False, 10)


def test_iterating_a_pydataset_gives_its_batches():
    d = Logged(3)
    assert [b[0].shape for b in d] == [(8, 4)] * 3
    assert d.log == [0, 1, 2]  # no hooks: those are fit's


def test_a_resumed_epoch_skips_the_batches_already_run_without_building_them():
    d = Logged(4)
    batches = data_module.make_batches(d, shuffle=False)
    assert batches.resume({"step": 2}) == 2
    got = [x.numpy() for x, _, _ in data_module.epoch_from(batches, 2)]
    assert d.log == ["begin", 2, 3, "end"]
    np.testing.assert_array_equal(np.concatenate(got), d.x[16:])
