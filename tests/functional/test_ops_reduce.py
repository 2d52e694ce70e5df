"""Reductions against PyTorch and gradcheck (see oracle.check_op)."""

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from oracle import check_op

S = [(2, 3, 4)]


def _dims(axis, ndim=3):
    """torch's dim for a NumPy-style axis (None means all axes)."""
    return tuple(range(ndim)) if axis is None else axis


AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reduction_matches_torch(name, axis, keepdims):
    torch_name = {"max": "amax", "min": "amin"}.get(name, name)

    def torch_fn(x):
        return getattr(torch, torch_name)(x, dim=_dims(axis), keepdim=keepdims)

    def method(x):
        return getattr(x, name)(axis=axis, keepdims=keepdims)

    check_op(torch_fn, method, shapes=S)


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)], ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_match_torch_correction(name, axis, ddof):
    def torch_fn(x):
        return getattr(torch, name)(x, dim=_dims(axis), correction=ddof, keepdim=True)

    check_op(torch_fn, lambda x: getattr(F, name)(x, axis, True, ddof), shapes=S)
    check_op(lambda x: getattr(torch, name)(x, dim=_dims(axis), correction=ddof),
             lambda x: getattr(x, name)(axis=axis, ddof=ddof), shapes=S)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "var", "std"])
def test_function_forms_match_torch(name):
    torch_fn = {"max": lambda x: x.amax(1), "min": lambda x: x.amin(1),
                "logsumexp": lambda x: torch.logsumexp(x, 1),
                "var": lambda x: x.var(1, correction=0), "std": lambda x: x.std(1, correction=0),
                "sum": lambda x: x.sum(1), "mean": lambda x: x.mean(1)}[name]
    check_op(torch_fn, lambda x: getattr(F, name)(x, 1), shapes=[(3, 4)])


def test_full_reduction_of_0d_and_size1_axes():
    check_op(lambda x: x.sum(), lambda x: x.sum(axis=0), shapes=[()])
    check_op(lambda x: x.amax(dim=(0, 2)), lambda x: x.max(axis=(0, 2)), shapes=[(1, 3, 1)])
    check_op(lambda x: x.mean(dim=1), lambda x: x.mean(axis=1), shapes=[(4, 1)])


def test_full_reduction_keeps_float64_and_float32():
    for dtype in (np.float32, np.float64):
        x = manabu.Tensor(np.ones((2, 3), dtype=dtype))
        for y in (x.sum(), x.mean(), x.max(), x.min(), x.var(), x.std(), x.logsumexp()):
            assert y.dtype == dtype and y.shape == ()


def test_max_shares_the_gradient_between_ties_like_torch():
    values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check_op(lambda x: x.max(), lambda x: x.max(), arrays=[values], gradcheck_tol=None)
    check_op(lambda x: x.amax(1), lambda x: x.max(axis=1), arrays=[values], gradcheck_tol=None)
    x = manabu.Tensor(values, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_argmax_argmin_match_torch_and_carry_no_grad(name, axis):
    values = np.random.default_rng(0).standard_normal((3, 4))
    x = manabu.Tensor(values, requires_grad=True)
    result = getattr(x, name)(axis=axis)
    expected = getattr(torch.tensor(values), name)(dim=axis)
    np.testing.assert_array_equal(result.numpy(), expected.numpy())
    assert result.dtype.kind == "i" and not result.requires_grad
    kept = getattr(F, name)(x, axis=1, keepdims=True)
    assert kept.shape == (3, 1)


def test_logsumexp_is_stable_for_large_and_minus_infinite_inputs():
    big = np.array([[1000.0, 1000.0], [-np.inf, -np.inf]])
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for that row
        y = F.logsumexp(manabu.Tensor(big), axis=1)
    np.testing.assert_allclose(y.numpy(), [1000.0 + np.log(2.0), -np.inf])
    expected = torch.logsumexp(torch.tensor(big), 1).numpy()
    np.testing.assert_array_equal(y.numpy(), expected)


@pytest.mark.parametrize("call, message", [
    (lambda x: x.sum(axis=2), r"sum: axis 2 is out of range for a 2-D tensor"),
    (lambda x: x.mean(axis=-3), r"mean: axis -3 is out of range"),
    (lambda x: x.max(axis=(0, 0)), r"max: axis \(0, 0\) names an axis twice"),
    (lambda x: F.var(x, axis=5), r"var: axis 5 is out of range"),
    (lambda x: F.logsumexp(x, axis=2), r"logsumexp: axis 2 is out of range"),
    (lambda x: x[:0].max(), r"max: the tensor of shape \(0, 3\) is empty"),
])
def test_reduction_errors_name_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call(manabu.Tensor(np.ones((2, 3))))
