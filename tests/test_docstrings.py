"""help() is documentation: the examples in the central docstrings run and print what they
say (doctest), and every public function and class of the main namespaces has a docstring
(generated wrappers included)."""
import doctest
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

CENTRAL = [tf.GradientTape, tf.function, tf.Variable, tf.data.Dataset, tf.keras.Model.fit,
           tf.autodiff.ForwardAccumulator, tf.linalg.svd]


@pytest.mark.parametrize("obj", CENTRAL, ids=lambda o: o.__qualname__)
def test_central_docstrings_have_examples_that_run(obj):
    doc = obj.__doc__ or ""
    assert ">>>" in doc
    parser = doctest.DocTestParser()
    test = parser.get_doctest(doc, {"tf": tf, "np": np}, obj.__qualname__, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 0


SURFACE = json.loads((Path(__file__).parent.parent / "scripts" / "tf_names_2_21.json")
                     .read_text())["namespaces"]


@pytest.mark.parametrize("namespace", sorted(SURFACE))
def test_every_name_of_the_api_surface_has_a_docstring(namespace):
    """Every function and class TF 2.21 lists in the surface report's namespaces (the ones
    tapeflow has) shows a docstring in help()."""
    ns = tf
    for part in namespace.split(".")[1:]:
        ns = getattr(ns, part)
    missing = []
    for name, kind in SURFACE[namespace].items():
        obj = getattr(ns, name, None)
        if obj is None or kind[0] == "m" or not callable(obj):
            continue
        if not (inspect.getdoc(obj) or "").strip():
            missing.append(name)
    assert not missing, f"{namespace} names without a docstring: {missing}"


@pytest.mark.parametrize("namespace", ["", "math", "nn", "linalg", "random"])
def test_every_public_callable_has_a_docstring(namespace):
    ns = tf if not namespace else getattr(tf, namespace)
    missing = []
    for name in dir(ns):
        if name.startswith("_"):
            continue
        obj = getattr(ns, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and not (obj.__doc__ or "").strip():
            missing.append(name)
    assert not missing, f"tf.{namespace} names without a docstring: {missing}"


def test_generated_wrappers_document_their_arguments():
    for fn in (tf.exp, tf.math.sqrt, tf.subtract, tf.math.greater_equal):
        assert "Args:" in fn.__doc__ and "Returns:" in fn.__doc__, fn.__name__
