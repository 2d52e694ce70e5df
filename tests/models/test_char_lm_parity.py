"""DONE-WHEN test of the character LSTM language model: trained on tiny-shakespeare with the
same initial weights, the same batches, the same optimizer and the same number of steps,
manabu's validation loss (nats/char) is within 0.05 of PyTorch's.

Model: Embedding(65, 32) -> LSTM(128) -> Linear(65); 600 steps of stateful truncated BPTT
(32 streams x 64 characters, 1.2 million characters), Adam lr 0.003, gradients clipped to
norm 5; validation on the last 10% of the text (111,540 characters). Measured: both 2.0191
nats/char (the unigram model: 3.35, ln 65 = 4.17 untrained), equal to 4 decimals; training
and validation take about 14 s for manabu and 9 s for PyTorch (one thread each) on a
2-core machine, the whole test 19-30 s depending on the load.
"""

import time

import numpy as np
import pytest

import manabu
from manabu import nn, optim
from manabu.data.datasets.shakespeare import (
    char_lm_batches, load_tiny_shakespeare, shakespeare_split,
)
from manabu.data.text import Vocabulary
from manabu.models.language import RNNLM, evaluate_lm, lm_loss

torch = pytest.importorskip("torch")

EMBED, HIDDEN, BATCH, SEQ_LEN, STEPS, LR, CLIP = 32, 128, 32, 64, 600, 3e-3, 5.0
VAL_ROWS = 64


class TorchLM(torch.nn.Module):
    """The same model in PyTorch, with the same attribute names (so the state_dict copies)."""

    def __init__(self, vocab_size):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, EMBED)
        self.rnn = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.decoder = torch.nn.Linear(HIDDEN, vocab_size)

    def forward(self, ids, state=None):
        h, state = self.rnn(self.embedding(ids), state)
        return self.decoder(h), state


def train_manabu(model, inputs, targets):
    optimizer = optim.Adam(model.parameters(), lr=LR)
    state = None
    for x, t in zip(inputs, targets):
        logits, state = model(x, state)
        loss = lm_loss(logits, t)
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        state = nn.detach_state(state)
    return float(loss.item())


def train_torch(model, inputs, targets):
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    state = None
    for x, t in zip(inputs, targets):
        logits, state = model(torch.from_numpy(x), state)
        V = logits.shape[-1]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V),
                                                 torch.from_numpy(t).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        state = tuple(s.detach() for s in state)
    return float(loss.item())


def torch_val_loss(model, val):
    inputs, targets = char_lm_batches(val, VAL_ROWS, (len(val) - 1) // VAL_ROWS)  # 1 window
    with torch.no_grad():
        logits, _ = model(torch.from_numpy(inputs[0]))
        V = logits.shape[-1]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V),
                                                 torch.from_numpy(targets[0]).reshape(-1))
    return float(loss.item())


@pytest.mark.slow
def test_char_lstm_validation_loss_matches_pytorch(shakespeare_root):
    text = load_tiny_shakespeare(shakespeare_root)
    vocab = Vocabulary.from_texts(text, pad=None, unk=None, bos=None, eos=None)
    ids = np.array(vocab.encode(text), dtype=np.int64)
    train, val = shakespeare_split(ids, 0.9)
    inputs, targets = char_lm_batches(train, BATCH, SEQ_LEN)  # (W, N, T): the same batches
    inputs, targets = inputs[:STEPS], targets[:STEPS]

    manabu.manual_seed(0)
    model = RNNLM(len(vocab), EMBED, HIDDEN, cell="lstm")
    twin = TorchLM(len(vocab))
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    with manabu.no_grad():
        first, _ = model(inputs[0])  # (N, T, V)
    with torch.no_grad():
        first_torch, _ = twin(torch.from_numpy(inputs[0]))
    np.testing.assert_allclose(first.numpy(), first_torch.numpy(), atol=1e-5)  # same start

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # like manabu's tests (OPENBLAS_NUM_THREADS=1), no oversubscription
    try:
        start = time.perf_counter()
        train_manabu(model, inputs, targets)
        ours = evaluate_lm(model, val, batch_size=VAL_ROWS)
        middle = time.perf_counter()
        train_torch(twin, inputs, targets)
        theirs = torch_val_loss(twin, val)
        end = time.perf_counter()
    finally:
        torch.set_num_threads(threads)
    print(f"\nchar LSTM LM, {STEPS} steps: validation loss manabu {ours:.4f} nats/char "
          f"({middle - start:.1f} s), PyTorch {theirs:.4f} ({end - middle:.1f} s)")
    assert ours < 2.2  # well below the unigram model's 3.35: it trained
    assert abs(ours - theirs) < 0.05
