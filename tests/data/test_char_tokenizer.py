"""CharTokenizer: tiny-shakespeare's 65 characters, exact round trips, the characters a
prompt may lack named in the error, and a JSON file that loads back (or says why not)."""

import json

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match=r"not in the vocabulary: 'J', 'é' \(2 distinct\)"):
        tokenizer.encode("ROMEO: Jé")
    assert tokenizer.encode("").shape == (0,)
    with pytest.raises(TypeError, match="expected a str"):
        tokenizer.encode(["a"])
    with pytest.raises(ValueError, match=r"in \[0, 10\)"):
        tokenizer.decode([0, 10])


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


@pytest.mark.parametrize("characters", ["", "aa", ["ab"]])
def test_characters_must_be_distinct_single_characters(characters):
    with pytest.raises(ValueError, match="distinct one-character"):
        CharTokenizer(characters)
