"""tf.sparse against TensorFlow 2.21's recorded answers (tests/fixtures/tf_sparse.json) and
the gradients of the sparse ops (float64 finite differences)."""
import pytest
from tf_fixture_cases import check, load

CASES = load("tf_sparse.json")


@pytest.mark.parametrize("expr", sorted(CASES))
def test_matches_tf(expr):
    check(expr, CASES[expr])
