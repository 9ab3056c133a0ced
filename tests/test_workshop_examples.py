"""The workshop scripts (examples/workshop/) run end to end and print what the seed
article prints, wherever that output is deterministic."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKSHOP = os.path.join(ROOT, "examples", "workshop")


MNIST = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "mnist")
needs_mnist = pytest.mark.skipif(not os.path.isdir(MNIST),
                                 reason=f"MNIST files not found at {MNIST}")


def run(args, tmp_path, extra_path=(), steps=2, epochs=1):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*extra_path, ROOT])
    env["WORKSHOP_STEPS"] = str(steps)  # the article's 1000-step loops, shortened for tests
    env["WORKSHOP_EPOCHS"] = str(epochs)
    env["WORKSHOP_OUT"] = str(tmp_path / "out")
    env["MPLBACKEND"] = "Agg"
    p = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p.stdout


def section(name, tmp_path, **kw):
    return run([os.path.join(WORKSHOP, name)], tmp_path, **kw)


def losses(text):
    return [float(v) for v in re.findall(r"^Loss: (\S+)$", text, re.M)]


def test_tensors_section_prints_the_seed_reprs(tmp_path):
    out = section("01_tensors.py", tmp_path)
    expected = [
        "<tf.Tensor: shape=(4,), dtype=int32, numpy=array([1, 2, 3, 4], dtype=int32)>",
        "<tf.Tensor: shape=(4,), dtype=int32, numpy=array([3, 5, 7, 9], dtype=int32)>",
        "<tf.Tensor: shape=(4,), dtype=int32, numpy=array([4, 4, 4, 4], dtype=int32)>",
        # the Variable, its broadcast sum with vec, and what assign returns
        "<tf.Variable 'Variable:0' shape=(3, 4) dtype=int32, numpy=\n"
        "array([[1, 1, 1, 1],\n       [4, 4, 4, 4],\n       [5, 5, 5, 5]], dtype=int32)>",
        "<tf.Tensor: shape=(3, 4), dtype=int32, numpy=\n"
        "array([[2, 3, 4, 5],\n       [5, 6, 7, 8],\n       [6, 7, 8, 9]], dtype=int32)>",
        "<tf.Variable 'UnreadVariable' shape=(3, 4) dtype=int32, numpy=\n"
        "array([[2, 3, 4, 5],\n       [5, 6, 7, 8],\n       [6, 7, 8, 9]], dtype=int32)>",
        "<tf.Tensor: shape=(), dtype=int32, numpy=1>",
    ]
    pos = 0
    for e in expected:  # in the article's order
        i = out.find(e, pos)
        assert i >= 0, f"missing (or out of order): {e}\n--- got:\n{out}"
        pos = i + len(e)
    assert re.search(r"^TypeError: '\S+' object does not support item assignment$", out, re.M)


def test_linear_regression_section(tmp_path):
    out = section("02_linear_regression.py", tmp_path)
    # tf.range accumulates in float32, as the seed's TF does
    assert "4.799998 , 4.8999977], dtype=float32)>" in out
    assert out.count("<tf.Tensor: shape=(40,), dtype=float32, numpy=") == 3  # x, y, y_pred
    # closed form: the true line is y = 3.5x - 1 plus uniform(-1, 1) noise (variance 1/3)
    first_loss = float(re.search(r"numpy=([\d.]+)>", out.split("Loss:")[0].splitlines()[-1])[1])
    assert 30 < first_loss < 70  # the article's 49.60046 with its own noise
    closed = re.search(r"^Loss: (\S+)\nm: (\S+)   b: (\S+)$", out, re.M)
    assert closed, out
    loss, m, b = map(float, closed.groups())
    assert 0.15 < loss < 0.6
    assert abs(m - 3.5) < 0.4 and abs(b + 1) < 1.2
    # the first gradient: d loss / d [m, b] at m=1, b=0, both negative (line is too low)
    grads = re.search(r"\[<tf.Tensor: shape=\(\), dtype=float32, numpy=(\S+)>, "
                      r"<tf.Tensor: shape=\(\), dtype=float32, numpy=(\S+)>\]", out)
    assert grads and float(grads[1]) < -30 and float(grads[2]) < -5
    # four gradient-descent runs of 100 steps (by hand, Linear class, hand-written optimizer,
    # Keras SGD), each printing every 10th loss
    ls = losses(out)
    assert len(ls) == 1 + 4 * 10
    runs = [ls[1:11], ls[11:21], ls[21:31], ls[31:41]]
    assert runs[0] == runs[1] == runs[2] == runs[3]  # the same steps, whichever way written
    assert runs[0][0] == pytest.approx(first_loss, rel=1e-6)
    assert all(a > b for a, b in zip(runs[0], runs[0][1:])), runs[0]  # decreasing
    assert runs[0][-1] < 1.0 and runs[0][-1] > loss  # not yet at the closed-form minimum
    gd = re.findall(r"^m: (\S+)   b: (\S+)$", out, re.M)[1]
    assert 3.0 < float(gd[0]) < 4.0  # the article's m: 3.3875   b: -0.6091


def test_linear_regression_is_reproducible(tmp_path):
    assert section("02_linear_regression.py", tmp_path) == section(
        "02_linear_regression.py", tmp_path)


@needs_mnist
def test_run_all_runs_every_section_in_order(tmp_path):
    out = run([os.path.join(WORKSHOP, "run_all.py")], tmp_path)
    names = re.findall(r"^===== (\d\d_\w+\.py) ", out, re.M)
    on_disk = sorted(n for n in os.listdir(WORKSHOP) if re.match(r"^\d\d_\w+\.py$", n))
    assert names == on_disk and names[:2] == ["01_tensors.py", "02_linear_regression.py"]
    assert len(names) == 10
    assert f"{len(names)} of {len(names)} workshop sections ran" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed: skipping plots" in out
    else:
        pngs = os.listdir(tmp_path / "out")
        assert "02_data.png" in pngs and "02_closed_form.png" in pngs


def test_plots_are_skipped_with_one_line_without_matplotlib(tmp_path):
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for this test')\n")
    script = tmp_path / "plots.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {WORKSHOP!r})
        from _plots import plt, show
        plt.scatter([1, 2], [3, 4]); show("a")
        plt.plot([1, 2], [3, 4]); show("b")
        fig, ax = plt.subplots(); ax.imshow([[0]]); ax[0].set_title("t"); show("c")
        print("done")
    """))
    out = run([str(script)], tmp_path, extra_path=[str(tmp_path / "blocker")])
    assert out.count("skipping plots") == 1 and out.rstrip().endswith("done")
    assert not (tmp_path / "out").exists()


def test_internals_doc_walkthrough_runs(tmp_path):
    """docs/internals.md walks through the workshop's step; its code blocks, run in order,
    print the tape record the page shows."""
    with open(os.path.join(ROOT, "docs", "internals.md")) as f:
        doc = f.read()
    code = "\n".join(re.findall(r"```python\n(.*?)```", doc, re.S))
    script = tmp_path / "internals.py"
    script.write_text(code)
    out = run([str(script)], tmp_path)
    shown = re.search(r"```\n(ReadVariableOp.*?)```", doc, re.S)[1]
    assert shown in out, f"the record differs from the doc:\n{out}"
    assert re.search(r"^\[<tf.Tensor: shape=\(\), dtype=float32, numpy=-\d", out, re.M)


def test_multiple_outputs_section(tmp_path):
    out = section("03_multiple_inputs_outputs.py", tmp_path)
    assert "array([[ 6.,  6.],\n       [15., 15.]], dtype=float32)>" in out


@needs_mnist
def test_mnist_section_prints_the_seeds_counts(tmp_path):
    out = section("04_mnist.py", tmp_path)
    assert "<tf.Tensor: shape=(), dtype=uint8, numpy=1>" in out
    assert "(TensorShape([60000, 28, 28]), TensorShape([60000]))" in out
    counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    for i, c in enumerate(counts):
        assert f"Number of {i}: {c}" in out
    assert "(tf.uint8, tf.uint8)" in out


def acc_losses(text):
    return [(float(a), float(b)) for a, b in
            re.findall(r"^Loss: (\S+)  Accuracy: (\S+)$", text, re.M)]


@needs_mnist
def test_logistic_regression_section_matches_the_seed(tmp_path):
    out = section("05_logistic_regression.py", tmp_path, steps=101)
    assert "numpy=\narray([[nan, nan, nan, ..., nan, nan, nan]," in out  # the hand softmax
    # tf.nn.softmax is stable: every probability ~0.1 (BLAS may round columns differently,
    # so NumPy can print them as 0.1 or 0.10000001)
    stable = out.split("[nan, nan, nan")[-1].split("<tf.Tensor")[1]
    assert re.search(r"^array\(\[\[0\.1 ", stable, re.M) and "nan" not in stable
    assert "2.3025851, 2.3025851, 2.3025851" in out  # cross-entropy of the uniform guess
    rows = acc_losses(out)
    # 500-example overfit: the seed prints 2.3025851 then 0.4364985 (accuracy 0.904) at step 100
    assert rows[0][0] == pytest.approx(2.3025851, abs=1e-6)
    assert rows[1][0] == pytest.approx(0.4365, abs=0.01) and rows[1][1] > 0.88
    # full training set: the seed prints 2.3025853633880615 (0.0987) then 0.6087 (0.8613)
    assert rows[3] == (2.3025853633880615, 0.09871666878461838)
    assert rows[4][0] == pytest.approx(0.6087, abs=0.01) and rows[4][1] > 0.85


@needs_mnist
@pytest.mark.parametrize("name", ["06_neural_network.py", "07_keras_layers.py"])
def test_network_sections_train(tmp_path, name):
    out = section(name, tmp_path, steps=3)
    rows = acc_losses(out)
    assert rows and all(loss == loss and loss > 0 for loss, _ in rows)  # finite, positive


@needs_mnist
@pytest.mark.parametrize("name", ["08_tf_data.py", "09_metrics.py"])
def test_tf_data_sections_learn_in_two_epochs(tmp_path, name):
    out = section(name, tmp_path)
    rows = [(int(e), int(s), float(lo), float(a)) for e, s, lo, a in re.findall(
        r"^Epoch (\d) Step (\d+) Loss: (\S+) Accuracy: (\S+)$", out, re.M)]
    assert [(e, s) for e, s, _, _ in rows[:6]] == [(0, 0), (0, 100), (0, 200), (1, 0), (1, 100),
                                                    (1, 200)]
    # the seed reaches ~0.89 accuracy (loss ~0.37-0.43) by the second epoch
    assert rows[5][3] > 0.8 and rows[5][2] < 0.7


@needs_mnist
def test_compile_fit_section(tmp_path):
    out = section("10_compile_fit.py", tmp_path, epochs=1)
    assert re.search(r"^Epoch 1/1$", out, re.M)
    m = re.search(r"val_accuracy: ([\d.]+)", out)
    assert m and float(m[1]) > 0.6  # one epoch of SGD 0.01 (the seed: 0.7891 after one)
