"""Gradients at the kinks of piecewise ops follow PyTorch (issue 10, item 5).

At a kink the derivative is undefined and each library picks a side; manabu picks
PyTorch's. The random points of test_activation.py almost never land on a kink, so here
the inputs hold each kink exactly, the floats right beside it, and random points, and
values and gradients must equal PyTorch's to 1e-12 in float64. (Central differences
cannot check a kink; gradcheck runs just beside each one instead.)
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from manabu.gradcheck import gradcheck
from oracle import check_op

TIGHT = {"atol": 1e-12, "rtol": 1e-12}


def _hardsigmoid_exact(x):
    # PyTorch's own rule (zero gradient at -3 and 3, tested on x itself), but with an exact
    # 1/6: TF.hardsigmoid's float64 kernel multiplies by the float32 constant 1.0f / 6
    return (TF.hardtanh(x, -3.0, 3.0) + 3) / 6


# (id, torch function, manabu function, kinks)
PIECEWISE = [
    ("relu", torch.relu, F.relu, [0.0]),
    ("leaky_relu", lambda x: TF.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2), [0.0]),
    ("rrelu_eval", lambda x: TF.rrelu(x, training=False), F.rrelu, [0.0]),
    ("elu", lambda x: TF.elu(x, 0.7), lambda x: F.elu(x, 0.7), [0.0]),
    ("selu", TF.selu, F.selu, [0.0]),
    ("softplus_threshold", TF.softplus, F.softplus, [20.0]),  # linear where beta x > 20
    ("softplus_beta_threshold", lambda x: TF.softplus(x, beta=2, threshold=4),
     lambda x: F.softplus(x, beta=2, threshold=4), [2.0]),
    ("relu6", TF.relu6, F.relu6, [0.0, 6.0]),
    ("hard_tanh", TF.hardtanh, F.hard_tanh, [-1.0, 1.0]),
    ("hard_tanh_bounds", lambda x: TF.hardtanh(x, -0.5, 2.0),
     lambda x: F.hard_tanh(x, -0.5, 2.0), [-0.5, 2.0]),
    ("hard_sigmoid", _hardsigmoid_exact, F.hard_sigmoid, [-3.0, 3.0]),
    ("abs", torch.abs, F.abs, [0.0]),
    ("abs_rectification", torch.abs, F.abs_rectification, [0.0]),
    # clamp keeps its closed interval: the gradient passes at the bounds
    ("clip", lambda x: x.clamp(-0.5, 2.0), lambda x: F.clip(x, -0.5, 2.0), [-0.5, 2.0]),
    ("clip_min", lambda x: x.clamp(min=0.0), lambda x: F.clip(x, min=0.0), [0.0]),
    ("clamp_max", lambda x: x.clamp(max=6.0), lambda x: F.clamp(x, max=6.0), [6.0]),
]
IDS = [p[0] for p in PIECEWISE]
# At the kink itself PyTorch's double backward takes the other side from its backward
# (elu: first derivative alpha at 0, second 0 not alpha; softplus: sigmoid's slope at
# beta x == threshold, second derivative 0; prelu likewise, below). manabu's second
# derivative stays consistent with its first; away from the kink both agree (see
# test_activation.py).
SECOND_ORDER_TAKES_OTHER_SIDE = {"elu", "selu", "softplus_threshold", "softplus_beta_threshold"}


def _at_and_beside(kinks):
    """Each kink, -0.0 for a kink at 0, and the nearest float on either side."""
    points = []
    for k in kinks:
        points += [k, np.nextafter(k, -np.inf), np.nextafter(k, np.inf)]
        if k == 0:
            points.append(-0.0)
    return np.array(points)


def _kinks_and_random(kinks, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([_at_and_beside(kinks), rng.uniform(-7, 7, size=12)])


@pytest.mark.parametrize("name, torch_fn, manabu_fn, kinks", PIECEWISE, ids=IDS)
def test_values_and_gradients_at_the_kinks_match_torch(name, torch_fn, manabu_fn, kinks):
    check_op(torch_fn, manabu_fn, arrays=[_kinks_and_random(kinks)], gradcheck_tol=None,
             second_order=False if name in SECOND_ORDER_TAKES_OTHER_SIDE else None, **TIGHT)


@pytest.mark.parametrize("name, torch_fn, manabu_fn, kinks", PIECEWISE, ids=IDS)
def test_gradcheck_just_beside_the_kinks(name, torch_fn, manabu_fn, kinks):
    beside = np.array([[k - 1e-3, k + 1e-3] for k in kinks])  # 1000 eps from the kink
    gradcheck(manabu_fn, manabu.Tensor(beside, requires_grad=True))


@pytest.mark.parametrize("fn, kinks, slope", [(F.relu6, [0.0, 6.0], 1.0),
                                              (F.hard_tanh, [-1.0, 1.0], 1.0),
                                              (F.hard_sigmoid, [-3.0, 3.0], 1 / 6)])
def test_clipping_activations_stop_the_gradient_at_their_bounds(fn, kinks, slope):
    # the bug of issue 10: through clip, these passed the gradient at their bounds
    x = manabu.Tensor(np.array(kinks + [np.mean(kinks)]), requires_grad=True)
    fn(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, slope])


def test_hard_sigmoid_matches_torchs_hardsigmoid_itself():
    # forward bit for bit; the gradient up to the float32 1/6 of PyTorch's kernel (and
    # PyTorch has no double backward for hardsigmoid)
    x = _kinks_and_random([-3.0, 3.0])
    check_op(TF.hardsigmoid, F.hard_sigmoid, arrays=[x], atol=0, rtol=1e-7,
             second_order=False, gradcheck_tol=None)
    y = F.hard_sigmoid(manabu.Tensor(x)).numpy()
    np.testing.assert_array_equal(y, TF.hardsigmoid(torch.tensor(x)).numpy())


@pytest.mark.parametrize("x_shape, w_shape", [((2, 3, 5), (3,)), ((3, 5), (1,))])
def test_prelu_at_zero_matches_torch(x_shape, w_shape):
    x = np.random.default_rng(1).uniform(-2, 2, size=x_shape)
    x.flat[::2] = 0.0  # both the input's and the slope's gradient at the kink
    x.flat[1::4] = -0.0
    w = np.array([0.3, -0.2, 0.7][:w_shape[0]])
    # second order off: at x = 0 PyTorch's d(gw)/dx is 0 though its gw uses x there
    check_op(torch.prelu, F.prelu, arrays=[x, w], gradcheck_tol=None, second_order=False,
             **TIGHT)


def test_rrelu_training_uses_the_random_slope_at_zero_like_torch():
    # PyTorch: the drawn slope applies where x <= 0, so at 0 the gradient is that slope
    x = manabu.Tensor(np.array([0.0, -0.0, -1.0, 1.0]), requires_grad=True)
    y = F.rrelu(x, lower=0.1, upper=0.3, training=True, generator=np.random.default_rng(0))
    y.sum().backward()
    g = x.grad.numpy()
    assert ((g[:3] >= 0.1) & (g[:3] <= 0.3)).all() and g[3] == 1.0
    np.testing.assert_array_equal(y.numpy()[:2], [0.0, 0.0])


@pytest.mark.parametrize("pool", [2, 3])
def test_maxout_splits_ties_like_torch(pool):
    x = np.array([[1.0, 1.0, 0.0, 2.0, 2.0, 2.0], [-1.0, 0.0, 0.0, 3.0, 1.0, 3.0]])
    grouped = (2, 6 // pool, pool)
    check_op(lambda t: t.reshape(grouped).amax(dim=2), lambda t: F.maxout(t, pool),
             arrays=[x], gradcheck_tol=None, **TIGHT)


def test_maximum_and_minimum_ties_with_kinks_like_torch():
    a = np.array([0.0, -0.0, 1.0, 2.0, -3.0])
    b = np.array([0.0, 0.0, 1.0, -2.0, 3.0])
    check_op(torch.maximum, F.maximum, arrays=[a, b], gradcheck_tol=None, **TIGHT)
    check_op(torch.minimum, F.minimum, arrays=[a, b], gradcheck_tol=None, **TIGHT)
