"""rnn / lstm / gru and their cells: values and every gradient (x, states, weights, biases)
against torch.nn.RNN/LSTM/GRU(Cell) in float64 and central differences, masks against
PyTorch run per sequence on the unpadded lengths, dtypes, and the errors for bad input."""

import warnings

import numpy as np
import pytest
import torch
from torch.func import functional_call

import manabu
from manabu.functional.gru import gru, gru_cell
from manabu.functional.lstm import lstm, lstm_cell
from manabu.functional.rnn import rnn, rnn_cell
from oracle import check_op

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
N, T, D, H = 2, 3, 3, 4  # tiny: gradcheck perturbs every element


def _torch_layer(kind, bias=True, cell=False):
    """The PyTorch layer (float64) whose parameters we pass in functionally."""
    nn = torch.nn
    if kind.startswith("rnn"):
        cls = nn.RNNCell if cell else nn.RNN
        nonlinearity = kind.split("_")[1]
        return cls(D, H, bias=bias, nonlinearity=nonlinearity, **_seq(cell)).double()
    cls = {"lstm": (nn.LSTM, nn.LSTMCell), "gru": (nn.GRU, nn.GRUCell)}[kind][cell]
    return cls(D, H, bias=bias, **_seq(cell)).double()


def _seq(cell):
    return {} if cell else {"batch_first": True}


def _params(weights, cell):
    suffix = "" if cell else "_l0"
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    return {n + suffix: w for n, w in zip(names, weights)}


def _torch_seq(kind, bias=True, states=True):
    """torch_fn(x, [h0, [c0]], W_ih, W_hh, [b_ih, b_hh]) -> outputs and final states."""
    layer = _torch_layer(kind, bias)
    n_states = (2 if kind == "lstm" else 1) if states else 0

    def fn(x, *rest):
        hx = [s[None] for s in rest[:n_states]]  # (1, N, H): layers x directions first
        args = (x,) if not hx else (x, tuple(hx) if kind == "lstm" else hx[0])
        out, final = functional_call(layer, _params(rest[n_states:], cell=False), args)
        finals = final if kind == "lstm" else (final,)
        return (out,) + tuple(f[0] for f in finals)

    return fn


def _manabu_seq(kind, bias=True, states=True, mask=None):
    n_states = (2 if kind == "lstm" else 1) if states else 0

    def fn(x, *rest):
        hx = list(rest[:n_states]) + [None] * ((2 if kind == "lstm" else 1) - n_states)
        weights = list(rest[n_states:]) + [None] * (2 if not bias else 0)
        if kind == "lstm":
            return lstm(x, *hx, *weights, mask=mask)
        if kind == "gru":
            return gru(x, *hx, *weights, mask=mask)
        return rnn(x, *hx, *weights, nonlinearity=kind.split("_")[1], mask=mask)

    return fn


def _shapes(kind, n=N, t=T, bias=True, states=True, cell=False):
    g = GATES[kind]
    x = [(n, D)] if cell else [(n, t, D)]
    hx = [(n, H)] * ((2 if kind == "lstm" else 1) if states else 0)
    biases = [(g * H,), (g * H,)] if bias else []
    return x + hx + [(g * H, D), (g * H, H)] + biases


@pytest.mark.parametrize("kind", list(GATES))
def test_sequence_op_matches_torch(kind):
    check_op(_torch_seq(kind), _manabu_seq(kind), shapes=_shapes(kind), low=-1.0, high=1.0)


@pytest.mark.parametrize("kind", list(GATES))
def test_sequence_op_without_states_or_biases_matches_torch(kind):
    check_op(_torch_seq(kind, bias=False, states=False),
             _manabu_seq(kind, bias=False, states=False),
             shapes=_shapes(kind, bias=False, states=False), low=-1.0, high=1.0)


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("n, t", [(1, 4), (3, 1)])
def test_batch_of_one_and_single_step_match_torch(kind, n, t):
    check_op(_torch_seq(kind), _manabu_seq(kind), shapes=_shapes(kind, n=n, t=t),
             low=-1.0, high=1.0)


def _torch_cell(kind, states=True):
    layer = _torch_layer(kind, cell=True)
    n_states = (2 if kind == "lstm" else 1) if states else 0

    def fn(x, *rest):
        hx = rest[:n_states]
        args = (x,) if not hx else (x, tuple(hx) if kind == "lstm" else hx[0])
        return functional_call(layer, _params(rest[n_states:], cell=True), args)

    return fn


def _manabu_cell(kind, states=True):
    n_states = (2 if kind == "lstm" else 1) if states else 0

    def fn(x, *rest):
        hx = list(rest[:n_states]) + [None] * ((2 if kind == "lstm" else 1) - n_states)
        weights = rest[n_states:]
        if kind == "lstm":
            return lstm_cell(x, *hx, *weights)
        if kind == "gru":
            return gru_cell(x, *hx, *weights)
        return rnn_cell(x, *hx, *weights, nonlinearity=kind.split("_")[1])

    return fn


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("states", [True, False])
def test_cell_matches_torch(kind, states):
    check_op(_torch_cell(kind, states), _manabu_cell(kind, states),
             shapes=_shapes(kind, states=states, cell=True), low=-1.0, high=1.0)


def test_gradient_from_final_state_only():
    """Only h_T is used: the output sequence gets a zero gradient, BPTT still runs."""
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-1, 1, s) for s in _shapes("lstm")]
    m_in = [manabu.Tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    (lstm(*m_in)[1] ** 2).sum().backward()
    (_torch_seq("lstm")(*t_in)[1] ** 2).sum().backward()
    for m, t in zip(m_in, t_in):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10)
    assert np.abs(m_in[0].grad.numpy()[:, 0]).sum() > 0  # reached the first step


# ---------------------------------------------------------------------- masks
LENGTHS = [3, 1, 2]


def _masked_case(kind, left_pad=False, seed=0):
    """manabu on padded batch with a mask vs torch on each unpadded sequence."""
    rng = np.random.default_rng(seed)
    n = len(LENGTHS)
    arrays = [rng.uniform(-1, 1, s) for s in _shapes(kind, n=n)]
    steps = np.arange(T)
    lengths = np.array(LENGTHS)[:, None]
    mask = (steps >= T - lengths) if left_pad else (steps < lengths)  # (n, T)
    projections = [rng.standard_normal((n, T, H))] + [rng.standard_normal((n, H))] * 2
    m_in = [manabu.Tensor(a, requires_grad=True) for a in arrays]
    m_out = _manabu_seq(kind, mask=mask)(*m_in)
    sum((o * manabu.Tensor(p)).sum() for o, p in zip(m_out, projections)).backward()
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    n_states = 2 if kind == "lstm" else 1
    t_outs = [[] for _ in m_out]
    for i, length in enumerate(LENGTHS):
        steps = slice(T - length, T) if left_pad else slice(0, length)
        x_i = t_in[0][i:i + 1, steps]  # (1, L, D): the sequence without its padding
        states_i = [s[i:i + 1] for s in t_in[1:1 + n_states]]
        out_i = _torch_seq(kind)(x_i, *states_i, *t_in[1 + n_states:])
        padded = torch.zeros(1, T, H, dtype=torch.float64)
        padded[:, steps] = out_i[0]
        t_outs[0].append(padded)
        for k, final in enumerate(out_i[1:]):
            t_outs[k + 1].append(final)
    t_out = [torch.cat(o) for o in t_outs]
    sum((o * torch.tensor(p)).sum() for o, p in zip(t_out, projections)).backward()
    return mask, m_in, m_out, t_in, t_out


@pytest.mark.parametrize("kind", list(GATES))
def test_mask_matches_torch_on_unpadded_sequences(kind):
    mask, m_in, m_out, t_in, t_out = _masked_case(kind)
    for m, t in zip(m_out, t_out):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=1e-12)
    assert np.all(m_out[0].numpy()[mask == 0] == 0)  # outputs at padded steps are zero
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10,
                                   err_msg=f"gradient of input {i}")
    assert np.all(m_in[0].grad.numpy()[mask == 0] == 0)  # padding gets no gradient


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_left_padding_carries_the_initial_state(kind):
    """Leading masked steps keep h0 (e.g. a reversed sequence in a bidirectional RNN)."""
    _, m_in, m_out, t_in, t_out = _masked_case(kind, left_pad=True, seed=1)
    for m, t in zip(m_out, t_out):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=1e-12)
    for m, t in zip(m_in, t_in):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10)


def test_full_mask_equals_no_mask():
    rng = np.random.default_rng(3)
    arrays = [manabu.Tensor(rng.uniform(-1, 1, s)) for s in _shapes("gru")]
    plain = gru(*arrays)
    masked = gru(*arrays, mask=np.ones((N, T), dtype=bool))
    for a, b in zip(plain, masked):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---------------------------------------------------------------------- dtype, stability
def test_float32_stays_float32_and_extreme_inputs_do_not_overflow():
    rng = np.random.default_rng(4)
    x = manabu.Tensor((rng.standard_normal((2, 5, 3)) * 1e4).astype(np.float32),
                      requires_grad=True)
    weights = [manabu.Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
               for s in _shapes("lstm")[3:]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        y, h, c = lstm(x, None, None, *weights)
        (y.sum() + h.sum() + c.sum()).backward()
    assert y.dtype == h.dtype == c.dtype == np.float32
    assert x.grad.dtype == weights[0].grad.dtype == np.float32
    assert np.all(np.isfinite(y.numpy())) and np.all(np.abs(y.numpy()) <= 1)


def test_backward_leaves_the_incoming_gradient_untouched():
    rng = np.random.default_rng(5)
    arrays = [manabu.Tensor(rng.uniform(-1, 1, s), requires_grad=True)
              for s in _shapes("lstm", n=1)]
    y, _, _ = lstm(*arrays, mask=np.array([[1, 1, 0]]))
    gy = rng.standard_normal(y.shape)
    before = gy.copy()
    y.backward(gy)
    np.testing.assert_array_equal(gy, before)


@pytest.mark.parametrize("kind", list(GATES))
def test_second_backward_with_retained_graph_doubles_the_gradients(kind):
    """The backward reads its saved arrays without changing them."""
    rng = np.random.default_rng(7)
    inputs = [manabu.Tensor(rng.uniform(-1, 1, s), requires_grad=True) for s in _shapes(kind)]
    outputs = _manabu_seq(kind, mask=np.array([[1, 1, 1], [1, 1, 0]]))(*inputs)
    loss = sum((o * o).sum() for o in outputs)
    loss.backward(retain_graph=True)
    first = [t.grad.numpy().copy() for t in inputs]
    loss.backward()
    for t, g in zip(inputs, first):
        np.testing.assert_allclose(t.grad.numpy(), 2 * g, rtol=1e-12)


def test_input_without_grad_gets_none_and_weights_still_train():
    rng = np.random.default_rng(6)
    x = manabu.Tensor(rng.uniform(-1, 1, (N, T, D)))
    weights = [manabu.Tensor(rng.uniform(-1, 1, s), requires_grad=True)
               for s in _shapes("rnn_tanh")[2:]]
    y, _ = rnn(x, None, *weights)
    y.sum().backward()
    assert x.grad is None
    assert all(w.grad is not None and np.abs(w.grad.numpy()).sum() > 0 for w in weights)


# ---------------------------------------------------------------------- errors
def _weights(kind, d=D, dtype=np.float64):
    g = GATES[kind]
    return [manabu.Tensor(np.zeros(s, dtype=dtype)) for s in
            [(g * H, d), (g * H, H), (g * H,), (g * H,)]]


def test_input_size_mismatch_names_op_shapes_and_fix():
    x = manabu.Tensor(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"lstm: x \(2, 3, 5\) has 5 features but W_ih "
                                         r"\(16, 3\) expects input_size=3.*input_size=5"):
        lstm(x, None, None, *_weights("lstm"))


@pytest.mark.parametrize("call, message", [
    (lambda: gru(manabu.Tensor(np.zeros((2, 3))), None, *_weights("gru")),
     r"gru: expected a batch-first sequence x of shape \(N, T, D\), got \(2, 3\).*gru_cell"),
    (lambda: lstm_cell(manabu.Tensor(np.zeros((2, 3, 3))), None, None, *_weights("lstm")),
     r"lstm_cell: expected one time step x of shape \(N, D\), got \(2, 3, 3\)"),
    (lambda: rnn(manabu.Tensor(np.zeros((2, 3, 3))), manabu.Tensor(np.zeros((1, 2, H))),
                 *_weights("rnn_tanh")),
     r"rnn: h0 must have shape \(N, H\) = \(2, 4\), got \(1, 2, 4\).*state\[0\]"),
    (lambda: gru(manabu.Tensor(np.zeros((2, 3, 3))), None, *_weights("gru"),
                 mask=np.ones((3, 2))),
     r"gru: mask must have shape \(N, T\) = \(2, 3\)"),
    (lambda: gru(manabu.Tensor(np.zeros((2, 3, 3))), None, *_weights("gru"),
                 mask=np.full((2, 3), 0.5)),
     r"gru: mask must hold only 0 and 1"),
    (lambda: lstm(manabu.Tensor(np.zeros((2, 3, 3))), None, None,
                  manabu.Tensor(np.zeros((15, 3))), *_weights("lstm")[1:]),
     r"lstm: W_ih must have shape \(4\*hidden_size, input_size\).*\(i, f, g, o\)"),
    (lambda: gru(manabu.Tensor(np.zeros((2, 3, 3))), None, _weights("gru")[0],
                 manabu.Tensor(np.zeros((12, 5))), *_weights("gru")[2:]),
     r"gru: W_hh must have shape \(3\*hidden_size, hidden_size\) = \(12, 4\)"),
    (lambda: lstm(manabu.Tensor(np.zeros((2, 0, 3))), None, None, *_weights("lstm")),
     r"lstm: the sequence x \(2, 0, 3\) has no time steps"),
    (lambda: rnn(manabu.Tensor(np.zeros((2, 3, 3))), None, *_weights("rnn_tanh"),
                 nonlinearity="sigmoid"),
     r"rnn: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"),
])
def test_bad_arguments_raise_clear_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dtype_mismatch_is_a_type_error():
    x = manabu.Tensor(np.zeros((2, 3, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"gru: x is float32 but W_ih is float64"):
        gru(x, None, *_weights("gru"))
