"""Parity with TensorFlow's tf.data: the same pipelines built in both, element values,
element_spec and cardinality compared. Skipped when TensorFlow is not installed."""
import collections
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
real = pytest.importorskip("tensorflow")

import tapeflow as tf  # noqa: E402

X = np.arange(24, dtype=np.float32).reshape(6, 4)
Y = np.arange(6, dtype=np.int64)
P = collections.namedtuple("P", "a b")


def gen():
    for i in range(5):
        yield np.arange(i, dtype=np.int32)


def gen2():
    for i in range(5):
        yield np.arange(i, dtype=np.int32), np.int64(i)


def D(m):
    return m.data.Dataset


def R(m, *args):
    return m.data.Dataset.range(*args)


def S(m, *args):
    return m.data.Dataset.from_tensor_slices(*args)


def G(m):
    return D(m).from_generator(gen, output_signature=m.TensorSpec((None,), m.int32))


# each case builds a pipeline from a module `m` (tapeflow or tensorflow)
CASES = {
    "slices_tuple": lambda m: S(m, (X, Y)),
    "slices_dict": lambda m: S(m, {"b": X, "a": (Y, Y * 2)}),
    "slices_list": lambda m: S(m, [[1, 2], [3, 4], [5, 6]]),
    "from_tensors": lambda m: D(m).from_tensors((X, 1.5)),
    "range3": lambda m: R(m, 2, 20, 3),
    "range_neg": lambda m: R(m, 10, 0, -4),
    "batch_rem": lambda m: R(m, 10).batch(4),
    "batch_drop": lambda m: R(m, 10).batch(4, drop_remainder=True),
    "batch_tuple": lambda m: S(m, (X, Y)).batch(4),
    "map_batch": lambda m: S(m, (X, Y)).map(lambda x, y: (m.reduce_sum(x) * 2.0, y + 1)).batch(4),
    "batch_map": lambda m: S(m, (X, Y)).batch(4).map(lambda x, y: (x * 2.0, y)),
    "map_dict": lambda m: S(m, {"x": X, "y": Y}).map(lambda d: {"z": d["x"][1:3], "y": d["y"]}),
    "filter": lambda m: R(m, 20).filter(lambda x: x % 3 == 0),
    "filter_batch": lambda m: R(m, 20).filter(lambda x: x % 3 == 0).batch(3),
    "repeat_take": lambda m: R(m, 4).repeat().take(10),
    "take_repeat": lambda m: R(m, 4).take(2).repeat(3),
    "repeat_batch": lambda m: R(m, 5).repeat(3).batch(4),
    "batch_repeat": lambda m: R(m, 5).batch(4).repeat(2),
    "skip": lambda m: R(m, 10).skip(7),
    "skip_all": lambda m: R(m, 10).skip(-1),
    "take_all": lambda m: R(m, 5).take(-1),
    "shard": lambda m: R(m, 11).shard(4, 3),
    "enumerate": lambda m: S(m, Y).enumerate(5),
    "concat": lambda m: R(m, 3).concatenate(R(m, 10, 12)),
    "concat_batch": lambda m: R(m, 3).concatenate(R(m, 10, 15)).batch(3),
    "zip": lambda m: D(m).zip((R(m, 5), S(m, X))),
    "zip_dict": lambda m: D(m).zip({"a": R(m, 3), "b": R(m, 5).batch(2)}),
    "zip_batch": lambda m: D(m).zip((R(m, 7), R(m, 5).map(lambda x: x * 2))).batch(2),
    "unbatch": lambda m: S(m, (X, Y)).batch(4).unbatch(),
    "rebatch": lambda m: R(m, 10).batch(4).rebatch(3),
    "gen": G,
    "gen_padded": lambda m: G(m).padded_batch(2),
    "gen_padded_shape": lambda m: G(m).padded_batch(2, padded_shapes=[6], padding_values=-1,
                                                    drop_remainder=True),
    "window": lambda m: R(m, 7).window(3, shift=2, stride=2).flat_map(lambda w: w.batch(3)),
    "window_drop": lambda m: R(m, 7).window(3, drop_remainder=True).flat_map(
        lambda w: w.batch(3)),
    "flat_map": lambda m: R(m, 4).flat_map(lambda x: R(m, x)),
    "interleave": lambda m: R(m, 1, 4).interleave(
        lambda x: D(m).from_tensors(x).repeat(4), cycle_length=2, block_length=3),
    "take_while": lambda m: R(m, 10).take_while(lambda x: x < 4),
    "cache": lambda m: R(m, 6).map(lambda x: x * x).cache(),
    "shuffle_card": lambda m: R(m, 6).shuffle(3).batch(4),
    "map_list": lambda m: R(m, 3).map(lambda x: [x, x + 1]),
    "map_scalar_const": lambda m: R(m, 3).map(lambda x: (x, 7)),
    "map_cast": lambda m: S(m, X).map(lambda x: m.cast(x, m.int32) // 3),
    "empty_repeat": lambda m: R(m, 0).repeat(),
    "prefetch_batch": lambda m: R(m, 9).prefetch(2).batch(4).prefetch(1),
    "namedtuple_map": lambda m: S(m, P(X, Y)).map(lambda p: p.a[0] + m.cast(p.b, m.float32)),
    "dict_batch": lambda m: S(m, {"x": X, "y": Y}).batch(4),
    "zip_nested": lambda m: D(m).zip(((R(m, 3), R(m, 4)), R(m, 5))),
    "empty_slices": lambda m: S(m, np.zeros((0, 3), np.float32)).batch(2),
    "take0": lambda m: R(m, 5).take(0),
    "concat_shapes": lambda m: D(m).from_tensors(np.zeros(2, np.int32)).concatenate(
        D(m).from_tensors(np.ones(3, np.int32))),
    "padded_tuple": lambda m: D(m).from_generator(gen2, output_signature=(
        m.TensorSpec((None,), m.int32), m.TensorSpec((), m.int64))).padded_batch(3),
    "unbatch_dict": lambda m: S(m, {"x": X, "y": Y}).batch(4).unbatch(),
    "enumerate_batch": lambda m: R(m, 5).batch(2).enumerate(),
    "shard_batch": lambda m: R(m, 10).batch(3).shard(2, 1),
    "filter_dict": lambda m: S(m, {"x": X, "y": Y}).filter(lambda d: d["y"] % 2 == 1),
    "map_batch_repeat": lambda m: R(m, 10).map(lambda x: x * 2).batch(3, True).repeat(2),
    "skip_take_batch": lambda m: R(m, 20).skip(3).take(9).batch(4),
    "repeat_take_batch": lambda m: R(m, 3).repeat().take(8).batch(3),
    "map_reshape_batch": lambda m: S(m, X).map(lambda x: m.reshape(x, (2, 2))).batch(5),
    "map_expand": lambda m: S(m, X).map(lambda x: m.expand_dims(x, -1)).batch(4, True),
    "bool_slices": lambda m: S(m, [True, False, True]).batch(2),
    "float64": lambda m: S(m, np.arange(3.0)).map(lambda x: x * 2),
    "scalar_from_tensors": lambda m: D(m).from_tensors(3).repeat(2),
    "rebatch_drop": lambda m: R(m, 10).batch(4).rebatch(3, drop_remainder=True),
    "window_zip": lambda m: S(m, (Y, Y * 10)).window(4, shift=3).flat_map(
        lambda a, b: D(m).zip((a.batch(4), b.batch(4)))),
    "counter": lambda m: D(m).counter(3, 2).take(4),
    "choose": lambda m: D(m).choose_from_datasets(
        [R(m, 3), R(m, 10, 13)], S(m, np.array([0, 1, 1, 0, 0, 0, 1], np.int64))),
    "choose_nostop": lambda m: D(m).choose_from_datasets(
        [R(m, 2), R(m, 10, 13)], S(m, np.array([0, 0, 0, 1, 1], np.int64)),
        stop_on_empty_dataset=False),
    "scan": lambda m: R(m, 5).scan(np.int64(0), lambda s, x: (s + x, s * 2)),
    "unique": lambda m: S(m, np.array([3, 1, 3, 2, 1], np.int32)).unique(),
    "sample_card": lambda m: D(m).sample_from_datasets([R(m, 3), R(m, 3).repeat()]),
    # issue 20: ragged map outputs padded, windows through take/interleave, () shapes, Counter
    "map_padded": lambda m: R(m, 1, 6).map(lambda x: m.fill([x], x)).padded_batch(2),
    "map_padded_tuple": lambda m: R(m, 1, 5).map(lambda x: (m.fill([x, 2], x), x)).padded_batch(
        3, padded_shapes=([None, 3], []), padding_values=(np.int64(-1), np.int64(0))),
    "map_shuffle_padded": lambda m: R(m, 1, 5).map(lambda x: m.fill([x], x)).shuffle(
        2).padded_batch(4).map(lambda b: m.reduce_sum(b)),
    "window_take_interleave": lambda m: R(m, 9).window(4, shift=5).take(2).interleave(
        lambda w: w.batch(2), cycle_length=2, block_length=1),
    "gen_scalar_shapes": lambda m: D(m).from_generator(
        gen2, output_types=(m.int32, m.int64), output_shapes=([None], ())),
    "experimental_counter": lambda m: m.data.experimental.Counter(5, -2, m.int32).take(3),
}
RANDOM = {"shuffle_card", "sample_card"}  # orders differ by design; spec and size compared


def _run(m, name):
    ds = CASES[name](m)
    return (str(ds.element_spec), int(ds.cardinality().numpy()),
            None if name in RANDOM else list(ds.as_numpy_iterator()))


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and \
            all(_same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pipeline_matches_tensorflow(name, monkeypatch):
    if not hasattr(tf, "TensorSpec"):
        monkeypatch.setattr(tf, "TensorSpec", tf.data.TensorSpec, raising=False)
    want_spec, want_card, want = _run(real, name)
    got_spec, got_card, got = _run(tf, name)
    assert (got_spec, got_card) == (want_spec, want_card)
    assert _same(want, got), (want, got)
