"""help() is documentation: the examples in the central docstrings run and print what they
say (doctest), and every public function and class of the main namespaces has a docstring
(generated wrappers included)."""
import doctest
import inspect

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
