"""Max, average, adaptive and global average pooling against PyTorch and gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from oracle import check_op, compare_with_torch

MAX_POOL2D = [
    ((2, 2, 6, 6), dict(kernel_size=2)),
    ((2, 2, 5, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 3, 5, 7), dict(kernel_size=(2, 3), stride=(1, 2))),  # batch 1, odd, non-square
    ((2, 2, 7, 7), dict(kernel_size=2, dilation=2, padding=1)),
    ((2, 2, 5, 5), dict(kernel_size=2, ceil_mode=True)),  # partial last window
    ((2, 2, 6, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 5, 4), dict(kernel_size=2, padding=1, ceil_mode=True)),  # no window in padding
]


@pytest.mark.parametrize("x_shape, kwargs", MAX_POOL2D)
def test_max_pool2d_matches_torch(x_shape, kwargs):
    check_op(lambda x: TF.max_pool2d(x, **kwargs), lambda x: F.max_pool2d(x, **kwargs),
             shapes=[x_shape])


def test_max_pool1d_and_3d_match_torch():
    kwargs = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    check_op(lambda x: TF.max_pool1d(x, **kwargs), lambda x: F.max_pool1d(x, **kwargs),
             shapes=[(2, 3, 8)])
    check_op(lambda x: TF.max_pool3d(x, 2, padding=(0, 1, 0)),
             lambda x: F.max_pool3d(x, 2, padding=(0, 1, 0)), shapes=[(1, 2, 4, 3, 5)])


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=1)])
def test_max_pool_ties_route_the_gradient_to_the_first_maximum_like_torch(kwargs):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(np.float64)  # many ties
    compare_with_torch(lambda t: TF.max_pool2d(t, **kwargs),
                       lambda t: F.max_pool2d(t, **kwargs), [x])


def test_max_pool_2x2_equals_the_reshape_formula_in_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 4, 14, 14)).astype(np.float32)
    y = F.max_pool2d(manabu.Tensor(x), 2)
    expected = x.reshape(8, 4, 7, 2, 7, 2).max(axis=(3, 5))  # (N, C, OH, 2, OW, 2)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), expected)


def test_max_pool_gradient_lands_on_the_maximum_only():
    x = manabu.Tensor(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_max_pool_without_grad_gives_the_same_values():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 7))
    with manabu.no_grad():
        y = F.max_pool2d(manabu.Tensor(x, requires_grad=True), 3, stride=2, padding=1)
    expected = TF.max_pool2d(torch.tensor(x), 3, stride=2, padding=1).numpy()
    np.testing.assert_array_equal(y.numpy(), expected)
    assert y.creator is None


AVG_POOL2D = [
    ((2, 2, 6, 6), dict(kernel_size=2)),
    ((2, 2, 5, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 2, 5, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 3, 5, 7), dict(kernel_size=(2, 3), stride=(1, 2))),
    ((2, 2, 5, 6), dict(kernel_size=2, ceil_mode=True)),
    ((2, 2, 6, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((2, 2, 6, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 5, 5), dict(kernel_size=2, stride=1, divisor_override=3)),
    ((2, 2, 5, 4), dict(kernel_size=2, padding=1, ceil_mode=True)),  # no window in padding
]


@pytest.mark.parametrize("x_shape, kwargs", AVG_POOL2D)
def test_avg_pool2d_matches_torch(x_shape, kwargs):
    check_op(lambda x: TF.avg_pool2d(x, **kwargs), lambda x: F.avg_pool2d(x, **kwargs),
             shapes=[x_shape])


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool1d_and_3d_match_torch(count_include_pad):
    kwargs = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                  count_include_pad=count_include_pad)
    check_op(lambda x: TF.avg_pool1d(x, **kwargs), lambda x: F.avg_pool1d(x, **kwargs),
             shapes=[(2, 3, 8)])
    kwargs = dict(kernel_size=(2, 2, 3), padding=(1, 0, 1), count_include_pad=count_include_pad)
    check_op(lambda x: TF.avg_pool3d(x, **kwargs), lambda x: F.avg_pool3d(x, **kwargs),
             shapes=[(1, 2, 3, 4, 5)])


@pytest.mark.parametrize("x_shape, size", [
    ((2, 3, 7), 3), ((2, 3, 4), 4), ((1, 2, 3), 5),  # uneven bins, identity, upsampling
])
def test_adaptive_avg_pool1d_matches_torch(x_shape, size):
    check_op(lambda x: TF.adaptive_avg_pool1d(x, size),
             lambda x: F.adaptive_avg_pool1d(x, size), shapes=[x_shape])


@pytest.mark.parametrize("x_shape, size", [
    ((2, 2, 7, 5), (3, 2)), ((2, 2, 6, 6), 1), ((1, 2, 5, 4), (None, 3)), ((2, 2, 4, 4), 2),
])
def test_adaptive_avg_pool2d_matches_torch(x_shape, size):
    check_op(lambda x: TF.adaptive_avg_pool2d(x, size),
             lambda x: F.adaptive_avg_pool2d(x, size), shapes=[x_shape])


def test_adaptive_avg_pool3d_matches_torch():
    check_op(lambda x: TF.adaptive_avg_pool3d(x, (2, 3, 1)),
             lambda x: F.adaptive_avg_pool3d(x, (2, 3, 1)), shapes=[(1, 2, 3, 5, 4)])


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_avg_pool_is_the_spatial_mean(keepdims):
    check_op(lambda x: x.mean(dim=(2, 3), keepdim=keepdims),
             lambda x: F.global_avg_pool(x, keepdims=keepdims), shapes=[(2, 3, 4, 5)])


def test_unbatched_input_like_torch():
    check_op(lambda x: TF.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2), shapes=[(3, 4, 6)])
    check_op(lambda x: TF.avg_pool1d(x, 2), lambda x: F.avg_pool1d(x, 2), shapes=[(3, 5)])


def test_errors_name_the_op_the_shapes_and_the_fix():
    x = manabu.Tensor(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"max_pool2d: input of spatial size \(2, 2\) is too "
                                         r"small for kernel \(3, 3\).*smaller kernel"):
        F.max_pool2d(x, 3)
    with pytest.raises(ValueError, match=r"avg_pool2d: padding \(2, 2\) must be at most half "
                                         r"the kernel's extent \(3, 3\)"):
        F.avg_pool2d(manabu.Tensor(np.zeros((1, 3, 8, 8))), 3, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 4-D input \(N, C, \.\.\.\).*"
                                         r"got shape \(8, 8\)"):
        F.max_pool2d(manabu.Tensor(np.zeros((8, 8))), 2)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must be an int or "
                                         r"a tuple of 2"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))


def test_knockout_max_finds_the_first_maximum_and_routes_back_to_it():
    from manabu.functional.pooling import knockout_max, route_to_winners

    rng = np.random.default_rng(0)
    players = [rng.integers(0, 3, size=(4, 7)).astype(np.float64) for _ in range(5)]  # odd
    y, rounds = knockout_max(np, players)
    stacked = np.stack(players)
    np.testing.assert_array_equal(y, stacked.max(axis=0))
    g = rng.standard_normal((4, 7))
    grads = np.stack(route_to_winners(g, rounds))
    first = stacked.argmax(axis=0)  # NumPy's argmax also picks the first maximum
    expected = np.zeros_like(grads)
    np.put_along_axis(expected, first[None], g[None], axis=0)
    np.testing.assert_array_equal(grads, expected)
