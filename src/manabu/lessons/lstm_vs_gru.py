"""LSTM vs GRU (and a plain RNN) on the same task: a character language model.

The three recurrent layers are trained the same way on tiny-shakespeare (the char-lm
lesson's recipe: Embedding 32 -> cell 128 -> Linear, 32 streams x 64 characters per step,
Adam lr 0.003, clipping at norm 5, the same data, the same seed) and compared by their
validation loss (nats per character), their loss curves and their parameter counts.

Each gate is one (H, D + H) block of weights plus two biases, so a layer with G gate
blocks has G (H (D + H) + 2 H) parameters: the LSTM has four blocks (入力・忘却・出力ゲート
and the candidate), the GRU three (リセットゲート, 更新ゲート and the candidate), the
plain RNN one. The GRU is the LSTM's lighter cousin: no separate cell, 3/4 of the weights.

Expect (full run: 800 steps each, 40-55 s on 2 CPU cores), D = 32, H = 128:

    layer   recurrent parameters   validation loss (nats/char)
    RNN            20,736                1.91
    GRU            62,208                1.82
    LSTM           82,944                1.90

(the unigram model scores 3.35). The GRU learns fastest and ends best, with 3/4 of the
LSTM's weights, as the notes say ("GRU: fewer parameters, the same accuracy or better").
The LSTM starts slowest (its half-open forget gates, see the bptt lesson) and is only level
with the plain RNN here: for a character model read in windows of 64, most of what helps
is the last few characters, which an RNN remembers too. Gates pay off on longer
dependencies and longer training. Quick mode (tests: 100,000 characters, 40 steps,
H = 64, 3 s) shows the parameter counts (6,272 / 18,816 / 25,088) and the first fall of
the three curves, to about the unigram's 3.3.
"""

import os

import numpy as np

import manabu
from manabu import plot
from manabu.lessons.char_lm import load_corpus, train_lm, unigram_loss
from manabu.models.language import RNNLM, evaluate_lm

__all__ = ["run"]

CELLS = ("rnn", "gru", "lstm")
NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
FULL = {"embed_dim": 32, "hidden_dim": 128, "steps": 800, "chars": None}
QUICK = {"embed_dim": 32, "hidden_dim": 64, "steps": 40, "chars": 100_000}


def count(module):
    return int(sum(p.size for p in module.parameters()))


def run(quick=False, out="lessons-output", root=None):
    cfg = QUICK if quick else FULL
    vocab, train, val = load_corpus(cfg["chars"], root)
    V = len(vocab)
    print(f"character LM on tiny-shakespeare ({len(train):,} training characters), "
          f"{cfg['steps']} steps each; unigram model {unigram_loss(train, val, V):.2f} "
          f"nats/char")
    results = {}
    curves = {}
    for cell in CELLS:
        manabu.manual_seed(0)
        model = RNNLM(V, cfg["embed_dim"], cfg["hidden_dim"], cell=cell)
        history = train_lm(model, train, cfg["steps"])
        val_loss = evaluate_lm(model, val, batch_size=64)
        results[cell] = {
            "recurrent_parameters": count(model.rnn),
            "parameters": count(model),
            "val_loss": val_loss,
            "train_loss_end": float(np.mean(history["loss"][-10:])),
        }
        curves[f"{NAMES[cell]} ({count(model.rnn):,} recurrent weights)"] = _smooth(
            history["loss"], 10)
        print(f"  {NAMES[cell]:4s}: {count(model.rnn):7,} recurrent parameters "
              f"({count(model):,} in all); validation loss {val_loss:.3f} nats/char")
    D, H = cfg["embed_dim"], cfg["hidden_dim"]
    per_gate = H * (D + H) + 2 * H
    ratio = results["gru"]["recurrent_parameters"] / results["lstm"]["recurrent_parameters"]
    print(f"one gate block: H (D + H) + 2 H = {per_gate:,}; LSTM 4 blocks, GRU 3, RNN 1 "
          f"(GRU / LSTM = {ratio:.2f})")
    path = plot.curves(curves, os.path.join(out, "lstm_vs_gru_loss.png"), xlabel="Adam step",
                       ylabel="training cross-entropy (nats/char)",
                       title="LSTM vs GRU vs RNN: character LM (moving average of 10)")
    print(f"figure: {path}")
    return {
        "results": results,
        "val_loss": {NAMES[c]: results[c]["val_loss"] for c in CELLS},
        "recurrent_parameters": {NAMES[c]: results[c]["recurrent_parameters"] for c in CELLS},
        "parameters_per_gate_block": per_gate,
        "figure": path,
    }


def _smooth(values, width):
    values = np.asarray(values)
    width = max(1, min(width, len(values)))
    return np.convolve(values, np.ones(width) / width, mode="valid")
