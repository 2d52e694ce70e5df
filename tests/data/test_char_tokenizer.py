"""CharTokenizer: tiny-shakespeare's 65 characters, exact round trips, the characters a
prompt may lack named in the error, and a JSON file that loads back (or says why not)."""

import json

import numpy as np
import pytest

import manabu
from manabu.data import CharTokenizer, load_tiny_shakespeare


def test_tiny_shakespeare_round_trip(shakespeare_root):
    text = load_tiny_shakespeare()
    tokenizer = CharTokenizer.from_text(text)
    assert len(tokenizer) == tokenizer.vocab_size == 65
    assert tokenizer.characters == "".join(sorted(set(text)))  # code-point order, as nanoGPT
    ids = tokenizer.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert tokenizer.decode(ids) == text
    assert ids[:3].tolist() == [tokenizer.characters.index(c) for c in "Fir"]


def test_missing_characters_are_named():
    tokenizer = CharTokenizer.from_text("ROMEO: hello")
    with pytest.raises(ValueError, match=r"not in the vocabulary: 'J', 'é' \(2 distinct, "
                                         r"the first at index 7 .*knows 10 characters"):
        tokenizer.encode("ROMEO: Jé")
    assert tokenizer.encode("").shape == (0,)
    with pytest.raises(TypeError, match="expected a str"):
        tokenizer.encode(["a"])
    with pytest.raises(ValueError, match=r"in \[0, 10\)"):
        tokenizer.decode([0, 10])


def test_the_missing_characters_of_shakespeare_are_named(shakespeare_root):
    tokenizer = CharTokenizer.from_text(load_tiny_shakespeare())
    known = r"knows 65 characters: \"\\n !\$&',-\.3:;\?ABC"  # repr of the 65, in order
    with pytest.raises(ValueError, match=r"'é', '€' \(2 distinct.*" + known):
        tokenizer.encode("Café: 3€, é")


def test_a_large_vocabulary_is_not_listed_in_full():
    tokenizer = CharTokenizer([chr(0x4E00 + i) for i in range(3000)])
    with pytest.raises(ValueError) as error:
        tokenizer.encode("abcdefghijklmnopqrstuvwxyz")
    message = str(error.value)
    assert "(26 distinct" in message and "'j', ..." in message and "knows 3000" in message
    assert len(message) < 500


def test_decode_takes_lists_arrays_and_tensors():
    tokenizer = CharTokenizer("abc")
    assert tokenizer.decode([]) == tokenizer.decode(np.array([], dtype=np.int64)) == ""
    assert tokenizer.decode(np.array([[2, 1], [0, 0]])) == "cbaa"  # flattened
    assert tokenizer.decode(manabu.tensor(np.array([1, 2]))) == "bc"
    assert tokenizer.decode(np.array([1.0, 0.0])) == "ba"  # whole floats pass, as Vocabulary
    with pytest.raises(ValueError, match="whole numbers"):
        tokenizer.decode([0.5])
    with pytest.raises(TypeError, match="must be integers, got bools"):
        tokenizer.decode(np.array([True]))
    with pytest.raises(ValueError, match=r"in \[0, 3\), got values in \[-1, 0\]"):
        tokenizer.decode([-1, 0])


def test_non_ascii_text():
    tokenizer = CharTokenizer.from_text("学ぶ、まなぶ")
    assert tokenizer.decode(tokenizer.encode("まなぶ学")) == "まなぶ学"


def test_save_and_load(tmp_path):
    tokenizer = CharTokenizer.from_text("to be or not to be")
    path = tmp_path / "tokenizer.json"
    tokenizer.save(path)
    assert CharTokenizer.load(path) == tokenizer
    assert json.loads(path.read_text())["kind"] == "char-tokenizer"


@pytest.mark.parametrize("content", [
    "not json", json.dumps({"kind": "something else"}), json.dumps([1, 2]),
    json.dumps({"kind": "char-tokenizer", "format": "manabu-vocabulary", "tokens": ["a"]}),
])
def test_a_broken_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "tokenizer.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="is not a character tokenizer"):
        CharTokenizer.load(path)


@pytest.mark.parametrize("change, match", [
    ({"tokens": ["a", "a", "b"]}, "distinct one-character"),  # a repeated character
    ({"tokens": ["ab", "c"]}, "distinct one-character"),  # two characters under one id
    ({"tokens": "abc"}, "'tokens' should be a list"),
    ({"specials": ["<pad>"]}, "'specials' a dict"),
    ({"specials": {"pad": "_"}, "tokens": ["_", "a", "b", "c"]}, "has no special tokens"),
    ({"format": "other"}, "not a manabu vocabulary"),
])
def test_a_tampered_file_is_a_clear_error(tmp_path, change, match):
    path = tmp_path / "tokenizer.json"
    CharTokenizer("abc").save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved.update(change)
    saved["counts"] = [0] * len(saved["tokens"])
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{path} is not a character tokenizer.*{match}"):
        CharTokenizer.load(path)


@pytest.mark.parametrize("characters", ["", "aa", ["ab"]])
def test_characters_must_be_distinct_single_characters(characters):
    with pytest.raises(ValueError, match="distinct one-character"):
        CharTokenizer(characters)
