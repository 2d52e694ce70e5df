"""Every op declares its parameters in ``__init__`` (as DeZero's ``Sum(axis, keepdims)``),
so that a reader finds where ``self.groups`` or ``self.mask`` comes from; an op without
parameters has no ``__init__``. Also the shared recurrent helpers, and the losses' argument
order (prediction first; only the textbook ``manabu.functions`` takes the target first)."""

import importlib
import inspect

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu import functions
from manabu.autograd import Function

# import_module, since ``manabu.functional.lstm`` (like gru, rnn, group_norm) is also the
# name of a function that the package exports
MODULES = {name: importlib.import_module(f"manabu.functional.{name}") for name in
           ("elementwise", "arithmetic", "reduce", "shape", "activation", "loss", "attention",
            "dropout", "linear", "embedding", "word2vec", "frelu", "conv", "pooling", "norm",
            "group_norm", "recurrent", "rnn", "lstm", "gru")}
recurrent, lstm = MODULES["recurrent"], MODULES["lstm"]
WITHOUT_PARAMETERS = {
    "Step", "ReLU", "PReLU", "BinaryCrossEntropy", "Linear",  # activation, loss, linear
    "Exp", "Log", "Sqrt", "Abs", "Sin", "Cos", "Tanh", "Erf", "Sign", "Add", "Sub", "Mul",
    "Div", "Neg", "Pow", "MatMul",
}


def _ops():
    return [cls for m in MODULES.values() for _, cls in inspect.getmembers(m, inspect.isclass)
            if issubclass(cls, Function) and cls.__module__ == m.__name__]


@pytest.mark.parametrize("op", _ops(), ids=lambda cls: cls.__name__)
def test_every_op_lists_its_parameters(op):
    if op.__name__ in WITHOUT_PARAMETERS:
        assert op.__init__ is Function.__init__
        return
    assert op.__init__ is not Function.__init__, f"{op.__name__} declares no parameters"
    kinds = [p.kind for p in inspect.signature(op.__init__).parameters.values()]
    assert inspect.Parameter.VAR_KEYWORD not in kinds


def _t(*shape, seed=0):
    return manabu.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _rnn_weights(gates, D=3, H=4):
    return [_t(gates * H, D, seed=1), _t(gates * H, H, seed=2), _t(gates * H, seed=3),
            _t(gates * H, seed=4)]


def _sdpa():
    q = _t(2, 3, 4)
    return F.scaled_dot_product_attention(q, _t(2, 5, 4, seed=1), _t(2, 5, 4, seed=2),
                                          np.ones((3, 5), dtype=bool), dropout_p=0.2,
                                          is_causal=True)[0]


ACTIVATIONS = [
    F.step, F.sigmoid, F.relu, F.leaky_relu, F.elu, F.selu, F.softplus, F.gelu,
    lambda x: F.gelu(x, "tanh"), F.silu, F.mish, F.hard_sigmoid, F.hard_tanh, F.relu6,
    lambda x: F.rrelu(x, training=True), F.softmax, F.log_softmax, F.glu,
    lambda x: F.maxout(x, 2),
]

CALLS = {
    "activations": lambda: sum(f(_t(3, 4)).sum() for f in ACTIVATIONS),
    "prelu": lambda: F.prelu(_t(2, 3, 4), _t(3)),
    "cross_entropy": lambda: F.cross_entropy(_t(4, 3), np.array([0, 2, 1, -100]),
                                             weight=np.ones(3), label_smoothing=0.1),
    "bce": lambda: F.binary_cross_entropy(F.sigmoid(_t(4)), np.array([0, 1, 1, 0])),
    "bce_logits": lambda: F.binary_cross_entropy_with_logits(
        _t(4, 2), np.ones((4, 2)), pos_weight=np.array([2.0, 0.5])),
    "masked_softmax": lambda: F.masked_softmax(_t(2, 3), np.array([True, False, True])),
    "scaled_dot_product_attention": _sdpa,
    "split_heads": lambda: F.split_heads(_t(2, 3, 12), 2, chunks=3)[1],
    "dropout": lambda: F.dropout(_t(3, 4), 0.5) + F.alpha_dropout(_t(3, 4), 0.5),
    "linear": lambda: F.linear(_t(2, 3), _t(4, 3), _t(4)),
    "embedding": lambda: F.embedding(np.array([0, 2, 2]), _t(4, 3), padding_idx=0),
    "embedding_dot": lambda: F.embedding_dot(_t(2, 3), _t(5, 3), np.array([[0, 4], [1, 1]])),
    "conv2d": lambda: F.conv2d(_t(2, 4, 5, 5), _t(6, 2, 3, 3), _t(6), stride=2, padding=1,
                               groups=2, padding_mode="reflect"),
    "conv_transpose1d": lambda: F.conv_transpose1d(_t(2, 3, 5), _t(3, 2, 3), _t(2),
                                                   stride=2, output_padding=1),
    "max_pool2d": lambda: F.max_pool2d(_t(2, 3, 5, 5), 2, ceil_mode=True),
    "avg_pool3d": lambda: F.avg_pool3d(_t(1, 2, 4, 4, 4), 3, 1, 1, count_include_pad=False),
    "adaptive_avg_pool2d": lambda: F.adaptive_avg_pool2d(_t(2, 3, 5, 7), (2, 3)),
    "batch_norm": lambda: F.batch_norm(_t(4, 3, 2), np.zeros(3), np.ones(3), _t(3), _t(3),
                                       training=True),
    "batch_norm_eval": lambda: F.batch_norm(_t(4, 3), np.zeros(3), np.ones(3)),
    "layer_norm": lambda: F.layer_norm(_t(2, 3, 4), (3, 4)),
    "group_norm": lambda: F.group_norm(_t(2, 4, 3), 2, _t(4), _t(4)),
    "instance_norm": lambda: F.instance_norm(_t(2, 3, 5), np.zeros(3), np.ones(3)),
    "rnn": lambda: F.rnn(_t(2, 5, 3), None, *_rnn_weights(1), nonlinearity="relu",
                         mask=np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]))[0],
    "rnn_cell": lambda: F.rnn_cell(_t(2, 3), None, *_rnn_weights(1)),
    "lstm": lambda: F.lstm(_t(2, 5, 3), None, None, *_rnn_weights(4))[2],
    "lstm_cell": lambda: F.lstm_cell(_t(2, 3), _t(2, 4), None, *_rnn_weights(4))[1],
    "gru": lambda: F.gru(_t(2, 5, 3), None, *_rnn_weights(3))[0],
    "gru_cell": lambda: F.gru_cell(_t(2, 3), None, *_rnn_weights(3)),
}


def _strict_init(self, **params):
    if params:
        raise TypeError(f"{type(self).__name__} relied on Function.__init__ for {params}")


@pytest.mark.parametrize("name", CALLS)
def test_ops_run_without_the_generic_constructor(name, monkeypatch):
    monkeypatch.setattr(Function, "__init__", _strict_init)
    y = CALLS[name]()
    y.sum().backward()
    assert np.isfinite(y.data).all()


def test_one_sigmoid_via_tanh_serves_sigmoid_and_the_lstm_gates():
    a = np.array([[-100.0, -1.0, 0.0, 2.0, 100.0]] * 4, dtype=np.float32).reshape(1, 20)
    with np.errstate(all="raise"):  # no overflow where 1 / (1 + exp(-a)) would
        y = recurrent.sigmoid_via_tanh_(np, a.copy())
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-a.astype(np.float64))), atol=1e-6)
    scale, shift = lstm._gate_scales(np, 5, np.float32)  # (i, f, g, o), H = 5
    y = recurrent.sigmoid_via_tanh_(np, a.copy(), scale, shift)
    sigmoid = 1 / (1 + np.exp(-a[0, :5].astype(np.float64)))
    for block, expected in zip(recurrent.gate_blocks(y, 4),
                               (sigmoid, sigmoid, np.tanh(a[0, :5]), sigmoid)):
        np.testing.assert_allclose(block[0], expected, atol=1e-6)


LOSSES = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
          "huber_loss", "kl_div", "l1_loss", "mean_squared_error", "mse_loss", "nll_loss",
          "smooth_l1_loss"]


@pytest.mark.parametrize("name", LOSSES)
def test_functional_losses_take_the_prediction_first(name):
    first, second = list(inspect.signature(getattr(F, name)).parameters)[:2]
    assert (first, second) in {("input", "target"), ("y", "t")}


def test_the_two_mean_squared_errors_agree_with_their_arguments_swapped():
    rng = np.random.default_rng(0)
    y, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    functional = F.mean_squared_error(manabu.tensor(y), t).item()
    assert functional == pytest.approx(functions.mean_squared_error(t, y), rel=1e-12)
