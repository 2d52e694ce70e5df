"""Seq2Seq and Seq2SeqRegressor: shapes, teacher forcing against step-by-step decoding,
greedy against beam search (width 1 and exhaustive), padding, save/load, and the forward
pass against the same network written in PyTorch."""

import itertools

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu.autograd import Tensor
from manabu.data.datasets.sequences import shift_right
from manabu import optim
from manabu.models.seq2seq import Seq2Seq, Seq2SeqRegressor, beam_decode, train_epoch

SRC_V, TGT_V = 11, 9
OPTIONS = [
    dict(),
    dict(cell="gru"),
    dict(peeky=True),
    dict(reverse_input=True),
    dict(attention="dot"),
    dict(attention="additive", cell="gru", peeky=True),
    dict(attention="dot", peeky=True, reverse_input=True, pad_id=0),
]


def make(seed=0, **options):
    manabu.manual_seed(seed)
    return Seq2Seq(SRC_V, TGT_V, embed_dim=6, hidden_dim=8, **options)


def batch(n=4, s=5, t=3, seed=0):
    rng = np.random.default_rng(seed)
    src = rng.integers(1, SRC_V, size=(n, s))
    tgt = rng.integers(1, TGT_V, size=(n, t))
    return src, tgt


@pytest.mark.parametrize("options", OPTIONS)
def test_forward_shapes_and_attention_rows(options):
    model = make(**options)
    src, tgt = batch()
    logits, weights = model(src, tgt, return_attention=True)
    assert logits.shape == (4, 3, TGT_V)
    if options.get("attention"):
        assert weights.shape == (4, 3, 5)
        np.testing.assert_allclose(weights.numpy().sum(axis=-1), 1.0, rtol=1e-5)
    else:
        assert weights is None
    assert model(src, tgt).shape == (4, 3, TGT_V)


@pytest.mark.parametrize("options", OPTIONS)
def test_teacher_forcing_equals_step_by_step_decoding(options):
    model = make(**options)
    src, tgt = batch(t=6)
    full, full_w, _ = model.decode(tgt, model.encode(src))
    state = model.encode(src)
    steps, step_w = [], []
    for t in range(tgt.shape[1]):
        logits, w, state = model.decode(tgt[:, t:t + 1], state)  # (N, 1, V)
        steps.append(logits.numpy())
        if w is not None:
            step_w.append(w.numpy())
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full.numpy(), atol=1e-5)
    if full_w is not None:
        np.testing.assert_allclose(np.concatenate(step_w, axis=1), full_w.numpy(), atol=1e-6)


@pytest.mark.parametrize("options", OPTIONS)
def test_beam_width_one_equals_greedy(options):
    model = make(seed=3, **options)
    src, _ = batch(n=5)
    greedy = model.generate(src, start_id=1, max_len=6)
    state = model.encode(src)
    beam = beam_decode(model._step, state, 1, len(src), 6, beam_width=1)
    np.testing.assert_array_equal(greedy, beam)
    assert greedy.shape == (5, 6) and greedy.dtype == np.int64


def sequence_log_prob(model, src, tokens, start_id):
    """log p(tokens | src) under teacher forcing, for one source row."""
    tgt_in = np.array([[start_id] + list(tokens[:-1])])
    logp = F.log_softmax(model(src, tgt_in), axis=-1).numpy()[0]  # (T, V)
    return float(sum(logp[t, k] for t, k in enumerate(tokens)))


def test_wide_beam_finds_the_most_likely_sequence():
    model = make(seed=1, attention="dot")
    src, _ = batch(n=1)
    length = 3
    best = max(itertools.product(range(TGT_V), repeat=length),
               key=lambda seq: sequence_log_prob(model, src, seq, 1))
    found = model.generate(src, start_id=1, max_len=length, beam_width=TGT_V ** 2)[0]
    assert tuple(found) == best
    greedy = model.generate(src, start_id=1, max_len=length)[0]
    assert sequence_log_prob(model, src, found, 1) >= sequence_log_prob(model, src, greedy, 1)


def test_generate_stops_at_end_token_and_pads():
    model = make(seed=2, pad_id=0)
    src, _ = batch(n=3)
    free = model.generate(src, start_id=1, max_len=5)
    end_id = int(free[0, 1])  # make the second token of row 0 the end token
    ids = model.generate(src, start_id=1, max_len=5, end_id=end_id)
    row = list(ids[0])
    assert row[:2] == list(free[0, :2]) and row[2:] == [0, 0, 0]
    for r in ids:
        ends = np.flatnonzero(r == end_id)
        if ends.size:
            assert (r[ends[0] + 1:] == 0).all()
    beam = model.generate(src, start_id=1, max_len=5, beam_width=3, end_id=end_id)
    assert beam.shape == (3, 5)


def test_generate_returns_greedy_attention_weights():
    model = make(attention="additive")
    src, _ = batch(n=2, s=7)
    ids, weights = model.generate(src, start_id=1, max_len=4, return_attention=True)
    assert ids.shape == (2, 4) and weights.shape == (2, 4, 7)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="beam_width=1"):
        model.generate(src, 1, 4, beam_width=2, return_attention=True)


def test_reverse_input_is_the_same_model_on_the_flipped_source():
    forward = make(seed=4, attention="dot")
    reverse = make(seed=5, attention="dot", reverse_input=True)
    reverse.load_state_dict(forward.state_dict())
    src, tgt = batch()
    np.testing.assert_allclose(reverse(src, tgt).numpy(),
                               forward(src[:, ::-1].copy(), tgt).numpy(), atol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_pad_id_makes_padding_invisible(reverse):
    model = make(seed=6, attention="dot", peeky=True, pad_id=0, reverse_input=reverse)
    src, tgt = batch(n=1, s=4)
    padded = np.concatenate([src, np.zeros((1, 3), dtype=src.dtype)], axis=1)  # (1, 7)
    np.testing.assert_allclose(model(padded, tgt).numpy(), model(src, tgt).numpy(), atol=1e-6)
    _, weights = model(padded, tgt, return_attention=True)
    pads = slice(0, 3) if reverse else slice(4, 7)  # where the padding sits once read
    assert (weights.numpy()[..., pads] == 0).all()


def test_loss_ignores_padding_targets():
    model = make(seed=7)
    src, tgt = batch(n=3, t=4)
    tgt_out = tgt.copy()
    tgt_out[0, 2:] = 0
    tgt_out[2, 1:] = 0
    loss = float(model.loss(src, tgt, tgt_out, ignore_index=0).data)
    logp = F.log_softmax(model(src, tgt), axis=-1).numpy()
    picked = [-logp[n, t, tgt_out[n, t]] for n in range(3) for t in range(4) if tgt_out[n, t]]
    assert loss == pytest.approx(np.mean(picked), rel=1e-5)


def test_gradients_reach_every_parameter():
    model = make(attention="additive", peeky=True)
    src, tgt = batch()
    model.loss(src, tgt, tgt).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and np.abs(param.grad.numpy()).sum() > 0, name


def test_train_epoch_learns_to_copy_and_exact_match_counts_whole_rows():
    # copy task: the target is the source itself, behind a start token 0
    rng = np.random.default_rng(0)
    src = rng.integers(1, TGT_V, size=(256, 3))
    tgt = np.concatenate([np.zeros((256, 1), dtype=src.dtype), src], axis=1)
    model = make(attention="dot")
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    before = model.exact_match(src, tgt, start_id=0)
    losses = [train_epoch(model, optimizer, src, tgt, 32, rng) for _ in range(15)]
    after = model.exact_match(src, tgt, start_id=0)
    assert losses[-1] < 0.5 * losses[0]
    assert after > before + 0.5
    answer = model.generate(src, start_id=0, max_len=3)
    assert after == np.mean((answer == src).all(axis=1))  # a row counts only when all match


def test_save_load_round_trip(tmp_path):
    model = make(seed=8, attention="dot", peeky=True, reverse_input=True, pad_id=0, cell="gru")
    path = manabu.save(model, str(tmp_path / "s2s"))
    loaded = manabu.load(path)
    assert isinstance(loaded, Seq2Seq) and loaded.config == model.config
    src, tgt = batch()
    np.testing.assert_array_equal(loaded(src, tgt).numpy(), model(src, tgt).numpy())


def test_vocabulary_objects_and_bad_options():
    from manabu.data.datasets.sequences import addition_strings

    _, _, vocab = addition_strings(n=2)
    model = Seq2Seq(vocab, vocab, 4, 4)
    assert model.config["src_vocab"] == 13 and model.out.out_features == 13
    with pytest.raises(ValueError, match="cell"):
        Seq2Seq(5, 5, cell="transformer")
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(5, 5, attention="luong")
    with pytest.raises(ValueError, match="integer token ids"):
        model(np.zeros((2, 3)), np.zeros((2, 2), dtype=np.int64))


def test_forward_matches_pytorch_peeky_attention_lstm():
    torch = pytest.importorskip("torch")
    model = make(seed=9, peeky=True, attention="dot")
    state = {k: torch.tensor(np.array(v)) for k, v in model.state_dict().items()}
    emb_s = torch.nn.Embedding(SRC_V, 6)
    emb_t = torch.nn.Embedding(TGT_V, 6)
    enc = torch.nn.LSTM(6, 8, batch_first=True)
    dec = torch.nn.LSTM(6 + 8, 8, batch_first=True)
    out = torch.nn.Linear(3 * 8, TGT_V)
    for prefix, module in (("src_embed.", emb_s), ("tgt_embed.", emb_t), ("encoder.", enc),
                           ("decoder.", dec), ("out.", out)):
        module.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                                if k.startswith(prefix)})
    src, tgt = batch()
    keys, (h, c) = enc(emb_s(torch.tensor(src)))
    peek = h[0][:, None, :].expand(-1, tgt.shape[1], -1)
    hs, _ = dec(torch.cat([emb_t(torch.tensor(tgt)), peek], dim=2), (h, c))
    weights = torch.softmax(hs @ keys.transpose(1, 2), dim=-1)  # plain dot product
    expected = out(torch.cat([hs, weights @ keys, peek], dim=2))
    np.testing.assert_allclose(model(src, tgt).numpy(), expected.detach().numpy(), atol=1e-5)


# --------------------------------------------------------------------------- regressor


def test_regressor_shapes_and_teacher_forcing_consistency():
    manabu.manual_seed(0)
    model = Seq2SeqRegressor(1, 1, hidden_size=5)
    x = np.sin(np.linspace(0, 3, 2 * 7)).reshape(2, 7, 1).astype(np.float32)
    y_in = shift_right(np.cos(x))
    assert model(Tensor(x), Tensor(y_in)).shape == (2, 7, 1)
    predicted = model.predict(x)
    assert predicted.shape == (2, 7, 1)
    # the autoregressive prediction is the teacher-forced output fed its own past outputs
    replay = model(Tensor(x), Tensor(shift_right(predicted))).numpy()
    np.testing.assert_allclose(replay, predicted, atol=1e-6)
    assert model.predict(x, length=3).shape == (2, 3, 1)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_regressor_cells_and_save_load(cell, tmp_path):
    manabu.manual_seed(1)
    model = Seq2SeqRegressor(2, 3, hidden_size=4, cell=cell)
    x = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    loaded = manabu.load(manabu.save(model, str(tmp_path / cell)))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.predict(x).shape == (3, 5, 3)
