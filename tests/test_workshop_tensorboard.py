"""``tapeflow-workshop --tensorboard DIR``: the fit section writes a TensorBoard log that
TensorBoard's own reader reads; without the extra, the command says which one to install."""
import os
import subprocess
import sys

import pytest

from tapeflow.workshop import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "mnist")


def test_the_flag_reaches_the_sections_and_the_help(tmp_path):
    args = cli.parser().parse_args(["--tensorboard", str(tmp_path / "tb")])
    assert cli.child_env(args)["WORKSHOP_TENSORBOARD"] == str(tmp_path / "tb")
    assert "WORKSHOP_TENSORBOARD" not in cli.child_env(cli.parser().parse_args([]))
    text = " ".join(cli.parser().format_help().split())
    assert "--tensorboard DIR" in text and "pip install tapeflow[tensorboard]" in text


def test_without_the_extra_it_names_it(monkeypatch, capsys):
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(SystemExit) as e:
        cli.main(["-s", "compile_fit", "--tensorboard", "tb"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "pip install tapeflow[tensorboard]" in err and "Traceback" not in err


@pytest.mark.skipif(not os.path.isdir(MNIST), reason=f"MNIST files not found at {MNIST}")
def test_the_fit_section_writes_the_log(tmp_path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="the reference reader, TensorBoard, is not installed (pip install -e '.[dev]')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update(PYTHONPATH=ROOT, MPLBACKEND="Agg")
    p = subprocess.run([sys.executable, "-m", "tapeflow.workshop", "-s", "compile_fit",
                        "--epochs", "1", "--tensorboard", "tb", "--out", "out"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(os.listdir(tmp_path / "tb")) == ["train", "validation"]
    for run, tags in [("train", {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}),
                      ("validation", {"epoch_loss", "epoch_accuracy"})]:
        acc = accumulator.EventAccumulator(str(tmp_path / "tb" / run))
        acc.Reload()
        assert tags <= set(acc.Tags()["tensors"])
        assert [e.step for e in acc.Tensors("epoch_loss")] == [0]
