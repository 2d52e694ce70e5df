"""Tests for manabu.data.text: tokenizers, Vocabulary (JSON save/load) and pad_sequences."""

import json

import numpy as np
import pytest

import manabu
from manabu.data import Vocabulary, char_tokenize, pad_sequences, word_tokenize

TEXT = "You say goodbye and I say hello."


def test_tokenizers():
    assert char_tokenize("to be") == ["t", "o", " ", "b", "e"]
    assert word_tokenize(TEXT) == ["You", "say", "goodbye", "and", "I", "say", "hello", "."]
    assert word_tokenize("Don't STOP, now!", lower=True) == ["don't", "stop", ",", "now", "!"]
    assert word_tokenize("  ") == []


def test_specials_come_first_and_can_be_renamed_or_left_out():
    vocab = Vocabulary(["a", "b", "a"])
    assert vocab.tokens == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert len(vocab) == 6 and "a" in vocab and "c" not in vocab
    plain = Vocabulary("xyz", pad=" ", unk=None, bos="_", eos=None)
    assert plain.tokens == [" ", "_", "x", "y", "z"]
    assert (plain.pad_id, plain.unk_id, plain.bos_id, plain.eos_id) == (0, None, 1, None)
    assert plain.specials == [" ", "_"]


def test_from_texts_orders_by_frequency_with_min_freq_and_max_size():
    vocab = Vocabulary.from_texts([TEXT, "say it"], tokenizer=lambda t: word_tokenize(t, True))
    # "say" 3 times first, then the words seen once in the order they first appear
    assert vocab.tokens[4:] == ["say", "you", "goodbye", "and", "i", "hello", ".", "it"]
    frequent = Vocabulary.from_texts([TEXT, "say it"], tokenizer=word_tokenize, min_freq=2)
    assert frequent.tokens[4:] == ["say"]
    small = Vocabulary.from_texts(TEXT, tokenizer=word_tokenize, max_size=6)
    assert len(small) == 6 and small.tokens[4:] == ["say", "You"]
    with pytest.raises(ValueError, match="max_size=2 is smaller than the 4 special"):
        Vocabulary.from_tokens(["a"], max_size=2)
    chars = Vocabulary.from_texts("abca", pad=None, unk=None, bos=None, eos=None)
    assert chars.tokens == ["a", "b", "c"]


def test_frequencies_give_the_dropped_tokens_to_unk():
    vocab = Vocabulary.from_tokens([["a", "a", "a", "b"], ["b", "c"]], min_freq=2)
    assert vocab.tokens == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
    assert vocab.frequencies().tolist() == [0, 1, 0, 0, 3, 2]  # "c" counts for <unk>
    assert vocab.frequencies().dtype == np.int64


def test_encode_decode_round_trip_with_unk_bos_eos():
    vocab = Vocabulary.from_texts(TEXT, tokenizer=word_tokenize)
    ids = vocab.encode(["say", "hello", "world"], add_bos=True, add_eos=True)
    assert ids == [2, 4, vocab.token_to_id("hello"), 1, 3]
    assert vocab.decode(ids) == ["<bos>", "say", "hello", "<unk>", "<eos>"]
    assert vocab.decode(ids, skip_special=True) == ["say", "hello"]
    assert vocab.decode(np.array([[4, 3, 4]]), stop_at_eos=True) == ["say"]  # any shape
    assert vocab.decode_text(ids[1:3], sep=" ") == "say hello"
    assert vocab.decode(manabu.tensor(np.array(ids[1:3]))) == ["say", "hello"]
    assert vocab.id_to_token(np.int64(4)) == "say"
    with pytest.raises(IndexError, match="out of range 0..10"):
        vocab.id_to_token(11)


def test_a_vocabulary_without_unk_raises_on_unknown_tokens():
    vocab = Vocabulary("ab", unk=None, bos=None)
    assert vocab.tokens == ["<pad>", "<eos>", "a", "b"]
    assert vocab.encode("ba") == [3, 2]  # a str encodes character by character
    with pytest.raises(KeyError, match="'c' is not in the vocabulary.*no <unk>"):
        vocab.encode("abc")
    with pytest.raises(ValueError, match="no bos token"):
        vocab.encode("a", add_bos=True)


def test_save_and_load_as_json(tmp_path):
    vocab = Vocabulary.from_texts(["日本語のテキスト", "テキスト"], eos=None)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))  # plain JSON, readable, no pickle
    assert data["format"] == "manabu-vocabulary" and data["tokens"] == vocab.tokens
    assert data["specials"] == {"pad": "<pad>", "unk": "<unk>", "bos": "<bos>", "eos": None}
    loaded = Vocabulary.load(path)
    assert loaded == vocab and loaded.tokens == vocab.tokens
    assert loaded.frequencies().tolist() == vocab.frequencies().tolist()
    assert loaded.frequencies()[loaded.token_to_id("テ")] == 2
    assert loaded.eos_id is None and loaded.encode("語") == vocab.encode("語")
    with pytest.raises(ValueError, match="not a manabu vocabulary"):
        Vocabulary.from_dict({"tokens": ["a"]})


def test_pad_sequences_post_pre_and_truncation():
    seqs = [[5, 6, 7], [8], []]
    ids, mask = pad_sequences(seqs, pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert mask.tolist() == [[True] * 3, [True, False, False], [False] * 3]
    assert ids.dtype == np.int64 and mask.dtype == bool
    ids, mask = pad_sequences(seqs, pad_id=9, max_len=2, padding="pre", truncating="pre")
    assert ids.tolist() == [[6, 7], [9, 8], [9, 9]]
    assert mask.tolist() == [[True, True], [False, True], [False, False]]
    ids, _ = pad_sequences([np.array([1, 2, 3])], max_len=4)
    assert ids.tolist() == [[1, 2, 3, 0]]
    assert pad_sequences([[1, 2, 3]], max_len=2)[0].tolist() == [[1, 2]]
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences(seqs, padding="left")


@pytest.mark.parametrize("specials, roles", [
    (dict(pad="<x>", unk="<x>"), "pad and unk are both '<x>'"),
    (dict(pad=None, bos="<s>", eos="<s>"), "bos and eos are both '<s>'"),
])
def test_special_tokens_must_be_distinct(specials, roles):
    # one token for two roles would give them one id: pad_id == unk_id
    with pytest.raises(ValueError, match=f"special tokens must be distinct, but {roles}"):
        Vocabulary(["a"], **specials)


def test_ids_that_are_not_whole_numbers_are_refused_not_truncated():
    vocab = Vocabulary(["a", "b"])
    with pytest.raises(ValueError, match=r"Vocabulary\.decode: token ids must be whole "
                                         r"numbers, got 1\.7 \(float64\).*argmax"):
        vocab.decode([4, 1.7])
    with pytest.raises(ValueError, match=r"id_to_token: .*got 4\.5"):
        vocab.id_to_token(4.5)
    with pytest.raises(TypeError, match=r"decode: token ids must be integers, got bools"):
        vocab.decode(np.array([True, False]))
    with pytest.raises(ValueError, match=r"pad_sequences: sequence 1: .*got 1\.7"):
        pad_sequences([[1], [1.7]])
    with pytest.raises(TypeError, match=r"pad_sequences: sequence 0: .*got bools"):
        pad_sequences([[True, False]])
    with pytest.raises(ValueError, match=r"pad_sequences: pad_id: .*got 0\.5"):
        pad_sequences([[1]], pad_id=0.5)
    # integers of any width, and floats holding whole numbers, are ids
    assert vocab.decode(np.array([4, 5], np.int32)) == ["a", "b"]
    assert vocab.decode(manabu.tensor(np.array([4.0, 5.0]))) == ["a", "b"]
    assert pad_sequences([[1.0, 2.0], [3]])[0].tolist() == [[1, 2], [3, 0]]
