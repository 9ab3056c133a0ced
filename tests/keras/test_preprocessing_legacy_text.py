"""tf.keras.preprocessing.text (Tokenizer, one_hot, hashing_trick, text_to_word_sequence,
tokenizer_from_json) against values recorded from TF 2.21 / Keras 3.15."""
import json
import warnings

import numpy as np
import pytest

import tapeflow as tf

T = tf.keras.preprocessing.text
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat cat dog"]


def _fitted():
    tk = T.Tokenizer(num_words=4, oov_token="<unk>")
    tk.fit_on_texts(TEXTS)
    return tk


def test_text_to_word_sequence():
    assert T.text_to_word_sequence("Hello, World! This is   a test.\tTab") == \
        ["hello", "world", "this", "is", "a", "test", "tab"]
    assert T.text_to_word_sequence("Hello, World", lower=False, split=",") == \
        ["Hello", " World"]
    assert T.text_to_word_sequence("a--b", filters="-") == ["a", "b"]
    assert T.text_to_word_sequence("") == []


def test_hashing_trick_and_one_hot():
    assert T.hashing_trick("the cat sat on the mat", 10, hash_function="md5") == \
        [6, 3, 1, 1, 6, 8]
    assert T.hashing_trick("a b", 3, hash_function=lambda w: 7) == [2, 2]
    assert T.one_hot("The cat", 5) == T.hashing_trick("The cat", 5)
    assert all(1 <= i < 5 for i in T.one_hot("some words here", 5))


def test_tokenizer_fit():
    tk = _fitted()
    assert tk.word_index == {"<unk>": 1, "the": 2, "cat": 3, "dog": 4, "sat": 5, "on": 6,
                             "mat": 7, "ate": 8, "my": 9, "homework": 10}
    assert list(tk.word_counts.items()) == [("the", 3), ("cat", 3), ("sat", 1), ("on", 1),
                                            ("mat", 1), ("dog", 2), ("ate", 1), ("my", 1),
                                            ("homework", 1)]
    assert dict(tk.word_docs) == {"mat": 1, "the": 2, "cat": 2, "on": 1, "sat": 1, "ate": 1,
                                  "dog": 2, "my": 1, "homework": 1}
    assert dict(tk.index_docs) == {7: 1, 2: 2, 3: 2, 6: 1, 5: 1, 8: 1, 4: 2, 9: 1, 10: 1}
    assert tk.document_count == 3
    assert tk.index_word[1] == "<unk>" and tk.index_word[10] == "homework"


def test_tokenizer_sequences():
    tk = _fitted()
    assert tk.texts_to_sequences(["the cat and the dog", "zebra"]) == [[2, 3, 1, 2, 1], [1]]
    assert tk.sequences_to_texts([[1, 2, 3, 4, 5]]) == ["<unk> the cat <unk> <unk>"]
    assert list(tk.texts_to_sequences_generator(["the cat"])) == [[2, 3]]
    assert list(tk.sequences_to_texts_generator([[2, 3]])) == ["the cat"]
    t3 = T.Tokenizer()
    t3.fit_on_texts(["a b b"])
    assert t3.texts_to_sequences(["b b a c"]) == [[1, 1, 2]]
    assert t3.texts_to_matrix(["b b a c"]).tolist() == [[0.0, 1.0, 1.0]]


def test_tokenizer_matrices():
    tk = _fitted()
    want = {"binary": [[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]],
            "count": [[0.0, 0.0, 2.0, 1.0], [0.0, 1.0, 0.0, 0.0]],
            "tfidf": [[0.0, 0.0, 1.1736001944781467, 0.6931471805599453],
                      [0.0, 1.3862943611198906, 0.0, 0.0]],
            "freq": [[0.0, 0.0, 0.6666666666666666, 0.3333333333333333],
                     [0.0, 1.0, 0.0, 0.0]]}
    for mode, expected in want.items():
        got = tk.texts_to_matrix(["the cat the", "dog"], mode=mode)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_tokenizer_options():
    c = T.Tokenizer(char_level=True)
    c.fit_on_texts(["abca", "Bd"])
    assert c.word_index == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert c.texts_to_sequences(["ab!"]) == [[1, 2]]
    a = T.Tokenizer(analyzer=lambda s: s.split("-"))
    a.fit_on_texts(["x-y-x"])
    assert a.word_index == {"x": 1, "y": 2}
    words = T.Tokenizer()
    words.fit_on_texts([["Hello", "World"], ["hello"]])
    assert words.word_index == {"hello": 1, "world": 2}
    seqs = T.Tokenizer()
    seqs.fit_on_sequences([[1, 2], [2, 3, 3]])
    assert seqs.document_count == 2 and dict(seqs.index_docs) == {1: 1, 2: 2, 3: 1}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert T.Tokenizer(nb_words=5).num_words == 5
    assert "The `nb_words` argument in `Tokenizer` has been renamed `num_words`." in \
        [str(w.message) for w in caught]


def test_tokenizer_json_round_trip():
    tk = _fitted()
    js = json.loads(tk.to_json())
    assert list(js) == ["class_name", "config"] and js["class_name"] == "Tokenizer"
    assert list(js["config"]) == ["num_words", "filters", "lower", "split", "char_level",
                                  "oov_token", "document_count", "word_counts", "word_docs",
                                  "index_docs", "index_word", "word_index"]
    assert tk.get_config()["word_index"] == (
        '{"<unk>": 1, "the": 2, "cat": 3, "dog": 4, "sat": 5, "on": 6, "mat": 7, "ate": 8, '
        '"my": 9, "homework": 10}')
    back = T.tokenizer_from_json(tk.to_json())
    assert back.word_index == tk.word_index
    assert back.texts_to_sequences(["the cat"]) == [[2, 3]]
    np.testing.assert_allclose(back.texts_to_matrix(["the cat the"], mode="tfidf"),
                               tk.texts_to_matrix(["the cat the"], mode="tfidf"))


def test_tokenizer_errors():
    with pytest.raises(ValueError, match=r"Specify a dimension \(`num_words` argument\), or fit "
                                         r"on some text data first."):
        T.Tokenizer().texts_to_matrix(["a"], mode="count")
    with pytest.raises(ValueError, match="Unknown vectorization mode:"):
        _fitted().texts_to_matrix(["a"], mode="foo")
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments: \{'foo': 1\}"):
        T.Tokenizer(foo=1)
    with pytest.raises(ValueError, match="Fit the Tokenizer on some data before using tfidf "
                                         "mode."):
        T.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'pop'"):
        T.tokenizer_from_json("{}")
