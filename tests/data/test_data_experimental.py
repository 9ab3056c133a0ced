"""tf.data.experimental and the newer tf.data names (options, readers, grouping, Optional,
save/load/snapshot, lookup tables) against TF 2.21's recorded outcomes
(tests/fixtures/tf_data_experimental_cases.py), plus behaviours a recording cannot show
(atomic saves, seeded randomness, option objects)."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.tf_data_experimental_cases import CASES, record

RECORDED = json.loads((Path(__file__).parent.parent / "fixtures" /
                       "tf_data_experimental_2_21.json").read_text())["cases"]

# cases whose error message names TF's graph internals or file format: the class must match,
# the message is tapeflow's own
OWN_MESSAGE = {
    "group_by_window_int32_key": "TF names its traced graph tensor ('Cast:0')",
    "load_missing": "TF names its snapshot protobuf (dataset_spec.pb); tapeflow's format differs",
    "from_list_mixed": "TF prints its nest comparison report",
    "get_structure_tensor": "TF names its EagerTensor class",
    "options_wrong_group_type": "TF names its ThreadingOptions module path",
    "options_merge_bad": "TF names its Options module path",
    "save_load_tuple_gzip": "TF reads GZIP shards as TFRecords; tapeflow names the mismatch",
}


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


def _close(got, want):
    if isinstance(want, dict) and isinstance(got, dict):
        assert sorted(got) == sorted(want)
        for k in want:
            _close(got[k], want[k])
    elif isinstance(want, list) and isinstance(got, list):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _close(g, w)
    elif isinstance(want, float) and isinstance(got, (int, float)):
        assert got == pytest.approx(want, rel=1e-6)
    else:
        assert got == want


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want, got = RECORDED[name], record(tf, fn)
    if "error" in want or "error" in got:
        assert got.get("error") == want.get("error"), got
        if name not in OWN_MESSAGE:
            a, b = got["message"], want["message"]
            assert a and (a in b or b in a), (a, b)
    else:
        _close(got, want)


# -- beyond the recording ----------------------------------------------------------------------
def test_save_writes_atomically_and_refuses_unfinished(tmp_path):
    path = tmp_path / "saved"
    tf.data.Dataset.range(5).save(str(path))
    assert sorted(os.listdir(path)) == ["dataset_spec.json", "shard_0.npz"]
    meta = json.loads((path / "dataset_spec.json").read_text())
    assert meta["format"] == "tapeflow-dataset" and meta["cardinality"] == 5
    (path / "dataset_spec.json").unlink()  # as a save killed before its last step leaves it
    with pytest.raises(tf.errors.NotFoundError):
        tf.data.Dataset.load(str(path))


def test_save_failure_keeps_no_partial_files(tmp_path):
    def bad(x):
        return tf.debugging.check_numerics(1.0 / tf.cast(x, tf.float32), "boom")

    path = tmp_path / "saved"
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.data.Dataset.range(3).map(bad).save(str(path))
    assert not path.exists() or "dataset_spec.json" not in os.listdir(path)


def test_load_with_reader_func_and_spec_mismatch(tmp_path):
    path = str(tmp_path / "s")
    tf.data.Dataset.range(6).save(path, shard_func=lambda x: x % 2)
    ds = tf.data.Dataset.load(path, reader_func=lambda shards: shards.interleave(
        lambda d: d, cycle_length=2))
    assert [int(v) for v in ds] == [0, 1, 2, 3, 4, 5]
    assert sorted(int(v) for v in tf.data.Dataset.load(path)) == list(range(6))
    with pytest.raises(ValueError, match="does not match"):
        tf.data.Dataset.load(path, element_spec=tf.TensorSpec([], tf.float32))


def test_distributed_save_writes_a_loadable_dataset(tmp_path):
    path = str(tmp_path / "d")
    tf.data.experimental.distributed_save(tf.data.Dataset.range(3), path, "localhost:5000")
    assert [int(v) for v in tf.data.experimental.load(path)] == [0, 1, 2]


def test_snapshot_reads_back_without_recomputing(tmp_path):
    calls = []

    def note(x):
        calls.append(int(x))
        return x

    path = str(tmp_path / "snap")
    ds = tf.data.Dataset.range(3).map(note).snapshot(path)
    assert [int(v) for v in ds] == [0, 1, 2]
    done = len(calls)
    assert [int(v) for v in ds] == [0, 1, 2] and len(calls) == done  # read from the files
    partial = tf.data.Dataset.range(3).map(note).snapshot(str(tmp_path / "p"))
    next(iter(partial))
    assert not os.path.exists(tmp_path / "p" / "dataset_spec.json")  # only complete passes


def test_random_dataset_seeds():
    a = [int(v) for v in tf.data.Dataset.random(seed=7).take(5)]
    assert a == [int(v) for v in tf.data.Dataset.random(seed=7).take(5)]
    assert a != [int(v) for v in tf.data.Dataset.random(seed=8).take(5)]
    ds = tf.data.Dataset.random(seed=7, rerandomize_each_iteration=True).take(5)
    assert [int(v) for v in ds] != [int(v) for v in ds]


def test_rejection_resample_moves_the_class_balance():
    ds = tf.data.Dataset.range(4000).map(lambda x: tf.cast(x % 4 == 0, tf.int64))
    out = ds.rejection_resample(lambda x: x, [0.5, 0.5], seed=3)
    classes = np.array([int(c) for c, _ in out])
    assert 0.4 < classes.mean() < 0.6  # the input is 25% class 1


def test_optional_and_iterator_spec():
    opt = tf.experimental.Optional.empty(tf.TensorSpec([], tf.int32))
    assert not bool(opt.has_value()) and opt.element_spec == tf.TensorSpec([], tf.int32)
    spec = tf.data.IteratorSpec(tf.TensorSpec([], tf.int64))
    assert spec.is_compatible_with(iter(tf.data.Dataset.range(2)))
    assert spec.value_type is type(iter(tf.data.Dataset.range(1)))


def test_options_objects():
    o = tf.data.Options()
    o.threading.private_threadpool_size = 4
    o.autotune.autotune_algorithm = tf.data.experimental.AutotuneAlgorithm.STAGE_BASED
    o.experimental_external_state_policy = tf.data.experimental.ExternalStatePolicy.IGNORE
    o.experimental_service.pinned = True
    ds = tf.data.Dataset.range(3).with_options(o)
    got = ds.options()
    assert got == o and got is not o
    assert isinstance(got.experimental_optimization, tf.data.experimental.OptimizationOptions)
    assert isinstance(got.experimental_distribute, tf.data.experimental.DistributeOptions)
    assert isinstance(got.autotune, tf.data.experimental.AutotuneOptions)
    assert isinstance(got.experimental_service, tf.data.experimental.ServiceOptions)


def test_enable_debug_mode_runs_map_inline():
    import threading

    from tapeflow.data import dataset as D

    seen = []
    old = D._DEBUG_MODE[0]
    try:
        tf.data.experimental.enable_debug_mode()
        ds = tf.data.Dataset.range(3).map(
            lambda x: seen.append(threading.get_ident()) or x, num_parallel_calls=2)
        assert [int(v) for v in ds] == [0, 1, 2]
        assert set(seen) == {threading.get_ident()}
    finally:
        D._DEBUG_MODE[0] = old


def test_table_export_and_types():
    t = tf.data.experimental.table_from_dataset(tf.data.Dataset.zip((
        tf.data.Dataset.from_tensor_slices(["a", "b"]), tf.data.Dataset.range(2))))
    keys, values = t.export()
    assert sorted(keys.numpy().tolist()) == [b"a", b"b"] and t.default_value.numpy() == -1
    init = tf.data.experimental.DatasetInitializer(tf.data.Dataset.zip((
        tf.data.Dataset.range(2), tf.data.Dataset.from_tensor_slices([1.5, 2.5]))))
    assert init.value_dtype == tf.float32
    with pytest.raises(TypeError):
        tf.data.experimental.DatasetInitializer(tf.data.Dataset.range(2))


def test_make_csv_dataset_shuffles_with_seed(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("a\n" + "\n".join(str(i) for i in range(20)) + "\n")
    first = [int(v) for b in tf.data.experimental.make_csv_dataset(
        str(p), 5, num_epochs=1, shuffle_seed=1) for v in b["a"]]
    again = [int(v) for b in tf.data.experimental.make_csv_dataset(
        str(p), 5, num_epochs=1, shuffle_seed=1) for v in b["a"]]
    assert first == again and sorted(first) == list(range(20)) and first != list(range(20))
