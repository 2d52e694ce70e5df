"""nn.RNN / nn.LSTM / nn.GRU and their cells against torch.nn with the state_dict copied
(float64): outputs, final states and the gradients of the input, the initial states and
every parameter; stacking, 双方向 (bidirectional), batch_first, padded batches (against
pack_padded_sequence), dropout, initialisation, truncated BPTT and the error messages."""

import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import manabu
import manabu.functional as F
from manabu import nn

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
N, T, D, H = 3, 5, 4, 3
LENGTHS = np.array([5, 2, 4])  # unsorted, one full-length sequence


def make_pair(kind, dtype=np.float64, **kwargs):
    """A torch layer and a manabu layer holding the same weights."""
    name, _, nonlinearity = kind.partition("_")
    if nonlinearity:
        kwargs["nonlinearity"] = nonlinearity
    kwargs.setdefault("batch_first", True)
    torch.manual_seed(0)
    torch_cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[name]
    t = torch_cls(D, H, **kwargs)
    t = t.double() if dtype == np.float64 else t
    m = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[name](D, H, dtype=dtype, **kwargs)
    nn.recurrent.copy_from_torch(m, t)
    return t, m


def leaves(arrays):
    m = [manabu.Tensor(a.copy(), requires_grad=True) for a in arrays]
    t = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return m, t


def run(kind, t, m, batch_first=True, with_hx=False, pad=None, unbatched=False):
    """Forward both layers, backpropagate the same projection of every output, compare."""
    rng = np.random.default_rng(1)
    count = m.num_layers * m.num_directions
    x_shape = (T, D) if unbatched else (N, T, D) if batch_first else (T, N, D)
    h_shape = (count, H) if unbatched else (count, N, H)
    arrays = [rng.standard_normal(x_shape)]
    n_states = 2 if kind == "lstm" else 1
    if with_hx:
        arrays += [rng.standard_normal(h_shape) for _ in range(n_states)]
    (mx, *mh), (tx, *th) = leaves(arrays)
    m_hx = t_hx = None
    if with_hx:
        m_hx = tuple(mh) if kind == "lstm" else mh[0]
        t_hx = tuple(th) if kind == "lstm" else th[0]
    if pad is None:
        m_out, m_fin = m(mx, m_hx)
        t_out, t_fin = t(tx, t_hx)
    else:
        lengths = torch.tensor(LENGTHS)
        packed = pack_padded_sequence(tx, lengths, batch_first=batch_first,
                                      enforce_sorted=False)
        t_out, t_fin = t(packed, t_hx)
        t_out, _ = pad_packed_sequence(t_out, batch_first=batch_first, total_length=T)
        if pad == "lengths":
            m_out, m_fin = m(mx, m_hx, lengths=LENGTHS)
        else:
            mask = np.arange(T)[None, :] < LENGTHS[:, None]  # (N, T)
            m_out, m_fin = m(mx, m_hx, mask=mask if batch_first else mask.T)
    m_outs = [m_out] + (list(m_fin) if kind == "lstm" else [m_fin])
    t_outs = [t_out] + (list(t_fin) if kind == "lstm" else [t_fin])
    loss_m, loss_t = 0, 0
    for mo, to in zip(m_outs, t_outs):
        assert mo.shape == tuple(to.shape)
        np.testing.assert_allclose(mo.numpy(), to.detach().numpy(), atol=1e-12, rtol=1e-9)
        p = rng.standard_normal(mo.shape)
        loss_m = loss_m + (mo * manabu.Tensor(p)).sum()
        loss_t = loss_t + (to * torch.tensor(p)).sum()
    loss_m.backward()
    loss_t.backward()
    for a, b in zip([mx, *mh], [tx, *th]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12, rtol=1e-9)
    t_params = dict(t.named_parameters())
    for name, param in m.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), t_params[name].grad.numpy(),
                                   atol=1e-12, rtol=1e-9, err_msg=name)
    return m_out


@pytest.mark.parametrize("pad", [None, "lengths", "mask"])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", KINDS)
def test_layer_matches_torch(kind, num_layers, bidirectional, with_hx, pad):
    t, m = make_pair(kind, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=True)
    out = run(kind, t, m, with_hx=with_hx, pad=pad)
    if pad is not None:  # padded steps give exact zeros
        assert not out.numpy()[np.arange(T)[None, :] >= LENGTHS[:, None]].any()


@pytest.mark.parametrize("pad", [None, "mask"])
@pytest.mark.parametrize("kind", KINDS)
def test_time_major_layout_matches_torch(kind, pad):
    t, m = make_pair(kind, num_layers=2, bidirectional=True, batch_first=False)
    out = run(kind, t, m, batch_first=False, with_hx=True, pad=pad)
    assert out.shape == (T, N, 2 * H)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_sequence_and_no_bias_match_torch(kind):
    t, m = make_pair(kind, num_layers=2, bidirectional=True, bias=False)
    assert not any("bias" in name for name in m.state_dict())
    out = run(kind, t, m, with_hx=True, unbatched=True)
    assert out.shape == (T, 2 * H)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_state_dict_keys_shapes_and_both_copy_directions(kind, bidirectional):
    t, m = make_pair(kind, num_layers=3, bidirectional=bidirectional)
    t_state, m_state = t.state_dict(), m.state_dict()
    assert list(m_state) == list(t_state)  # the same names, in the same order
    for key in t_state:
        assert m_state[key].shape == tuple(t_state[key].shape)
        np.testing.assert_array_equal(m_state[key], t_state[key].numpy())
    fresh = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](
        D, H, num_layers=3, bidirectional=bidirectional, batch_first=True).double()
    m.reset_parameters()  # new weights: copy them into torch and compare outputs
    nn.recurrent.copy_to_torch(m, fresh)
    x = np.random.default_rng(0).standard_normal((N, T, D))
    out, _ = m(manabu.Tensor(x))
    np.testing.assert_allclose(out.numpy(), fresh(torch.tensor(x))[0].detach().numpy(),
                               atol=1e-12)


def test_copy_between_different_structures_explains_the_fix():
    m = nn.LSTM(D, H + 1)
    with pytest.raises(RuntimeError, match="same structure"):
        nn.recurrent.copy_from_torch(m, torch.nn.LSTM(D, H))
    with pytest.raises(RuntimeError, match="same structure"):
        nn.recurrent.copy_to_torch(m, torch.nn.LSTM(D, H, num_layers=2))


def test_float32_default_dtype_matches_torch():
    t, m = make_pair("lstm", dtype=np.float32, num_layers=2)
    assert m.weight_ih_l0.dtype == np.float32
    x = np.random.default_rng(0).standard_normal((N, T, D)).astype(np.float32)
    out, (h, c) = m(manabu.Tensor(x))
    t_out, (t_h, t_c) = t(torch.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(c.numpy(), t_c.detach().numpy(), atol=1e-6)


def test_default_init_is_torch_uniform_and_seeded():
    manabu.manual_seed(3)
    a = nn.GRU(20, 50, num_layers=2)
    manabu.manual_seed(3)
    b = nn.GRU(20, 50, num_layers=2)
    bound = 1 / np.sqrt(50)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x, y)
        assert np.abs(x).max() <= bound
    w = a.weight_hh_l1.numpy()
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01  # the std of U(-b, b) is b / sqrt(3)


def test_xavier_and_orthogonal_init_per_gate_block():
    m = nn.LSTM(30, 40, init="xavier_normal")
    assert not m.bias_ih_l0.numpy().any() and not m.bias_hh_l0.numpy().any()
    block = m.weight_ih_l0.numpy()[40:80]  # the forget gate's (H, D) block
    assert abs(block.std() - np.sqrt(2 / (30 + 40))) < 0.01
    o = nn.GRU(40, 40, init="orthogonal")
    for g in range(3):
        w = o.weight_hh_l0.numpy()[g * 40:(g + 1) * 40]  # (H, H) block of gate g
        np.testing.assert_allclose(w @ w.T, np.eye(40), atol=1e-5)
    seen = []
    nn.RNNCell(3, 4, init=lambda block: seen.append(block.shape))
    assert seen == [(4, 3), (4, 4)]


def test_dropout_between_layers_follows_the_generator_and_eval_is_exact():
    manabu.manual_seed(0)
    m = nn.LSTM(D, H, num_layers=2, dropout=0.5)
    x = manabu.Tensor(np.random.default_rng(0).standard_normal((N, T, D)))
    m.double()
    # training: the same as running the layers one by one with F.dropout in between
    first = nn.LSTM(D, H, dtype=np.float64)
    second = nn.LSTM(H, H, dtype=np.float64)
    state = m.state_dict()
    first.load_state_dict({k: v for k, v in state.items() if k.endswith("l0")})
    second.load_state_dict({k.replace("l1", "l0"): v for k, v in state.items()
                            if k.endswith("l1")})
    manabu.manual_seed(7)
    out, _ = m(x)
    manabu.manual_seed(7)
    by_hand, _ = second(F.dropout(first(x)[0], 0.5))
    np.testing.assert_allclose(out.numpy(), by_hand.numpy(), atol=1e-12)
    again, _ = m(x)
    assert not np.allclose(out.numpy(), again.numpy())  # a new mask on every call
    m.eval()  # inference: no dropout, the same as PyTorch's layer in eval mode
    t = torch.nn.LSTM(D, H, num_layers=2, dropout=0.5, batch_first=True).double().eval()
    nn.recurrent.copy_to_torch(m, t)
    np.testing.assert_allclose(m(x)[0].numpy(), t(torch.tensor(x.numpy()))[0].detach(),
                               atol=1e-12)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(D, H, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(D, H, num_layers=2, dropout=0.2)


def test_carried_state_equals_one_long_sequence_and_truncated_bptt_matches_torch():
    t, m = make_pair("lstm", num_layers=2)
    x = np.random.default_rng(0).standard_normal((N, 2 * T, D))
    whole, _ = m(manabu.Tensor(x))
    state = None
    parts = []
    for chunk in (x[:, :T], x[:, T:]):
        out, state = m(manabu.Tensor(chunk), state)
        parts.append(out.numpy())
        state = nn.detach_state(state)
    np.testing.assert_allclose(np.concatenate(parts, axis=1), whole.numpy(), atol=1e-12)
    # truncated BPTT: the second chunk's backward stops at the detached state
    m.zero_grad()
    first_state = nn.detach_state(m(manabu.Tensor(x[:, :T]))[1])
    assert all(s.creator is None and not s.requires_grad for s in first_state)
    m(manabu.Tensor(x[:, T:]), first_state)[0].sum().backward()
    t_state = tuple(s.detach() for s in t(torch.tensor(x[:, :T]))[1])
    t(torch.tensor(x[:, T:]), t_state)[0].sum().backward()
    for name, param in t.named_parameters():
        np.testing.assert_allclose(getattr(m, name).grad.numpy(), param.grad.numpy(),
                                   atol=1e-12)


def test_detach_state_keeps_structure_and_values():
    h = manabu.Tensor(np.ones((1, 2, 3)), requires_grad=True) * 2
    detached = nn.detach_state([h, (h, None)])
    assert isinstance(detached, list) and isinstance(detached[1], tuple)
    assert detached[0].creator is None and detached[1][1] is None
    np.testing.assert_array_equal(detached[1][0].numpy(), h.numpy())
    assert nn.detach_state(None) is None
    with pytest.raises(TypeError, match="detach_state"):
        nn.detach_state("h")


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_cells_match_torch(kind, with_hx):
    name, _, nonlinearity = kind.partition("_")
    extra = {"nonlinearity": nonlinearity} if nonlinearity else {}
    t = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[name]
    t = t(D, H, **extra).double()
    m = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[name]
    m = m(D, H, dtype=np.float64, **extra)
    assert list(m.state_dict()) == list(t.state_dict())
    nn.recurrent.copy_from_torch(m, t)
    rng = np.random.default_rng(0)
    n_states = 2 if name == "lstm" else 1
    arrays = [rng.standard_normal((N, D))]
    arrays += [rng.standard_normal((N, H)) for _ in range(n_states if with_hx else 0)]
    (mx, *mh), (tx, *th) = leaves(arrays)
    m_hx = (tuple(mh) if name == "lstm" else mh[0]) if with_hx else None
    t_hx = (tuple(th) if name == "lstm" else th[0]) if with_hx else None
    m_out, t_out = m(mx, m_hx), t(tx, t_hx)
    m_outs = list(m_out) if name == "lstm" else [m_out]
    t_outs = list(t_out) if name == "lstm" else [t_out]
    loss_m, loss_t = 0, 0
    for k, (a, b) in enumerate(zip(m_outs, t_outs)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
        loss_m = loss_m + (a * (k + 1.5)).sum()
        loss_t = loss_t + (b * (k + 1.5)).sum()
    loss_m.backward()
    loss_t.backward()
    for a, b in zip([mx, *mh], [tx, *th]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
    for pname, param in t.named_parameters():
        np.testing.assert_allclose(getattr(m, pname).grad.numpy(), param.grad.numpy(),
                                   atol=1e-12)
    one = m(mx[0]) if name != "lstm" else m(mx[0])[0]  # unbatched (D,) -> (H,)
    full = m(mx) if name != "lstm" else m(mx)[0]
    np.testing.assert_allclose(one.numpy(), full.numpy()[0], atol=1e-12)


def test_layer_errors_name_the_layer_shapes_and_fix():
    m = nn.LSTM(D, H, num_layers=2)
    x = manabu.Tensor(np.zeros((N, T, D), dtype=np.float32))
    with pytest.raises(ValueError, match=r"LSTM\(4, 3, num_layers=2\).*7 features.*"
                                         r"input_size=4"):
        m(manabu.Tensor(np.zeros((N, T, 7), dtype=np.float32)))
    h = manabu.Tensor(np.zeros((1, N, H), dtype=np.float32))
    with pytest.raises(ValueError, match=r"h0 must have shape .* = \(2, 3, 3\), got \(1, 3, 3\)"):
        m(x, (h, h))
    with pytest.raises(TypeError, match=r"tuple \(h0, c0\)"):
        m(x, manabu.Tensor(np.zeros((2, N, H), dtype=np.float32)))
    with pytest.raises(TypeError, match="only an LSTM"):
        nn.GRU(D, H)(x, (h, h))
    with pytest.raises(ValueError, match=r"mask must have shape \(N, T\)"):
        m(x, mask=np.ones((T, N)))
    with pytest.raises(ValueError, match="not both"):
        m(x, mask=np.ones((N, T)), lengths=LENGTHS)
    with pytest.raises(ValueError, match=r"lengths must lie in \[0, T=5\]"):
        m(x, lengths=[6, 1, 1])
    with pytest.raises(ValueError, match="expected input of shape"):
        m(manabu.Tensor(np.zeros((1, N, T, D), dtype=np.float32)))
    with pytest.raises(TypeError, match="float64"):
        m(manabu.Tensor(np.zeros((N, T, D))))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(D, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(D, H, num_layers=2, dropout=1.0)
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        nn.LSTM(D, 0)
    with pytest.raises(ValueError, match="unknown init"):
        nn.LSTM(D, H, init="he")


def test_cell_errors_and_repr():
    cell = nn.LSTMCell(D, H)
    with pytest.raises(ValueError, match=r"LSTMCell\(4, 3\).*use nn.RNN / nn.LSTM"):
        cell(manabu.Tensor(np.zeros((N, T, D), dtype=np.float32)))
    x = manabu.Tensor(np.zeros((N, D), dtype=np.float32))
    with pytest.raises(ValueError, match=r"h must have shape \(3, 3\)"):
        cell(x, (manabu.Tensor(np.zeros((N, 2), dtype=np.float32)),) * 2)
    assert repr(cell) == "LSTMCell(4, 3)"
    assert repr(nn.RNNCell(D, H, bias=False, nonlinearity="relu")) == \
        "RNNCell(4, 3, bias=False, nonlinearity='relu')"
    assert repr(nn.GRU(D, H, num_layers=2, bidirectional=True)) == \
        "GRU(4, 3, num_layers=2, batch_first=True, bidirectional=True)"
