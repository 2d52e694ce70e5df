"""Elementwise math against PyTorch and gradcheck (see oracle.check_op)."""

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from oracle import check_op

POSITIVE = (0.5, 3.0)
COND = np.array([[True, False, True], [False, False, True]])

# (id, torch_fn, manabu_fn, shapes, ranges)
CASES = [
    ("exp", torch.exp, F.exp, [(3, 4)], None),
    ("exp_method", lambda x: x.exp(), lambda x: x.exp(), [(2, 1, 3)], None),
    ("log", torch.log, F.log, [(3, 4)], [POSITIVE]),
    ("log_method", lambda x: x.log(), lambda x: x.log(), [(5,)], [POSITIVE]),
    ("sqrt", torch.sqrt, F.sqrt, [(3, 4)], [POSITIVE]),
    ("sqrt_method", lambda x: x.sqrt(), lambda x: x.sqrt(), [(2, 2)], [POSITIVE]),
    ("abs", torch.abs, F.abs, [(3, 4)], None),
    ("abs_builtin", lambda x: abs(x), lambda x: abs(x), [(4,)], None),
    ("abs_method", lambda x: x.abs(), lambda x: x.abs(), [(4,)], None),
    ("sin", torch.sin, F.sin, [(3, 4)], None),
    ("cos", torch.cos, F.cos, [(3, 4)], None),
    ("sin_cos_methods", lambda x: x.sin() * x.cos(), lambda x: x.sin() * x.cos(), [(3,)], None),
    ("tanh", torch.tanh, F.tanh, [(3, 4)], None),
    ("tanh_method", lambda x: x.tanh(), lambda x: x.tanh(), [(2, 3)], None),
    ("erf", torch.erf, F.erf, [(3, 4)], None),
    ("clip_both", lambda x: x.clamp(-0.5, 0.7), lambda x: F.clip(x, -0.5, 0.7), [(4, 5)], None),
    ("clip_min", lambda x: x.clamp(min=0.1), lambda x: x.clip(min=0.1), [(4, 5)], None),
    ("clip_max", lambda x: x.clamp(max=0.1), lambda x: x.clamp(max=0.1), [(4, 5)], None),
    ("clamp_function", lambda x: x.clamp(-1, 1), lambda x: F.clamp(x, -1, 1), [(6,)], None),
    ("where", lambda a, b: torch.where(torch.tensor(COND), a, b),
     lambda a, b: F.where(COND, a, b), [(2, 3), (2, 3)], None),
    ("where_broadcast", lambda a, b: torch.where(torch.tensor(COND), a, b),
     lambda a, b: F.where(manabu.Tensor(COND), a, b), [(3,), (2, 1)], None),
    ("where_scalar", lambda a: torch.where(torch.tensor(COND), a, 0.0),
     lambda a: F.where(COND, a, 0.0), [(2, 3)], None),
    ("where_from_comparison", lambda a: torch.where(a > 0, a, -a),
     lambda a: F.where(a > 0, a, -a), [(2, 3)], None),
    ("maximum", torch.maximum, F.maximum, [(3, 4), (3, 4)], None),
    ("maximum_broadcast", torch.maximum, lambda a, b: a.maximum(b), [(3, 1), (4,)], None),
    ("minimum", torch.minimum, F.minimum, [(3, 4), (4,)], None),
    ("maximum_0d", torch.maximum, F.maximum, [(), (3,)], None),
    ("exp_0d", torch.exp, F.exp, [()], None),
    ("tanh_of_0d_product", lambda a, b: torch.tanh(a * b), lambda a, b: F.tanh(a * b),
     [(), ()], None),
    ("minimum_method", torch.minimum, lambda a, b: a.minimum(b), [(2, 3), (2, 1)], None),
    ("composition", lambda x: torch.tanh(torch.exp(-x * x) + torch.sin(x)) * torch.erf(x),
     lambda x: F.tanh(F.exp(-x * x) + F.sin(x)) * F.erf(x), [(3, 2)], None),
]


@pytest.mark.parametrize("torch_fn, manabu_fn, shapes, ranges",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch_and_gradcheck(torch_fn, manabu_fn, shapes, ranges):
    check_op(torch_fn, manabu_fn, shapes=shapes, ranges=ranges)


def test_maximum_and_minimum_split_ties_like_torch():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 3.0])
    check_op(torch.maximum, F.maximum, arrays=[a, b], gradcheck_tol=None)
    check_op(torch.minimum, F.minimum, arrays=[a, b], gradcheck_tol=None)
    x = manabu.Tensor(a, requires_grad=True)
    F.maximum(x, x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_maximum_propagates_nan_like_torch():
    y = F.maximum(manabu.Tensor(np.array([np.nan, 1.0])), manabu.Tensor(np.array([0.0, np.nan])))
    assert np.isnan(y.numpy()).all()


def test_clip_passes_the_gradient_at_the_bounds_like_torch():
    check_op(lambda x: x.clamp(-1.0, 1.0), lambda x: x.clip(-1.0, 1.0),
             arrays=[np.array([-2.0, -1.0, 0.0, 1.0, 2.0])], gradcheck_tol=None)


def test_clip_accepts_tensor_bounds():
    x = manabu.Tensor(np.array([-2.0, 0.5, 2.0]))
    y = x.clamp(manabu.Tensor(np.array(-1.0)), manabu.Tensor(np.array(1.0)))
    np.testing.assert_array_equal(y.numpy(), [-1.0, 0.5, 1.0])


def test_abs_has_zero_gradient_at_zero_like_torch():
    check_op(torch.abs, F.abs, arrays=[np.array([-1.0, 0.0, 2.0])], gradcheck_tol=None)


def test_sign_is_not_differentiable():
    x = manabu.Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    s = F.sign(x)
    np.testing.assert_array_equal(s.numpy(), [-1.0, 0.0, 1.0])
    assert not s.requires_grad


def test_where_error_names_the_shapes():
    with pytest.raises(ValueError, match=r"where: condition \(2, 3\), a \(4,\) and b"):
        F.where(COND, manabu.Tensor(np.ones(4)), 0.0)
