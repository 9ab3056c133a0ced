"""``tf.strings.unicode_script`` against TF 2.21's recorded answers
(``tests/record_tf_unicode_script.py``), with TF's shapes, ragged rows and errors."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf

pytest.importorskip("unicodedataplus", reason="the [strings] extra (in [dev]) is not installed")

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "unicode_script_tf.json")) as f:
    RECORDED = json.load(f)


def test_every_recorded_code_point_matches_tf():
    cps, want = RECORDED["code_points"], RECORDED["scripts"]
    got = tf.strings.unicode_script(tf.constant(cps, tf.int32)).numpy()
    assert got.dtype == np.int32
    bad = [(hex(c), int(g), w) for c, g, w in zip(cps, got, want) if g != w]
    assert bad == []
    assert len(set(want)) > 150  # the sample reaches most scripts, Unknown and invalid


def test_well_known_scripts_and_edges():
    f = tf.strings.unicode_script
    assert f(tf.constant(ord("a"))).numpy() == 25  # a scalar stays a scalar
    np.testing.assert_array_equal(f([[ord("a"), ord("я")], [ord("中"), ord("1")]]).numpy(),
                                  [[25, 8], [17, 0]])
    np.testing.assert_array_equal(f([0x0301, 0xD800, 0x110000, -1]).numpy(), [1, 103, -1, -1])
    assert f(tf.zeros([0, 3], tf.int32)).shape == (0, 3)


def test_ragged_input_keeps_its_rows():
    r = tf.strings.unicode_script(tf.ragged.constant([[97], [1071, 20013]]))
    assert isinstance(r, tf.RaggedTensor)
    assert r.to_list() == [[25], [8, 17]]


def test_decoded_text_round_trip():
    cps = tf.strings.unicode_decode(["Hello Мир 世界"], "UTF-8")
    assert tf.strings.unicode_script(cps).to_list() == [[25] * 5 + [0] + [8] * 3 + [0]
                                                        + [17] * 2]


def test_traced_equals_eager():
    fn = tf.function(tf.strings.unicode_script)
    x = tf.constant([97, 1071, 20013, -5])
    np.testing.assert_array_equal(fn(x).numpy(), tf.strings.unicode_script(x).numpy())


@pytest.mark.parametrize("value, name", [(tf.constant([97], tf.int64), "int64"),
                                         (tf.constant(["a"]), "string"),
                                         (tf.constant([97.0]), "float")])
def test_other_dtypes_raise_tf_error(value, name):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"cannot compute UnicodeScript as input #0\(zero-based\) was "
                             rf"expected to be a int32 tensor but is a {name} tensor "
                             r"\[Op:UnicodeScript\]"):
        tf.strings.unicode_script(value)


def test_missing_table_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "unicodedataplus", None)
    with pytest.raises(ImportError, match=r"pip install 'tapeflow\[strings\]'"):
        tf.strings.unicode_script([97])
