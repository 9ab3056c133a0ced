"""The next-steps examples (``examples/next_steps/``: TF's text, image and audio tutorials on
generated data) run at ``--quick`` size in a fresh Python each and print what the tutorials
print; the facts checked below are ones a broken layer, dataset or training loop changes."""
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples", "next_steps")


def run_example(name, tmp_path):
    """``python examples/next_steps/NAME --quick --out TMP``'s stdout (it must exit 0)."""
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg")
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--quick", "--out",
                        str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p.stdout


def number(pattern, text):
    """The float that ``pattern``'s first group matches in ``text``."""
    m = re.search(pattern, text, re.M)
    assert m, f"{pattern!r} not in the output:\n{text}"
    return float(m.group(1))


def floats(text):
    return [float(v) for v in re.findall(r"[-+]?\d*\.\d+(?:e[-+]?\d+)?", text)]


def plots(tmp_path):
    return sorted(p for p in os.listdir(tmp_path) if p.endswith(".png"))


try:
    import matplotlib  # optional: plots are only written with it  # noqa: F401

    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("text")
    return run_example("text_classification.py", tmp), tmp


def test_text_folders_labels_and_vectorization(text):
    out, tmp = text
    basic = out.split("=== Text classification with an RNN ===")[0]
    assert "['train', 'test']" in basic or "['test', 'train']" in basic
    # train/ without unsup/ (the tutorial removes it) for training and validation, and test/
    assert "Found 1000 files belonging to 2 classes.\nUsing 800 files for training." in basic
    assert "Found 1000 files belonging to 2 classes.\nUsing 200 files for validation." \
        in basic
    assert basic.count("Found 1000 files belonging to 2 classes.") == 3
    assert "Label 0 corresponds to neg\nLabel 1 corresponds to pos" in basic
    assert not os.path.exists(tmp / "aclImdb" / "train" / "unsup")
    # the vectorized review: 250 ids, the custom standardization dropped <br /> and
    # punctuation, so neither "br" nor "<br" is a token
    m = re.search(r"Vectorized review \(<tf.Tensor: shape=\(1, 250\), dtype=int64", basic)
    assert m, basic
    size = int(number(r"^Vocabulary size: (\d+)$", basic))
    assert 30 < size < 60  # the generator's words, lower-cased, plus "" and [UNK]
    assert "dict_keys(['binary_accuracy', 'loss', 'val_binary_accuracy', 'val_loss'])" in basic


def test_text_export_model_gives_probabilities_that_agree_with_the_logits_model(text):
    out, _ = text
    basic = out.split("=== Text classification with an RNN ===")[0]
    loss = number(r"^Loss:  (\S+)$", basic)
    accuracy = number(r"^Accuracy:  (\S+)$", basic)
    m = re.search(r"^\{'accuracy': (\S+), 'loss': (\S+)\}$", basic, re.M)
    assert m, basic
    # sigmoid(logit) > 0.5 exactly when logit > 0, and BCE of sigmoid(logit) is BCE from
    # the logit: the export model (vectorizer inside) scores the raw test strings the same
    assert float(m.group(1)) == pytest.approx(accuracy, abs=1e-6)
    assert float(m.group(2)) == pytest.approx(loss, abs=1e-3)
    probs = floats(basic[basic.rindex("{'accuracy'"):].split("\n", 1)[1])
    assert len(probs) == 3 and all(0.0 <= p <= 1.0 for p in probs)


def test_text_rnn_masks_padding_and_learns(text):
    out, _ = text
    rnn = out.split("=== Text classification with an RNN ===")[1]
    assert "(TensorSpec(shape=(), dtype=tf.string, name=None), " \
           "TensorSpec(shape=(), dtype=tf.int32, name=None))" in rnn
    assert re.search(r"^\[''\s+'\[UNK\]'", rnn, re.M)  # vocab[:20] starts with the specials
    # the round trip gives back the review's words, lower-cased, without punctuation
    original = re.search(r"^Original:  b'(.*)'$", rnn, re.M).group(1)
    trip = re.search(r"^Round-trip:  (.*)$", rnn, re.M).group(1).split()
    words = re.sub(r"[^\w\s]", " ", original.lower()).split()
    assert trip == words
    # the sample's prediction is the same with and without a long padded companion
    first, second = re.findall(r"^\[(-?\d\.\d+(?:e-?\d+)?)\]$", rnn, re.M)[:2]
    assert first == second
    # one epoch on the easy generated reviews: the test loss is well under chance's ln 2
    assert number(r"^Test Loss: (\S+)$", rnn) < 0.6


def test_text_plots(text):
    _, tmp = text
    want = ["rnn_history.png", "text_accuracy.png", "text_loss.png"] if HAVE_MPL else []
    assert plots(tmp) == want


def test_image_augmentation_tutorial(tmp_path):
    out = run_example("image_augmentation.py", tmp_path)
    lines = out.splitlines()
    assert lines[0] == "300"  # image_count
    assert "Found 300 files belonging to 3 classes.\nUsing 240 files for training." in out
    assert "Using 60 files for validation." in out
    assert "['circles', 'squares', 'triangles']" in out
    assert "(32, 32, 32, 3)\n(32,)\n" in out  # one batch's images and labels
    assert "\n0.0 1.0\n" in out  # Rescaling(1./255) of uint8 images
    assert "Total params: 155,171" in out  # the augmentation block built the model
    history = eval(re.search(r"^(\{'accuracy'.*\})$", out, re.M).group(1))
    assert history["val_accuracy"][0] > 0.6  # three easy classes: chance is 1/3
    m = re.search(r"belongs to (\w+) with a (\S+) percent confidence", out)
    assert m and m.group(1) in ("circles", "squares", "triangles")
    score = np.array(floats(re.search(r"^softmax: \[(.*)\]$", out, re.M).group(1)))
    assert score.shape == (3,) and abs(score.sum() - 1) < 1e-5
    assert float(m.group(2)) == pytest.approx(100 * score.max(), abs=0.01)
    want = ["augmented.png", "history.png", "images.png", "new_triangle.png"]
    assert plots(tmp_path) == (want if HAVE_MPL else ["new_triangle.png"])


def test_audio_spectrogram_tutorial(tmp_path):
    out = run_example("audio_spectrogram.py", tmp_path)
    assert "Commands: ['high' 'low' 'mid' 'sweep']" in out
    assert "Found 360 files belonging to 4 classes." in out
    assert "label names: ['high' 'low' 'mid' 'sweep']" in out
    assert "(TensorSpec(shape=(None, 16000, None), dtype=tf.float32, name=None), " \
           "TensorSpec(shape=(None,), dtype=tf.int32, name=None))" in out
    assert "(64, 16000)\n(64,)\n" in out
    assert out.count("Waveform shape: (16000,)\nSpectrogram shape: (124, 129, 1)") == 3
    assert "Input shape: (124, 129, 1)" in out
    assert "Trainable params: 1,625,092" in out
    assert "Non-trainable params: 3 " in out  # Normalization: mean, variance, count
    history = eval(re.search(r"^(\{'accuracy'.*\})$", out, re.M).group(1))
    assert history["loss"][0] < math.log(4)
    evaluated = eval(re.search(r"^(\{'accuracy': \S+, 'loss': \S+\})$", out, re.M).group(1))
    assert evaluated["accuracy"] > 0.5  # four classes: chance is 1/4
    cm = re.search(r"tf.Tensor\(\n(\[\[.*?\]\]), shape=\(4, 4\), dtype=int32\)", out, re.S)
    rows = [[int(v) for v in r.split()] for r in re.findall(r"\[([\d ]+)\]", cm.group(1))]
    assert sum(map(sum, rows)) == 64  # the test shard: the first validation batch
    assert sum(rows[i][i] for i in range(4)) / 64 == pytest.approx(evaluated["accuracy"])
    score = np.array(floats(re.search(r"^softmax: \[(.*)\]$", out, re.M).group(1)))
    assert score.shape == (4,) and abs(score.sum() - 1) < 1e-5
    want = ["confusion_matrix.png", "history.png", "prediction.png", "spectrogram.png",
            "spectrograms.png", "waveforms.png"]
    assert plots(tmp_path) == (want if HAVE_MPL else [])
