import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from manabu.functional import activation
from manabu.gradcheck import gradcheck
from oracle import check_op

# (name, torch function, manabu function)
ELEMENTWISE = [
    ("sigmoid", torch.sigmoid, F.sigmoid),
    ("sigmoid_T", lambda x: torch.sigmoid(x / 2.5), lambda x: F.sigmoid(x, temperature=2.5)),
    ("relu", torch.relu, F.relu),
    ("leaky_relu", lambda x: TF.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    ("elu", lambda x: TF.elu(x, 0.7), lambda x: F.elu(x, 0.7)),
    ("selu", TF.selu, F.selu),
    ("softplus", TF.softplus, F.softplus),
    ("softplus_threshold", lambda x: TF.softplus(x, beta=3, threshold=4),
     lambda x: F.softplus(x, beta=3, threshold=4)),
    ("gelu", TF.gelu, F.gelu),
    ("gelu_tanh", lambda x: TF.gelu(x, approximate="tanh"), lambda x: F.gelu(x, "tanh")),
    ("silu", TF.silu, F.silu),
    ("swish_beta", lambda x: x * torch.sigmoid(1.7 * x), lambda x: F.swish(x, beta=1.7)),
    ("mish", TF.mish, F.mish),
    ("hard_sigmoid", lambda x: TF.relu6(x + 3) / 6, F.hard_sigmoid),  # torch: no 2nd order
    ("hard_tanh", TF.hardtanh, F.hard_tanh),
    ("relu6", TF.relu6, F.relu6),
    ("abs_rectification", torch.abs, F.abs_rectification),
    ("rrelu_eval", lambda x: TF.rrelu(x, training=False), F.rrelu),
    ("identity", lambda x: x * 1, F.identity),
]
SHAPES = [(3, 4), (2, 3, 5), (1, 1), (7,)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, torch_fn, manabu_fn", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_activation_matches_torch(name, torch_fn, manabu_fn, shape):
    check_op(torch_fn, manabu_fn, shapes=[shape], low=-7.0, high=7.0)


@pytest.mark.parametrize("name, torch_fn, manabu_fn", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_activation_keeps_float32(name, torch_fn, manabu_fn):
    x = manabu.tensor(np.linspace(-3, 3, 12, dtype=np.float32), requires_grad=True)
    y = manabu_fn(x)
    y.sum().backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32


def test_step_is_heaviside_with_zero_gradient():
    x = manabu.tensor(np.array([-2.0, -0.0, 0.0, 0.5, 3.0]), requires_grad=True)
    y = F.step(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(5))


@pytest.mark.parametrize("shape, axis", [((3, 4), -1), ((2, 3, 4), 1), ((5,), 0), ((1, 1), 0),
                                         ((4, 1, 3), 0)])
@pytest.mark.parametrize("temperature", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_and_log_softmax_match_torch(shape, axis, temperature, log):
    torch_fn = torch.log_softmax if log else torch.softmax
    manabu_fn = F.log_softmax if log else F.softmax
    check_op(lambda x: torch_fn(x / temperature, dim=axis),
             lambda x: manabu_fn(x, axis=axis, temperature=temperature), shapes=[shape],
             low=-5.0, high=5.0)


def test_tensor_methods_use_these_activations():
    x = manabu.tensor(np.array([[1.0, -2.0, 3.0]]))
    np.testing.assert_allclose(x.softmax(0).numpy(), np.ones((1, 3)))
    np.testing.assert_allclose(x.log_softmax(-1).numpy(), F.log_softmax(x, axis=-1).numpy())
    np.testing.assert_allclose(x.relu().numpy(), [[1.0, 0.0, 3.0]])
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp(-x.numpy())))


def _no_float_warnings():
    """Overflow, 0/0 and log(0) become errors; harmless underflow to 0 stays allowed."""
    return np.errstate(over="raise", divide="raise", invalid="raise")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_large_inputs(dtype):
    data = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4 + 1], [3.0, 1e4, 1e4]], dtype=dtype)
    t = torch.tensor(data.astype(np.float64))
    fns = [(F.sigmoid, torch.sigmoid), (lambda x: F.softmax(x, axis=1), lambda x: x.softmax(1)),
           (lambda x: F.log_softmax(x, axis=1), lambda x: x.log_softmax(1)),
           (F.softplus, TF.softplus), (F.silu, TF.silu), (F.gelu, TF.gelu), (F.elu, TF.elu),
           (lambda x: F.sigmoid(x, temperature=0.1), lambda x: torch.sigmoid(x / 0.1))]
    with warnings.catch_warnings(), _no_float_warnings():
        warnings.simplefilter("error")
        for manabu_fn, torch_fn in fns:
            x = manabu.tensor(data, requires_grad=True)
            y = manabu_fn(x)
            y.sum().backward()
            assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
            expected = torch_fn(t).numpy()
            np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_log_softmax_of_an_extreme_row_is_exact():
    y = F.log_softmax(manabu.tensor(np.array([1e4, 0.0, -1e4])), axis=0)
    np.testing.assert_allclose(y.numpy(), [0.0, -1e4, -2e4])


@pytest.mark.parametrize("x_shape, w_shape", [((2, 3, 4), (3,)), ((2, 3), (1,)), ((4, 5), (5,)),
                                              ((1, 2, 2, 2), (2,))])
def test_prelu_matches_torch(x_shape, w_shape):
    check_op(torch.prelu, F.prelu, shapes=[x_shape, w_shape], low=-2.0, high=2.0)


def test_prelu_rejects_a_weight_of_the_wrong_size():
    x = manabu.tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(4,\) does not fit input "
                                         r"\(2, 3, 4\).*\(3,\)"):
        F.prelu(x, manabu.tensor(np.ones(4)))


def test_rrelu_training_draws_slopes_and_backward_reuses_them():
    x = manabu.tensor(np.random.default_rng(1).uniform(-2, 2, size=(50, 40)), requires_grad=True)
    y = F.rrelu(x, lower=0.1, upper=0.3, training=True, generator=np.random.default_rng(0))
    y.sum().backward()
    xs, ys = x.numpy(), y.numpy()
    slopes = ys[xs < 0] / xs[xs < 0]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.04  # one random slope per element, not a shared one
    np.testing.assert_array_equal(ys[xs > 0], xs[xs > 0])
    np.testing.assert_allclose(x.grad.numpy()[xs < 0], slopes)
    np.testing.assert_array_equal(x.grad.numpy()[xs > 0], 1.0)


def test_rrelu_train_gradcheck_and_eval_slope():
    x = manabu.Tensor(np.random.default_rng(2).uniform(-2, 2, size=(3, 4)), requires_grad=True)
    gradcheck(lambda x: F.rrelu(x, training=True, generator=np.random.default_rng(5)), x)
    y_eval = F.rrelu(manabu.tensor(np.array([-3.0, 2.0])), lower=0.1, upper=0.3)
    np.testing.assert_allclose(y_eval.numpy(), [-0.6, 2.0])


def test_rrelu_follows_manual_seed():
    x = manabu.tensor(-np.ones(10))
    manabu.manual_seed(7)
    a = F.rrelu(x, training=True).numpy()
    manabu.manual_seed(7)
    b = F.rrelu(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 10


@pytest.mark.parametrize("shape, axis", [((3, 4), -1), ((2, 6, 3), 1), ((2, 2), 0)])
def test_glu_matches_torch(shape, axis):
    check_op(lambda x: TF.glu(x, dim=axis), lambda x: F.glu(x, axis=axis), shapes=[shape])


@pytest.mark.parametrize("shape, pool, axis", [((4, 6), 3, 1), ((2, 6, 3, 3), 2, 1),
                                               ((5, 4), 4, -1), ((1, 2), 1, 1)])
def test_maxout_matches_torch(shape, pool, axis):
    axis_ = axis % len(shape)
    grouped = shape[:axis_] + (shape[axis_] // pool, pool) + shape[axis_ + 1:]
    check_op(lambda x: x.reshape(grouped).amax(dim=axis_ + 1),
             lambda x: F.maxout(x, pool, axis=axis), shapes=[shape])


@pytest.mark.parametrize("call, message", [
    (lambda x: F.glu(x, axis=1), r"glu: axis 1 of input \(2, 5\) has odd size 5"),
    (lambda x: F.maxout(x, 2, axis=1), r"maxout: axis 1 of input \(2, 5\) has 5 units"),
    (lambda x: F.softmax(x, temperature=0), "softmax: temperature must be > 0"),
    (lambda x: F.gelu(x, approximate="fast"), "gelu: approximate must be 'none' or 'tanh'"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(manabu.tensor(np.zeros((2, 5))))


DOUBLE = [
    ("sigmoid", torch.sigmoid, F.sigmoid),
    ("sigmoid_T", lambda x: torch.sigmoid(x / 0.7), lambda x: F.sigmoid(x, temperature=0.7)),
    ("tanh", torch.tanh, F.tanh),
    ("relu", torch.relu, F.relu),
    ("leaky_relu", lambda x: TF.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1)),
    ("elu", TF.elu, F.elu),
    ("selu", TF.selu, F.selu),
    ("softplus", lambda x: TF.softplus(x, beta=2), lambda x: F.softplus(x, beta=2)),
    ("gelu", TF.gelu, F.gelu),
    ("gelu_tanh", lambda x: TF.gelu(x, approximate="tanh"), lambda x: F.gelu(x, "tanh")),
    ("silu", TF.silu, F.silu),
    ("mish", TF.mish, F.mish),
    ("softmax", lambda x: x.softmax(1), lambda x: F.softmax(x, 1)),
    ("log_softmax_T", lambda x: (x / 2).log_softmax(0), lambda x: F.log_softmax(x, 0, 2.0)),
    ("glu", TF.glu, F.glu),
]


@pytest.mark.parametrize("name, torch_fn, manabu_fn", DOUBLE, ids=[d[0] for d in DOUBLE])
def test_double_backward_matches_torch(name, torch_fn, manabu_fn):
    rng = np.random.default_rng(3)
    x0, w0 = rng.uniform(-3, 3, size=(3, 4)), rng.uniform(-3, 3, size=(3, 4))
    x = manabu.tensor(x0, requires_grad=True)
    y = manabu_fn(x)
    v0 = rng.uniform(-3, 3, size=y.shape)
    v = manabu.tensor(v0, requires_grad=True)
    (gx,) = manabu.grad(y, x, grad_outputs=v, create_graph=True)
    (gx * manabu.tensor(w0)).sum().backward()
    tx = torch.tensor(x0, requires_grad=True)
    tv = torch.tensor(v0, requires_grad=True)
    (tgx,) = torch.autograd.grad(torch_fn(tx), tx, grad_outputs=tv, create_graph=True)
    (tgx * torch.tensor(w0)).sum().backward()
    np.testing.assert_allclose(gx.numpy(), tgx.detach().numpy(), rtol=1e-7, atol=1e-10)
    # piecewise-linear ops (relu) have a zero second derivative: no graph reaches x
    x_grad = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
    np.testing.assert_allclose(x_grad, tx.grad.numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("op", [activation.ReLU, activation.Softmax, activation.LeakyReLU])
def test_backward_does_not_write_into_gy(op):
    x = manabu.tensor(np.array([[-1.0, 2.0, 0.5]]), requires_grad=True)
    params = {"ReLU": {}, "Softmax": {"axis": -1, "temperature": 1.0}, "LeakyReLU": {"slope": 0.1}}
    y = op.apply(x, **params[op.__name__])
    gy = np.array([[1.0, -2.0, 3.0]])
    first = y.creator.backward(gy, xp=y.creator.xp)
    second = y.creator.backward(gy, xp=y.creator.xp)
    np.testing.assert_array_equal(gy, [[1.0, -2.0, 3.0]])
    np.testing.assert_array_equal(first, second)


def test_hard_sigmoid_is_pytorchs_hardsigmoid():
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(F.hard_sigmoid(manabu.tensor(x)).numpy(),
                               TF.hardsigmoid(torch.tensor(x)).numpy())
