"""The Seq2Seq lessons: each quick mode runs and draws its figures, and the slow tests train
for real and check each lesson's DONE-WHEN number: sin -> cos test MSE < 0.01, dates
>= 99% exact match, peeky + reversed far above the baseline on addition."""

import numpy as np
import pytest

from manabu.data.datasets.sequences import date_formats
from manabu.lessons import addition, dates, dialogue, sin_cos


def test_sin_cos_quick(tmp_path, capsys, assert_png):
    result = sin_cos.run(quick=True, out=str(tmp_path))
    assert result["test_mse_teacher_forced"] < 0.01  # 8 epochs on 300 windows
    assert result["test_mse"] < 0.2  # predicting 0 would give 0.5
    assert result["final_loss"] < 0.01
    for path in result["figures"]:
        assert_png(path)
    assert "test MSE" in capsys.readouterr().out


def test_notes_windows_follow_the_notes_layout():
    x, y, grid = sin_cos.notes_windows()
    assert x.shape == y.shape == (76, 24, 1)
    np.testing.assert_allclose(x[5, :, 0], np.sin(grid[5:29]), atol=1e-6)
    np.testing.assert_allclose(y[75, :, 0], np.cos(grid[75:99]), atol=1e-6)  # the last


def test_addition_quick(tmp_path, assert_png):
    result = addition.run(quick=True, out=str(tmp_path))
    assert set(result["accuracy"]) == set(addition.VARIANTS)
    for curve in result["curves"].values():
        assert len(curve) == 2 and all(0 <= a <= 1 for a in curve)
    assert_png(result["figures"][0])


def test_dates_quick(tmp_path, assert_png):
    result = dates.run(quick=True, out=str(tmp_path))
    assert len(result["accuracies"]) == 1 and 0 <= result["accuracy"] <= 1
    for path in result["figures"]:
        assert_png(path)


def test_dates_heat_map_examples_differ_in_format():
    x, _, vocab = date_formats(n=200, seed=3)
    picks = dates.pick_examples(x, vocab)
    texts = [vocab.decode_text(x[i]).strip() for i in picks]
    assert len(set(picks)) == 3
    assert texts[0][0].isalpha() and texts[2][:4].isdigit()


def test_dialogue_quick(tmp_path, capsys, assert_png):
    result = dialogue.run(quick=True, out=str(tmp_path))
    assert set(result["exact_match"]) == {"last utterance only", "HRED", "VHRED"}
    for value in result["reconstruction"].values():
        assert 0 < value < np.log(60)  # below a uniform guess over the vocabulary
    assert np.isfinite(result["kl"]) and result["kl"] > 0
    for path in result["figures"]:
        assert_png(path)
    assert "VHRED, 3 samples of z" in capsys.readouterr().out


def test_sin_cos_reaches_the_done_when_mse():  # about a second: not marked slow
    model, losses = sin_cos.train_sin_cos(n_train=1000, epochs=30)
    mse, mse_forced = sin_cos.held_out_mse(model, n_test=500)
    assert mse < 0.01  # decoding its own outputs, as the notes' predict() does
    assert mse_forced < mse
    assert losses[-1] < 0.01 * losses[0]


@pytest.mark.slow
def test_dates_reach_99_percent_within_10_epochs():
    _, accuracies, _, _ = dates.train_dates(n_train=20000, epochs=6)
    assert accuracies[-1] >= 0.99
    assert accuracies[0] < accuracies[-1]


@pytest.mark.slow
def test_addition_peeky_reversed_beats_baseline_widely():
    train, test, vocab = addition.load_data(n_train=20000)
    _, baseline = addition.train_variant(addition.VARIANTS["baseline"], train, test, vocab,
                                         epochs=4)
    _, best = addition.train_variant(addition.VARIANTS["peeky + reversed"], train, test,
                                     vocab, epochs=4)
    assert best[-1] > baseline[-1] + 0.3
    assert all(b > a for a, b in zip(baseline, best))
