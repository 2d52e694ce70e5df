"""PyTorch's ``dim=`` beside NumPy's ``axis=`` on the activations that have an axis:
softmax, log_softmax, glu (torch.nn.functional) and masked_softmax (torch.masked.softmax).

``dim=`` gives the same values as ``axis=`` and as PyTorch (values and gradients, see
oracle.check_op); both given with different values raise TypeError (see
manabu.functional.keywords). maxout and cross_entropy get no ``dim``: PyTorch has no maxout,
and its cross_entropy has no dim argument (the classes are always on axis 1).
"""

import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from oracle import check_op

# manabu's name: the torch function taking (x, dim)
TORCH = {
    "softmax": lambda x, dim: TF.softmax(x, dim=dim),
    "log_softmax": lambda x, dim: TF.log_softmax(x, dim=dim),
    "glu": lambda x, dim: TF.glu(x, dim=dim),
}
SHAPE = (2, 4, 6)  # every axis even, so that glu can halve it


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _mask(shape):
    """A boolean mask (True = keep) that drops a third of the entries but keeps some in every
    slice along every axis (consecutive indices never all have i + j + k = 0 mod 3):
    PyTorch gives NaN for a slice with nothing kept, manabu zeros."""
    return np.indices(shape).sum(axis=0) % 3 != 0


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", sorted(TORCH))
def test_dim_matches_torch(name, dim):
    check_op(lambda x: TORCH[name](x, dim), lambda x: getattr(F, name)(x, dim=dim),
             shapes=[SHAPE])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", sorted(TORCH) + ["masked_softmax"])
def test_dim_equals_axis(name, dim):
    x = manabu.tensor(_random(SHAPE))
    np.testing.assert_array_equal(getattr(F, name)(x, dim=dim).numpy(),
                                  getattr(F, name)(x, axis=dim).numpy())


@pytest.mark.parametrize("name", sorted(TORCH) + ["masked_softmax"])
def test_axis_and_dim_that_disagree_raise(name):
    x = manabu.tensor(_random(SHAPE))
    with pytest.raises(TypeError, match=rf"{name}: got axis=0 and dim=1; pass one of them"):
        getattr(F, name)(x, axis=0, dim=1)
    same = getattr(F, name)(x, axis=1, dim=1)  # both given, in agreement: accepted
    np.testing.assert_array_equal(same.numpy(), getattr(F, name)(x, axis=1).numpy())


@pytest.mark.parametrize("name", sorted(TORCH) + ["masked_softmax"])
def test_dim_is_keyword_only_and_defaults_to_none(name):
    parameter = inspect.signature(getattr(F, name)).parameters["dim"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is None


def test_default_axis_is_the_last_as_before():
    x = manabu.tensor(_random(SHAPE))
    for name in TORCH:
        np.testing.assert_array_equal(getattr(F, name)(x).numpy(),
                                      getattr(F, name)(x, dim=-1).numpy())


def test_softmax_dim_keeps_the_temperature():
    x = _random(SHAPE)
    y = F.softmax(manabu.tensor(x), temperature=2.0, dim=1)
    np.testing.assert_allclose(y.numpy(), TF.softmax(torch.tensor(x) / 2.0, dim=1).numpy(),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_masked_softmax_dim_matches_torch_masked_softmax(dim):
    mask = _mask(SHAPE)
    check_op(lambda x: torch.masked.softmax(x, dim, mask=torch.tensor(mask)),
             lambda x: F.masked_softmax(x, mask, dim=dim), shapes=[SHAPE], second_order=False)


def test_masked_softmax_dim_gives_zeros_where_masked_and_rows_that_sum_to_one():
    mask = _mask(SHAPE)
    y = F.masked_softmax(manabu.tensor(_random(SHAPE)), mask, dim=1).numpy()
    assert (y[~mask] == 0).all()
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)


def test_masked_softmax_dim_twice_differentiable():
    """create_graph=True through the masked softmax along a middle axis, against calculus:
    the Hessian-vector product of sum(w * softmax) equals central differences of its
    gradient."""
    mask = _mask(SHAPE)
    rng = np.random.default_rng(2)
    w, v, x0 = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE), _random(SHAPE)

    def gradient(x_array, create_graph=False):
        x = manabu.tensor(x_array, requires_grad=True)
        (g,) = manabu.grad((F.masked_softmax(x, mask, dim=1) * w).sum(), x,
                           create_graph=create_graph)
        return x, g

    x, g = gradient(x0, create_graph=True)
    (hv,) = manabu.grad((g * v).sum(), x)
    h = 1e-6
    expected = (gradient(x0 + h * v)[1].numpy() - gradient(x0 - h * v)[1].numpy()) / (2 * h)
    np.testing.assert_allclose(hv.numpy(), expected, rtol=1e-5, atol=1e-7)
