"""The measured count: typical tf.function code from the workshop and TF's guides traces
(``tests/function_snippets.py``; before this work 12 of its 24 snippets traced)."""
import function_snippets as snippets
import pytest

# A Python loop over a tf.data.Dataset inside tf.function: TF traces it as a dataset loop;
# tapeflow runs that signature eagerly (with a warning) and gives eager's results.
RUNS_EAGERLY = {"guide_loop_over_dataset"}


@pytest.mark.parametrize("make", snippets.SNIPPETS, ids=lambda m: m.__name__)
def test_snippet(make):
    traced, why = snippets.run(make)
    if make.__name__ in RUNS_EAGERLY:
        assert not traced and "runs eagerly" in why
    else:
        assert traced, why


def test_count():
    assert len(snippets.SNIPPETS) - len(RUNS_EAGERLY) == 23
