"""keras.utils.model_to_dot / plot_model: the DOT text Keras 3.15.1 (pydot 4) writes for the
same models (node ids, which are object ids, renumbered N0, N1... in order of appearance),
and plot_model's errors and file writing (Graphviz's ``dot`` stood in by a script)."""
import json
import os
import re
import stat
from pathlib import Path

import pytest

import tapeflow as tf

pydot = pytest.importorskip("pydot")  # model_to_dot needs pydot ([dev] has it)
keras = tf.keras
KERAS_DOT = json.loads((Path(__file__).parent / "data" / "keras_model_to_dot.json").read_text())


def _norm(dot):
    ids = {}
    return re.sub(r"\b\d{6,}\b", lambda m: ids.setdefault(m.group(0), f"N{len(ids)}"),
                  dot.to_string())


def _cases():
    """The models and options of the recorded Keras outputs, in the same order."""
    out = []
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu", name="d"),
                          keras.layers.Dropout(0.1, name="dr")], name="seq")
    for kw in [{}, dict(show_layer_activations=True), dict(show_dtype=True),
               dict(show_shapes=True), dict(show_trainable=True, show_layer_names=False),
               dict(subgraph=True),
               dict(show_shapes=True, show_dtype=True, show_trainable=True,
                    show_layer_activations=True, rankdir="LR", dpi=96)]:
        out.append((m, kw))
    i = keras.Input((4,), name="inp")
    a = keras.layers.Dense(3, name="a")(i)
    b = keras.layers.Dense(3, name="b", trainable=False)(i)
    f = keras.Model(i, keras.layers.Add(name="add")([a, b]), name="fun")
    out.append((f, dict(show_layer_names=False)))
    out.append((f, dict(show_shapes=True, show_trainable=True)))
    ii = keras.Input((2,), name="ii")
    inner = keras.Model(ii, keras.layers.Dense(2, name="f1")(ii), name="innerf")
    i2 = keras.Input((2,), name="x")
    o = keras.layers.Dense(1, name="out")(inner(i2))
    out.append((keras.Model(i2, o), dict(expand_nested=True, show_shapes=True)))
    out.append((keras.Model(i2, o), dict(expand_nested=False)))
    outer = keras.Sequential([keras.Input((2,)), keras.Sequential(
        [keras.layers.Dense(2, name="s1"), keras.layers.Dense(2, name="s2")], name="ins"),
        keras.layers.Dense(1, name="last")])
    out.append((outer, dict(expand_nested=True)))
    out.append((outer, dict(splines="line", rankdir="LR")))
    i3, i4 = keras.Input((2,), name="x3"), keras.Input((3,), name="x4")
    cat = keras.layers.Concatenate(name="cat")([i3, i4])
    out.append((keras.Model([i3, i4], cat), dict(show_shapes=True, show_dtype=True)))
    return out


def test_dot_text_matches_keras():
    cases = _cases()
    assert len(cases) == len(KERAS_DOT)
    for index, ((model, kw), expected) in enumerate(zip(cases, KERAS_DOT)):
        assert _norm(keras.utils.model_to_dot(model, **kw)) == expected, (index, kw)


def test_dot_objects():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="seq")
    dot = keras.utils.model_to_dot(m)
    assert isinstance(dot, pydot.Dot)
    assert [n.get_name() for n in dot.get_nodes() if n.get_name() != "node"] == \
        [str(id(m.layers[0]))]
    cluster = keras.utils.model_to_dot(m, subgraph=True)
    assert isinstance(cluster, pydot.Cluster) and cluster.get_name() == "cluster_seq"


def test_errors():
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    message = ("This model has not yet been built. Build the model first by calling "
               "`build()` or by calling the model on a batch of data.")
    with pytest.raises(ValueError, match=re.escape(message)):
        keras.utils.model_to_dot(unbuilt)
    built = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.utils.model_to_dot(built, nope=1)


def _no_dot_path(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_plot_model_without_graphviz(tmp_path, monkeypatch):
    _no_dot_path(tmp_path, monkeypatch)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ImportError, match=re.escape(
            "You must install graphviz (see instructions at https://graphviz.gitlab.io/"
            "download/) for `plot_model` to work.")):
        keras.utils.plot_model(model, to_file=str(tmp_path / "m.png"))


def test_without_pydot(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pydot", None)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ImportError, match=re.escape(
            "You must install pydot (`pip install pydot`) for model_to_dot to work.")):
        keras.utils.model_to_dot(model)
    with pytest.raises(ImportError, match=re.escape(
            "You must install pydot (`pip install pydot`) for `plot_model` to work.")):
        keras.utils.plot_model(model)


@pytest.mark.skipif(os.name == "nt", reason="the stand-in for Graphviz is a shell script")
def test_plot_model_writes_the_file_dot_makes(tmp_path, monkeypatch):
    """A stand-in ``dot`` records the format asked for and the graph it was given."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "dot"
    fake.write_text('#!/bin/sh\nfmt=""; file=""\nfor a in "$@"; do case "$a" in -T*) '
                    'fmt="${a#-T}";; -*) ;; *) file="$a";; esac; done\n'
                    'printf "FAKE %s\\n" "$fmt"; cat "$file" 2>/dev/null\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="dd")])
    for name, fmt in (("m.png", "png"), ("m.svg", "svg")):
        assert keras.utils.plot_model(model, to_file=str(tmp_path / name)) is None
        text = (tmp_path / name).read_text()
        assert text.startswith(f"FAKE {fmt}\n")
        # plot_model's default hides layer names, as Keras's does
        assert "<b>Dense</b>" in text and "<b>dd</b>" not in text
