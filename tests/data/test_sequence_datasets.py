"""Tests for the generated sequence tasks, the toy corpora and tiny-shakespeare.

Nothing touches the network: tiny-shakespeare is read from the package's embedded copy
(never skipped), and downloads are replaced by functions that copy that file or fail.
"""

import datetime
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import manabu.data.datasets
from manabu.data.datasets import (
    DATE_FORMATS, TOY_SYNONYMS, ChecksumError, DataNotFoundError, addition_strings,
    binary_addition, bits_to_int, char_lm_batches, date_formats, download, int_to_bits,
    load_tiny_shakespeare, shakespeare_split, shift_right, sin_cos, toy_corpus, toy_dialogues,
)
from manabu.data.datasets.shakespeare import SHAKESPEARE_SHA256

EMBEDDED = download.EMBEDDED  # the package's own copy of tinyshakespeare/input.txt


def offline(url, path):
    raise OSError("network is unreachable (test)")


def test_names_are_exported():
    for name in manabu.data.datasets.__all__:
        assert hasattr(manabu.data.datasets, name), name


# --------------------------------------------------------------------------- binary addition


def test_binary_addition_bits_add_up():
    x, y = binary_addition(n=500, bits=8, seed=3)
    assert x.shape == (500, 8, 2) and y.shape == (500, 8, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    a, b, total = bits_to_int(x[..., 0]), bits_to_int(x[..., 1]), bits_to_int(y)
    np.testing.assert_array_equal(a + b, total)
    assert a.max() < 128 and b.max() < 128 and total.max() > 128  # the carry reaches bit 7
    assert int_to_bits(6, 4).tolist() == [0, 1, 1, 0]  # LSB first
    assert bits_to_int(np.array([0.2, 0.9, 0.6, 0.1])) == 6  # sigmoid outputs round
    np.testing.assert_array_equal(x, binary_addition(500, 8, seed=3)[0])
    assert not np.array_equal(x, binary_addition(500, 8, seed=4)[0])


# --------------------------------------------------------------------------- sin -> cos


def test_sin_cos_windows():
    step = 6 * np.pi / 99
    x, y = sin_cos(n=20, length=24, seed=0)
    assert x.shape == (20, 24, 1) and y.shape == (20, 24, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x ** 2 + y ** 2, 1.0, atol=1e-6)  # the same angles
    # sin(t + step) = sin t cos step + cos t sin step: consecutive points are one step apart
    np.testing.assert_allclose(x[:, 1:], x[:, :-1] * np.cos(step) + y[:, :-1] * np.sin(step),
                               atol=1e-6)
    assert np.std(x[:, 0, 0]) > 0.3  # windows start at different phases
    d = shift_right(y)
    assert d.shape == y.shape and (d[:, 0] == 0).all()
    np.testing.assert_array_equal(d[:, 1:], y[:, :-1])


# --------------------------------------------------------------------------- addition strings


def test_addition_strings_are_correct_sums():
    x, t, vocab = addition_strings(n=2000, max_digits=3, seed=0)
    assert x.shape == (2000, 7) and t.shape == (2000, 5) and x.dtype == np.int64
    assert len(vocab) == 13 and vocab.pad_id == 0 and vocab.id_to_token(0) == " "
    assert vocab.bos_id == 1 and (t[:, 0] == 1).all()
    lengths = []
    for row_x, row_t in zip(x, t):
        question, answer = vocab.decode_text(row_x), vocab.decode_text(row_t)
        left, right = question.strip().split("+")
        assert answer[0] == "_" and int(answer[1:]) == int(left) + int(right)
        assert len(question) == 7 and len(answer) == 5
        lengths.append(len(left))
    counts = np.bincount(lengths)[1:]
    assert counts.tolist() and counts.min() > 550  # 1, 2 and 3 digits about equally often
    reversed_x, _, _ = addition_strings(n=2000, max_digits=3, reverse=True, seed=0)
    np.testing.assert_array_equal(reversed_x, x[:, ::-1])


# --------------------------------------------------------------------------- date formats


def test_every_date_format_on_the_example_date():
    day = datetime.date(2026, 11, 23)  # a Monday
    written = [fmt(day) for fmt in DATE_FORMATS]
    for expected in ("November 23, 2026", "23/11/26", "Mon, Nov 23 2026", "2026年11月23日",
                     "Monday, November 23, 2026", "11/23/2026", "23.11.2026", "2026.11.23"):
        assert expected in written
    assert len(set(written)) == len(DATE_FORMATS)


def test_date_formats_questions_match_their_iso_answers():
    x, t, vocab = date_formats(n=3000, seed=0)
    assert x.shape == (3000, 29) and t.shape == (3000, 11)
    assert vocab == date_formats(n=5, seed=9)[2]  # fixed vocabulary
    assert {"年", "月", "日", "-", "W"} <= set(vocab.tokens)
    seen_formats = set()
    meaning = defaultdict(set)
    for row_x, row_t in zip(x, t):
        question = vocab.decode_text(row_x).rstrip()
        answer = vocab.decode_text(row_t)
        assert answer[0] == "_"
        day = datetime.date.fromisoformat(answer[1:])
        assert datetime.date(1970, 1, 1) <= day <= datetime.date(2049, 12, 31)
        kinds = [k for k, fmt in enumerate(DATE_FORMATS) if fmt(day) == question]
        assert kinds, f"{question!r} is not a format of {day}"
        seen_formats.update(kinds)
        meaning[question].add(answer)
    assert seen_formats == set(range(len(DATE_FORMATS)))
    assert all(len(answers) == 1 for answers in meaning.values())  # never ambiguous
    np.testing.assert_array_equal(x, date_formats(n=3000, seed=0)[0])
    with pytest.raises(ValueError, match="at most 100 years apart"):
        date_formats(n=1, start="1900-01-01", end="2049-12-31")


# --------------------------------------------------------------------------- toy corpora


def test_toy_corpus_plants_synonyms_in_shared_contexts():
    ids, vocab = toy_corpus(n_sentences=400, seed=0)
    assert ids.dtype == np.int64 and ids.ndim == 1 and vocab.specials == []
    assert vocab.frequencies().sum() == len(ids)
    words = vocab.decode(ids)
    neighbours = defaultdict(set)
    for i in range(1, len(words) - 1):
        neighbours[words[i]].add((words[i - 1], words[i + 1]))
    for a, b in TOY_SYNONYMS:
        assert neighbours[a] == neighbours[b] and len(neighbours[a]) == 1


def test_toy_dialogues_need_the_context():
    dialogues, vocab = toy_dialogues(n=600, turns=3, seed=0)
    assert len(dialogues) == 600 and all(len(d) == 3 for d in dialogues)
    assert vocab.pad_id == 0 and vocab == toy_dialogues(n=3, seed=5)[1]
    replies_to = defaultdict(set)  # previous utterance -> replies
    by_context = defaultdict(set)  # (turn 0, turn 1) -> replies
    for first, question, answer in dialogues:
        for utterance in (first, question, answer):
            assert vocab.unk_id not in vocab.encode(utterance)
        replies_to[" ".join(question)].add(" ".join(answer))
        by_context[(" ".join(first), " ".join(question))].add(" ".join(answer))
        if question == "what is your name ?".split():
            name = answer[3]
            assert answer == ["my", "name", "is", name, "."] and name in first
    assert all(len(r) == 1 for r in by_context.values())  # the context decides the reply
    assert len(replies_to["where do you live ?"]) == 8  # the last utterance alone does not
    long = toy_dialogues(n=50, turns=6, seed=1)[0]
    assert all(len(d) == 6 and d[-1][-1] == "?" for d in long)
    with pytest.raises(ValueError, match="turns must be at least 3"):
        toy_dialogues(n=1, turns=2)


# --------------------------------------------------------------------------- tiny-shakespeare


def test_tiny_shakespeare_loads_and_splits():
    text = load_tiny_shakespeare(root=EMBEDDED, download=False)
    assert len(text) == 1115394 and text.startswith("First Citizen:")
    assert len(set(text)) == 65
    train, val = shakespeare_split(text)
    assert len(train) == 1003854 and len(val) == 111540 and train + val == text


def test_embedded_tiny_shakespeare_matches_checksum():
    path = EMBEDDED / "tinyshakespeare" / "input.txt"
    assert download.sha256sum(path) == SHAKESPEARE_SHA256["input.txt"]


def test_tiny_shakespeare_offline_from_embedded_copy(tmp_path, monkeypatch):
    """No data folder file and no network: the package's copy is read, not downloaded."""
    monkeypatch.setattr(download, "fetch_url", offline)
    for folder in (tmp_path, tmp_path / "does-not-exist"):
        monkeypatch.setenv("MANABU_DATA", str(folder))
        text = load_tiny_shakespeare()
        assert len(text) == 1115394 and text.startswith("First Citizen:")
    assert list(tmp_path.iterdir()) == []  # nothing was written to the data folder


def test_corrupt_tiny_shakespeare_in_data_folder_is_reported(tmp_path):
    """The data folder wins when it has the file: a bad copy there is an error."""
    (tmp_path / "tinyshakespeare").mkdir()
    (tmp_path / "tinyshakespeare" / "input.txt").write_text("First Citizen: truncated")
    with pytest.raises(ChecksumError, match=r"input\.txt: SHA-256 mismatch"):
        load_tiny_shakespeare(root=tmp_path, download=False)


def test_tiny_shakespeare_download_is_checked_and_atomic(tmp_path, monkeypatch, no_embedded):
    source = EMBEDDED / "tinyshakespeare" / "input.txt"
    with pytest.raises(DataNotFoundError, match="char-rnn.*input.txt"):
        load_tiny_shakespeare(root=tmp_path, download=False)
    monkeypatch.setattr(download, "fetch_url", lambda url, path: Path(path).write_text("x"))
    with pytest.raises(DataNotFoundError, match="SHA-256 mismatch"):
        load_tiny_shakespeare(root=tmp_path)
    assert list((tmp_path / "tinyshakespeare").iterdir()) == []  # no half-written file
    monkeypatch.setattr(download, "fetch_url", lambda url, path: shutil.copyfile(source, path))
    text = load_tiny_shakespeare(root=tmp_path)
    assert len(text) == 1115394 and (tmp_path / "tinyshakespeare" / "input.txt").is_file()


def test_char_lm_batches_are_parallel_streams():
    ids = np.arange(103)
    x, t = char_lm_batches(ids, batch_size=4, seq_len=5)
    assert x.shape == (5, 4, 5) and t.shape == (5, 4, 5) and x.dtype == np.int64
    assert x[0, 1].tolist() == [25, 26, 27, 28, 29]  # stream 1 starts a quarter in
    assert x[1, 1].tolist() == [30, 31, 32, 33, 34]  # and the next window continues it
    np.testing.assert_array_equal(t, x + 1)
    with pytest.raises(ValueError, match="too few for batch_size=4"):
        char_lm_batches(np.arange(20), batch_size=4, seq_len=5)
