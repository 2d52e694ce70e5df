"""Smoke tests of the sequence lessons (RNN, BPTT, LSTM/GRU, bidirectional, word2vec, the
character LM): each runs in quick mode and its headline numbers must say what its docstring
claims. The tiny-shakespeare lessons read the embedded copy of the corpus."""

import math

import numpy as np
import pytest

from manabu.functions import numerical_gradient
from manabu.lessons import (
    bidirectional, binary_addition, bptt, char_lm, lstm_vs_gru, word2vec_lesson,
)

def test_binary_addition_both_ways_add_every_held_out_pair(run_lesson, assert_png):
    result = run_lesson("binary-addition")
    assert result["held_out_pairs"] == 1000
    assert result["textbook_accuracy"] == 1.0  # by hand, manabu.functions + written BPTT
    assert result["nn_rnn_accuracy"] == 1.0  # nn.RNN + autograd
    assert result["textbook_loss_start"] > 0.8
    assert result["textbook_loss_end"] < 0.01 * result["textbook_loss_start"]
    assert result["nn_rnn_loss_start"] == pytest.approx(math.log(2), abs=0.02)  # coin flip
    assert result["nn_rnn_loss_end"] < 0.03
    for path in result["figures"]:
        assert_png(path)


def test_textbook_bptt_matches_a_numerical_gradient():
    rng = np.random.default_rng(0)
    w = binary_addition.init_textbook(rng)
    x, d = binary_addition.make_sequences(np.array([3, 100]), np.array([77, 5]))
    z, y = binary_addition.textbook_forward(w, x)
    grads, _ = binary_addition.textbook_backward(w, x, d, z, y)

    def total_loss(_):  # numerical_gradient nudges w[name] in place; the loss reads w
        return binary_addition.textbook_backward(w, x, d, *binary_addition.textbook_forward(
            w, x))[1]

    for name in w:
        expected = numerical_gradient(total_loss, w[name])
        np.testing.assert_allclose(grads[name], expected, rtol=1e-5, atol=1e-9, err_msg=name)


def test_bptt_vanishing_exploding_and_clipping(tmp_path, assert_png):
    result = bptt.run(quick=True, out=str(tmp_path))
    assert result["rnn_ratio"] < 1e-20  # 勾配消失: 100 steps squash the gradient
    assert result["lstm_ratio"] < 1e-15  # forget gates at 0.5 forget as fast
    assert result["lstm_forget_bias_ratio"] > 1e-2  # an open forget gate carries it
    assert result["exploding_ratio"] > 1e5  # 勾配爆発
    assert result["clip_norm_before"] > 1e6
    assert result["clip_norm_after"] == pytest.approx(1.0, rel=1e-5)
    assert result["step_with_clipping"] == pytest.approx(0.05, rel=1e-5)  # lr * max_norm
    assert result["step_without_clipping"] > 1e4
    assert result["saturated_without_clipping"] > 0.9
    assert result["saturated_with_clipping"] < 0.2
    assert_png(result["figure"])


def test_bidirectional_sees_the_next_token(tmp_path, assert_png):
    result = bidirectional.run(quick=True, out=str(tmp_path))
    assert result["unidirectional_accuracy"] < 0.13  # chance is 0.1
    assert result["bidirectional_accuracy"] > 0.99
    uni = result["results"]["unidirectional"]["recurrent_parameters"]
    assert result["results"]["bidirectional"]["recurrent_parameters"] == 2 * uni
    assert_png(result["figure"])


def test_lstm_vs_gru_counts_gates_and_learns(tmp_path, shakespeare_root, assert_png):
    result = lstm_vs_gru.run(quick=True, out=str(tmp_path))
    per_gate = 64 * (32 + 64) + 2 * 64  # H (D + H) + 2 H
    assert result["parameters_per_gate_block"] == per_gate
    assert result["recurrent_parameters"] == {"RNN": per_gate, "GRU": 3 * per_gate,
                                              "LSTM": 4 * per_gate}
    for name, loss in result["val_loss"].items():
        assert loss < 3.45, name  # from ln 65 = 4.17 to about the unigram model's 3.3
    assert_png(result["figure"])


def test_word2vec_learns_neighbours(tmp_path, shakespeare_root, assert_png):
    result = word2vec_lesson.run(quick=True, out=str(tmp_path))
    assert result["words"] == 60_000
    assert result["loss_start"] == pytest.approx(6 * math.log(2))
    losses = result["losses"]
    assert losses[0] < 3.0 and losses[-1] < losses[0] and losses[-1] < 2.7
    assert "she" in result["neighbours"]["he"][:5]
    assert "richard" in result["neighbours"]["king"][:5]
    assert_png(result["figure"])


def test_char_lm_beats_the_unigram_model_and_writes(tmp_path, shakespeare_root, assert_png):
    result = char_lm.run(quick=True, out=str(tmp_path))
    assert result["unigram_loss"] == pytest.approx(3.32, abs=0.02)
    assert result["val_loss"] < result["unigram_loss"] - 0.2
    assert result["val_perplexity"] == pytest.approx(math.exp(result["val_loss"]))
    assert result["sample"].startswith("ROMEO:\n") and len(result["sample"]) == 307
    with open(result["sample_file"], encoding="utf-8") as handle:
        assert handle.read().startswith("ROMEO:\n")
    assert_png(result["figure"])
