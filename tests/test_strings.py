"""String tensors and ``tf.strings`` against values recorded from TensorFlow 2.21
(``tests/strings_tf.json``, made by ``tests/record_tf_strings.py`` from the cases in
``tests/strings_cases.py``), plus properties of broadcasting and the tape."""
import json
import os

import numpy as np
import pytest
from fakegpu import gpus_fixture
from hypothesis import given, settings
from hypothesis import strategies as st
from strings_cases import CASES, RAGGED_CASES, differential, encode

import tapeflow as tf
from tapeflow.strings import _hash

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "strings_tf.json")) as _f:
    FIXTURE = json.load(_f)


def _has_ragged():
    try:
        from tapeflow.ragged import RaggedTensor  # noqa: F401
    except ImportError:
        return False
    return True


def _needs_ragged(expr):
    return expr in RAGGED_CASES


def test_fixture_covers_every_case():
    assert sorted(FIXTURE["cases"]) == sorted(CASES)
    assert FIXTURE["tensorflow"].startswith("2.21")


@pytest.mark.parametrize("expr", [c for c in CASES if not _needs_ragged(c)])
def test_matches_tensorflow(expr):
    try:
        r = eval(expr, {"tf": tf, "np": np})
    except Exception as e:
        r = e
    assert encode(r, tf) == FIXTURE["cases"][expr]


@pytest.mark.skipif(not _has_ragged(), reason="tf.RaggedTensor (tapeflow.ragged) is absent")
@pytest.mark.parametrize("expr", [c for c in CASES if _needs_ragged(c)])
def test_ragged_results_match_tensorflow(expr):
    try:
        r = eval(expr, {"tf": tf, "np": np})
    except Exception as e:
        r = e
    assert encode(r, tf) == FIXTURE["cases"][expr]


def test_hashes_match_tensorflow_on_every_length_class():
    h = FIXTURE["hash"]
    strs = [bytes.fromhex(s) for s in h["strings"]]
    nb = h["num_buckets"]
    k0, k1 = h["key"]
    assert [_hash.fingerprint64(s) % nb for s in strs] == h["fast"]
    assert (_hash.fingerprint64_many(strs) % np.uint64(nb)).tolist() == h["fast"]
    assert [_hash.siphash24(k0, k1, s) % nb for s in strs] == h["strong"]
    got = tf.strings.to_hash_bucket_fast(strs, nb).numpy().tolist()
    assert got == h["fast"]
    got = tf.strings.to_hash_bucket_strong(strs, nb, [k0, k1]).numpy().tolist()
    assert got == h["strong"]
    assert tf.strings.to_hash_bucket(strs, nb).numpy().tolist() == h["legacy"]


def test_number_formats_and_parsing_match_tensorflow_on_many_values():
    want = FIXTURE["differential"]
    got = json.loads(json.dumps(differential(tf)))  # NaN and tuples as JSON has them
    assert sorted(got) == sorted(want)
    bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert bad == {}


# -- properties -------------------------------------------------------------------------------
_text = st.text(alphabet=st.sampled_from("ab\u00e9 xyz"), max_size=6)


@settings(max_examples=40, deadline=None)
@given(st.lists(_text, min_size=1, max_size=5), st.integers(-3, 3), st.integers(-1, 4),
       st.booleans())
def test_substr_broadcasts_a_scalar_pos_like_python_slicing(words, pos, ln, as_chars):
    unit = "UTF8_CHAR" if as_chars else "BYTE"
    items = [w if as_chars else w.encode() for w in words]
    ok = all(-len(x) <= pos <= len(x) for x in items) and not (as_chars and ln < 0 and pos < 0)
    if not ok:
        with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
            tf.strings.substr(words, pos, ln, unit=unit)
        return
    got = tf.strings.substr(words, pos, ln, unit=unit).numpy().tolist()
    want = []
    for x in items:
        p = pos + len(x) if pos < 0 else pos
        # TF: a negative len is "to the end" in bytes, an empty piece in characters
        piece = (x[:0] if as_chars else x[p:]) if ln < 0 else x[p:p + ln]
        want.append(piece.encode() if as_chars else piece)
    assert got == want
    # per-element pos/len of the input's shape give the same answer
    n = len(words)
    same = tf.strings.substr(words, [pos] * n, [ln] * n, unit=unit).numpy().tolist()
    assert same == want


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.lists(st.booleans(), min_size=3, max_size=3),
       st.sampled_from(["", "-", ", "]))
def test_join_broadcasts_scalars_against_one_shape(rows, cols, scalar, sep):
    shape = (rows, cols)
    arrays = []
    for k, is_scalar in enumerate(scalar):
        if is_scalar:
            arrays.append(f"s{k}")
        else:
            arrays.append(np.array([[f"{k}{i}{j}" for j in range(cols)] for i in range(rows)]))
    got = tf.strings.join(arrays, separator=sep)
    assert got.shape == (shape if not all(scalar) else ())
    full = [np.broadcast_to(np.asarray(a), shape) for a in arrays]
    want = [[sep.join(str(a[i, j]) for a in full).encode() for j in range(cols)]
            for i in range(rows)]
    if all(scalar):
        assert got.numpy() == want[0][0]
    else:
        assert got.numpy().tolist() == want


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3), st.data())
def test_reduce_join_matches_a_python_join_along_each_axis(shape, data):
    n = int(np.prod(shape))
    words = np.array([f"w{i}" for i in range(n)], dtype=object).reshape(shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    got = tf.strings.reduce_join(words.astype(str) if n else tf.zeros(shape, tf.string),
                                 axis=axis, keepdims=keep, separator="|")
    moved = np.moveaxis(words, axis, -1)
    want = np.empty(moved.shape[:-1], object)
    for idx in np.ndindex(*moved.shape[:-1]):
        want[idx] = "|".join(moved[idx]).encode()
    if keep:
        want = np.expand_dims(want, axis)
    assert got.shape == want.shape
    assert np.array(got.numpy(), dtype=object).tolist() == want.tolist()


def test_strings_are_not_differentiable_but_can_be_watched():
    x = tf.constant(["a", "b"])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x + "c"
    assert y.numpy().tolist() == [b"ac", b"bc"]
    assert tape.gradient(y, x) is None
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        n = tf.strings.to_number(tf.strings.as_string(v * 3.0))
        loss = v * n
    assert float(tape.gradient(loss, v)) == pytest.approx(6.0)  # no path through the strings


def test_string_ops_run_inside_tf_function():
    @tf.function
    def clean(x):
        return tf.strings.regex_replace(tf.strings.lower(x), "[^a-z ]", "")

    out = clean(tf.constant(["Hello, World!", "ABC"]))
    assert out.numpy().tolist() == [b"hello world", b"abc"]
    out = clean(tf.constant(["X-Y"]))
    assert out.numpy().tolist() == [b"xy"]

    @tf.function
    def words(x):  # ragged results are made outside the op library: the function runs eagerly
        return tf.strings.split(x).values

    assert words(tf.constant(["a b", "c"])).numpy().tolist() == [b"a", b"b", b"c"]
    assert words(tf.constant(["d e f"])).numpy().tolist() == [b"d", b"e", b"f"]


def test_string_tensor_round_trips_through_numpy_and_pickle():
    import pickle

    t = tf.constant([["a\x00b", "\u00e9"], ["", "z"]])
    assert pickle.loads(pickle.dumps(t)).numpy().tolist() == t.numpy().tolist()
    a = np.asarray(t)
    assert a.dtype == object and a[0, 0] == b"a\x00b"
    assert tf.constant(a).numpy().tolist() == a.tolist()


def test_tf_strings_namespace_is_tensorflows():
    # dir(tf.strings) of TF 2.21
    tf_names = [
        "as_string", "bytes_split", "format", "join", "length", "lower", "ngrams",
        "reduce_join", "regex_full_match", "regex_replace", "split", "strip", "substr",
        "to_hash_bucket", "to_hash_bucket_fast", "to_hash_bucket_strong", "to_number",
        "unicode_decode", "unicode_decode_with_offsets", "unicode_encode", "unicode_script",
        "unicode_split", "unicode_split_with_offsets", "unicode_transcode",
        "unsorted_segment_join", "upper"]
    assert sorted(n for n in dir(tf.strings) if not n.startswith("_")) == tf_names
    assert tf.as_string is tf.strings.as_string


def test_tf_print_writes_strings_and_numbers_as_tensorflow_does(capsys):
    # TF 2.21's output for the same calls (recorded by hand from /work/tfenv)
    tf.print(tf.constant("hello"))
    tf.print(tf.constant(["a", "b"]))
    tf.print("x", tf.constant([[1.5, 2]]), tf.constant([["a"]]))
    tf.print(tf.range(10))
    tf.print(tf.constant([0.1, 1 / 3]), tf.constant(["it's\n"]), summarize=1)
    err = capsys.readouterr().err
    assert err == ('hello\n["a" "b"]\nx [[1.5 2]] [["a"]]\n[0 1 2 ... 7 8 9]\n'
                   '[0.1 0.333333343] ["it\\\'s\\n"]\n')


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40))
def test_vectorized_fingerprint_equals_the_scalar_one(strs):
    assert _hash.fingerprint64_many(strs).tolist() == [_hash.fingerprint64(s) for s in strs]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="ab. \u00e9", max_size=8), min_size=1, max_size=4),
       st.sampled_from(["a+", "[. ]", "(a)(b)", "\\w+", "\u00e9|b"]),
       st.sampled_from(["", "-", "<\\0>", "\\1"]), st.booleans())
def test_regex_replace_fast_path_equals_the_re2_loop(words, pattern, rewrite, replace_global):
    from tapeflow.strings import _ops

    if rewrite == "\\1" and "(" not in pattern:
        return
    t = tf.constant(words)
    fast = tf.strings.regex_replace(t, pattern, rewrite, replace_global).numpy().tolist()
    regex = _ops._regex(pattern, "StaticRegexReplace")
    parts = tuple(_ops._rewrite(rewrite, "StaticRegexReplace"))
    slow = _ops._regex_replace_fwd(np.asarray(t), regex, parts, replace_global, None).tolist()
    assert fast == slow


gpus = gpus_fixture()


def test_strings_stay_on_the_host_and_their_ops_run_there_with_a_gpu(gpus):
    x = tf.constant(["a", "bb"])
    assert x.device.endswith("CPU:0") and isinstance(x._v, np.ndarray)
    assert tf.strings.length(x).numpy().tolist() == [1, 2]
    assert (x + tf.constant("c")).numpy().tolist() == [b"ac", b"bbc"]
    cond = tf.constant([True, False])  # on the GPU: the op on strings runs on the host
    assert not cond.device.endswith("CPU:0")
    assert tf.where(cond, x, "z").numpy().tolist() == [b"a", b"z"]
    assert tf.gather(x, [1, 0]).device.endswith("CPU:0")
    assert tf.strings.as_string(tf.constant([1.5])).numpy().tolist() == [b"1.500000"]
    ds = tf.data.Dataset.from_tensor_slices(["a b", "c"]).map(tf.strings.upper).batch(2)
    assert [b.numpy().tolist() for b in ds] == [[b"A B", b"C"]]
