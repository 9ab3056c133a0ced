"""Data-parallel training under ``mpiexec -n 2`` and ``-n 3`` (uneven shards) against the
same training in one process: weights, global metrics, shard coverage, custom loops,
rank-0-only output, and faults (a killed, a hung and a raising rank) with resume."""
import json

import numpy as np
import pytest
from _launch import launch, needs_mpi, result

pytestmark = needs_mpi


def _max_diff(a, b):
    return max(float(np.abs(np.asarray(x) - np.asarray(y)).max()) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """fit, the custom loop and the fault run's uninterrupted training, in one process."""
    out = tmp_path_factory.mktemp("one")
    launch(None, "fit,loop,fault", out)
    return out


@pytest.mark.parametrize("n", [2, 3])
def test_fit_equals_one_process_with_the_global_batch(reference, tmp_path, n):
    launch(n, "fit", tmp_path)
    one, many = result(reference, "fit"), result(tmp_path, "fit")
    for key in ("sgd", "adam", "dataset", "off"):
        # NOTE: 100 examples in batches of 32 end with a batch of 4: 2+1+1 rows on 3 ranks,
        # so a plain mean of the ranks' gradients would differ; weighting by rows does not
        assert _max_diff(one[key]["weights"], many[key]["weights"]) < 1e-6, key
        for metric, values in one[key]["history"].items():
            np.testing.assert_allclose(many[key]["history"][metric], values, rtol=1e-5,
                                       err_msg=f"{key} {metric}")
    for metric, value in one["sgd"]["evaluate"].items():
        assert many["sgd"]["evaluate"][metric] == pytest.approx(value, rel=1e-5)
    # every rank ends with the same weights
    ranks = [result(tmp_path, f"fit.rank{r}")["weights"] for r in range(n)]
    for other in ranks[1:]:
        assert _max_diff(ranks[0], other) == 0.0


def test_custom_loop_coverage_and_output_on_three_ranks(reference, tmp_path):
    proc, _ = launch(3, "loop,coverage,output,bn", tmp_path)
    one, many = result(reference, "loop"), result(tmp_path, "loop")
    assert one["replicas"] == 1 and many["replicas"] == 3
    assert _max_diff(one["weights"], many["weights"]) < 1e-6
    np.testing.assert_allclose(many["losses"], one["losses"], rtol=1e-5)
    assert _max_diff(one["on_batch"], many["on_batch"]) < 1e-6
    # epoch 1 eager, epoch 2 through tf.function: rank 0's share of each batch of 20
    assert many["seen"] == [7] * 10
    assert many["all_reduce"] == [3.0, 3.0]  # sum of [1, rank] over ranks 0, 1, 2
    assert many["mean_axis"] == pytest.approx(8 / 6)  # rank r holds r+1 copies of r
    # every one of 103 shuffled examples seen exactly once per epoch (2 epochs)
    for r in range(3):
        cov = result(tmp_path, f"coverage.rank{r}")
        assert cov["counts"] == [2.0] * 103
        assert cov["local"] == [[41, 41], [31, 31], [31, 31]][r]
        assert cov["off"] == 103  # AutoShardPolicy.OFF: every rank reads every example
    # only rank 0 printed the progress and wrote the checkpoints
    assert proc.stdout.count("Epoch 1/2") == 1 and proc.stdout.count("Epoch 2/2") == 1
    assert proc.stdout.count("/step") == 4  # fit's 2 epochs, evaluate, predict: rank 0 only
    assert [result(tmp_path, f"output.rank{r}")["saved"] for r in range(3)] == [2, 0, 0]
    # BatchNormalization's moving statistics: one averaged value on every rank
    bn = [result(tmp_path, f"bn.rank{r}")["moving"] for r in range(3)]
    assert bn[0] == bn[1] == bn[2] and bn[0][0] != [0.0] * 4


def test_killed_rank_ends_the_job_and_backup_resumes(reference, tmp_path):
    proc, seconds = launch(2, "fault", tmp_path, "fault=kill", check=False, timeout=60)
    assert proc.returncode != 0
    assert seconds < 30
    text = proc.stdout + proc.stderr
    assert "signal 9" in text or "Killed" in text or "tapeflow.distribute" in text, text
    assert (tmp_path / "backup" / "latest.safetensors").exists()
    launch(2, "fault", tmp_path)  # the same command again resumes after epoch 2
    resumed, full = result(tmp_path, "fault"), result(reference, "fault")
    assert resumed["epochs"] == [2, 3] and full["epochs"] == [0, 1, 2, 3]
    np.testing.assert_allclose(resumed["loss"], full["loss"][2:], rtol=1e-5)
    assert _max_diff(resumed["weights"], full["weights"]) < 1e-6


def test_mid_epoch_backup_resumes_every_rank_at_the_same_step(reference, tmp_path):
    # save_freq=2: rank 0 backs up after step 2 of epoch 3; the last rank dies after step 3
    proc, _ = launch(2, "fault", tmp_path, "fault=kill", "freq=2", check=False)
    assert proc.returncode != 0
    raw = (tmp_path / "backup" / "latest.safetensors").read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])["__metadata__"]
    assert (header["epoch"], header["step"]) == ("2", "2")  # mid-epoch: epoch 3, 2 steps run
    launch(2, "fault", tmp_path, "freq=2")
    resumed, full = result(tmp_path, "fault"), result(reference, "fault")
    assert resumed["epochs"] == [2, 3]
    assert resumed["loss"][1] == pytest.approx(full["loss"][3], rel=1e-5)
    assert _max_diff(resumed["weights"], full["weights"]) < 1e-6


def test_hung_rank_times_out_with_a_clear_error(tmp_path):
    proc, seconds = launch(2, "fault", tmp_path, "fault=hang", check=False, timeout=60,
                           env={"TAPEFLOW_COLLECTIVE_TIMEOUT": "2"})
    assert proc.returncode != 0
    assert seconds < 20  # the hung rank sleeps 120 s: the timeout ended the job
    assert "CollectiveTimeoutError" in proc.stderr
    assert "rank 0 of 2: gradient allreduce did not complete within 2 s" in proc.stderr
    assert "Aborting the MPI job" in proc.stderr


def test_raising_rank_aborts_every_rank(tmp_path):
    proc, seconds = launch(2, "fault", tmp_path, "fault=raise", check=False, timeout=60)
    assert proc.returncode != 0 and seconds < 20
    assert "RuntimeError: injected failure on the last rank" in proc.stderr
    assert "rank 1 of 2: uncaught RuntimeError" in proc.stderr


@pytest.mark.parametrize("opt,expected", [
    ("data=uneven", "rank 1 has 6 steps per epoch, rank 0 has 5 (their datasets differ in size)"),
    ("model=uneven", "rank 1's model has variable 0 of shape (6, 9) (float32) where rank 0 has "
                     "(6, 8) (float32)"),
])
def test_ranks_that_cannot_train_together_stop_at_once_naming_the_difference(tmp_path, opt,
                                                                              expected):
    proc, seconds = launch(2, "mismatch", tmp_path, opt, check=False, timeout=60)
    assert proc.returncode != 0
    assert seconds < 20  # before any collective could time out (30 s in the tests)
    assert expected in proc.stderr, proc.stderr[-2000:]
    assert "Aborting the MPI job" in proc.stderr


def test_a_rank_leaving_with_status_0_mid_fit_fails_the_job(tmp_path):
    proc, seconds = launch(2, "mismatch", tmp_path, "exit=0", check=False, timeout=60)
    assert proc.returncode != 0 and seconds < 20
    assert "exited while Model.fit was still running" in proc.stderr, proc.stderr[-2000:]
