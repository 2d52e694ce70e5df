"""PyTorch's ``dim=`` / ``keepdim=`` beside NumPy's ``axis=`` / ``keepdims=``.

For each op and Tensor method: the PyTorch keywords give the same values as NumPy's and as
PyTorch (values and gradients, see oracle.check_op), and an axis given both ways with two
different values raises TypeError (see manabu.functional.keywords).
"""

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from oracle import check_op

S = [(2, 3, 4)]

# manabu's reduction: the torch function giving the same values (max and min: the values
# only, as amax / amin; var and std: manabu's default ddof=0)
REDUCTIONS = {
    "sum": torch.sum,
    "mean": torch.mean,
    "max": torch.amax,
    "min": torch.amin,
    "logsumexp": torch.logsumexp,
    "var": lambda x, dim, keepdim: torch.var(x, dim=dim, correction=0, keepdim=keepdim),
    "std": lambda x, dim, keepdim: torch.std(x, dim=dim, correction=0, keepdim=keepdim),
}


def _random(shape):
    return np.random.default_rng(0).standard_normal(shape)


def _as_tuple(y):
    return y if isinstance(y, tuple) else (y,)


def _same(a, b):
    """The same tensor (or tuple of tensors), value for value."""
    a, b = _as_tuple(a), _as_tuple(b)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.shape == v.shape
        np.testing.assert_array_equal(u.numpy(), v.numpy())


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [1, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_dim_keepdim_match_torch(name, dim, keepdim):
    torch_fn = REDUCTIONS[name]
    check_op(lambda x: torch_fn(x, dim=dim, keepdim=keepdim),
             lambda x: getattr(F, name)(x, dim=dim, keepdim=keepdim), shapes=S)
    check_op(lambda x: torch_fn(x, dim=dim, keepdim=keepdim),
             lambda x: getattr(x, name)(dim=dim, keepdim=keepdim), shapes=S)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", sorted(REDUCTIONS) + ["argmax", "argmin"])
def test_reduction_dim_keepdim_equal_axis_keepdims(name, keepdim):
    x = manabu.tensor(_random((2, 3, 4)))
    numpy_form = getattr(F, name)(x, axis=1, keepdims=keepdim)
    _same(getattr(F, name)(x, dim=1, keepdim=keepdim), numpy_form)
    _same(getattr(x, name)(dim=1, keepdim=keepdim), numpy_form)
    _same(getattr(x, name)(1, dim=1), getattr(x, name)(axis=1))  # both, agreeing
    _same(getattr(x, name)(keepdim=keepdim), getattr(x, name)(keepdims=keepdim))  # all axes


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, -1], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_dim_keepdim_match_torch(name, dim, keepdim):
    values = _random((3, 4))
    expected = getattr(torch, name)(torch.tensor(values), dim=dim, keepdim=keepdim)
    x = manabu.tensor(values)
    for y in (getattr(F, name)(x, dim=dim, keepdim=keepdim),
              getattr(x, name)(dim=dim, keepdim=keepdim)):
        assert y.shape == tuple(expected.shape)
        np.testing.assert_array_equal(y.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_give_the_values_and_argmax_argmin_the_indices(name):
    """torch.max(x, dim) returns (values, indices); manabu's max returns the values."""
    values = _random((3, 4))
    expected = getattr(torch, name)(torch.tensor(values), dim=1)
    x = manabu.tensor(values)
    np.testing.assert_array_equal(getattr(x, name)(dim=1).numpy(), expected.values.numpy())
    np.testing.assert_array_equal(getattr(x, "arg" + name)(dim=1).numpy(),
                                  expected.indices.numpy())


def test_var_std_keep_ddof_0_with_dim():
    x = manabu.tensor(_random((3, 4)))
    _same(x.var(dim=1), x.var(axis=1, ddof=0))
    _same(F.std(x, dim=1, ddof=1), F.std(x, 1, False, 1))


# (id, torch_fn, manabu_fn with PyTorch keywords, the same with NumPy's, shapes)
SHAPE_OPS = [
    ("cat", lambda a, b: torch.cat([a, b], dim=1), lambda a, b: F.cat([a, b], dim=1),
     lambda a, b: F.cat([a, b], axis=1), [(2, 1), (2, 3)]),
    ("concatenate", lambda a, b: torch.cat([a, b], dim=-1),
     lambda a, b: F.concatenate([a, b], dim=-1), lambda a, b: F.concatenate([a, b], -1),
     [(2, 2, 1), (2, 2, 3)]),
    ("stack", lambda a, b: torch.stack([a, b], dim=1), lambda a, b: F.stack([a, b], dim=1),
     lambda a, b: F.stack([a, b], axis=1), [(2, 3), (2, 3)]),
    ("stack_last", lambda a, b: torch.stack([a, b], dim=-1),
     lambda a, b: F.stack((a, b), dim=-1), lambda a, b: F.stack((a, b), -1), [(3,), (3,)]),
    ("squeeze", lambda x: torch.squeeze(x, dim=2), lambda x: F.squeeze(x, dim=2),
     lambda x: F.squeeze(x, axis=2), [(2, 3, 1)]),
    ("squeeze_method_tuple", lambda x: x.squeeze(dim=(0, 2)), lambda x: x.squeeze(dim=(0, 2)),
     lambda x: x.squeeze(axis=(0, 2)), [(1, 3, 1, 2)]),
    ("unsqueeze", lambda x: torch.unsqueeze(x, dim=-1), lambda x: F.unsqueeze(x, dim=-1),
     lambda x: F.unsqueeze(x, -1), [(3, 2)]),
    ("unsqueeze_method", lambda x: x.unsqueeze(dim=1), lambda x: x.unsqueeze(dim=1),
     lambda x: x.unsqueeze(1), [(3, 2)]),
    # np.split's meaning, which is torch.tensor_split's (not torch.split's)
    ("split_sections", lambda x: torch.tensor_split(x, 2, dim=1), lambda x: F.split(x, 2, dim=1),
     lambda x: F.split(x, 2, axis=1), [(2, 4, 3)]),
    ("split_indices", lambda x: torch.tensor_split(x, [1, 3], dim=-1),
     lambda x: F.split(x, [1, 3], dim=-1), lambda x: F.split(x, [1, 3], axis=-1), [(2, 4)]),
    ("transpose_method", lambda x: x.transpose(dim0=0, dim1=2),
     lambda x: x.transpose(dim0=0, dim1=2), lambda x: x.transpose(0, 2), [(2, 3, 4)]),
    ("transpose_as_swapaxes", lambda x: torch.transpose(x, 0, 2), lambda x: F.swapaxes(x, 0, 2),
     lambda x: F.transpose(x, (2, 1, 0)), [(2, 3, 4)]),
    ("softmax_method", lambda x: x.softmax(dim=1), lambda x: x.softmax(dim=1),
     lambda x: x.softmax(axis=1), [(2, 3, 4)]),
    ("log_softmax_method", lambda x: x.log_softmax(dim=0), lambda x: x.log_softmax(dim=0),
     lambda x: x.log_softmax(0), [(3, 4)]),
]


@pytest.mark.parametrize("torch_fn, torch_form, numpy_form, shapes",
                         [case[1:] for case in SHAPE_OPS], ids=[case[0] for case in SHAPE_OPS])
def test_shape_ops_dim_match_torch_and_axis(torch_fn, torch_form, numpy_form, shapes):
    check_op(torch_fn, torch_form, shapes=shapes)
    inputs = [manabu.tensor(_random(s)) for s in shapes]
    _same(torch_form(*inputs), numpy_form(*inputs))


def test_unsqueeze_needs_an_axis():
    with pytest.raises(TypeError, match="unsqueeze: missing the axis"):
        F.unsqueeze(manabu.tensor(_random((2, 3))))


x3 = manabu.tensor(_random((2, 3, 4)))
# (id, a call giving axis and dim two different values)
DISAGREEING = [(name, lambda f=getattr(F, name): f(x3, 0, dim=1)) for name in REDUCTIONS] + [
    (name + "_method", lambda name=name: getattr(x3, name)(axis=0, dim=1))
    for name in list(REDUCTIONS) + ["argmax", "argmin"]
] + [
    ("argmax", lambda: F.argmax(x3, axis=2, dim=1)),
    ("argmin", lambda: F.argmin(x3, axis=2, dim=1)),
    ("cat", lambda: F.cat([x3, x3], 1, dim=2)),
    ("concatenate", lambda: F.concatenate([x3, x3], axis=1, dim=0)),
    ("stack", lambda: F.stack([x3, x3], 2, dim=1)),
    ("squeeze", lambda: F.squeeze(x3[:1], 0, dim=1)),
    ("squeeze_method", lambda: x3[:1].squeeze(0, dim=-1)),
    ("unsqueeze", lambda: F.unsqueeze(x3, 0, dim=1)),
    ("unsqueeze_method", lambda: x3.unsqueeze(axis=0, dim=1)),
    ("split", lambda: F.split(x3, 2, 1, dim=2)),
    ("softmax_method", lambda: x3.softmax(0, dim=1)),
    ("log_softmax_method", lambda: x3.log_softmax(axis=1, dim=2)),
]


@pytest.mark.parametrize("call", [case[1] for case in DISAGREEING],
                         ids=[case[0] for case in DISAGREEING])
def test_axis_and_dim_disagreeing_raise_type_error(call):
    with pytest.raises(TypeError, match=r"got axis=.* and dim=.*; pass one of them"):
        call()
