"""Convolution and transposed convolution against PyTorch (values and gradients) and gradcheck;
im2col/col2im on a worked example; error messages."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from manabu.functional.im2col import col2im, im2col
from oracle import check_op


# ---------------------------------------------------------------------------- im2col
def test_im2col_worked_example_from_the_docstring():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    cols = im2col(x, (2, 2))
    expected = [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("kernel, stride, dilation", [
    ((3,), (2,), (1,)), ((2, 3), (1, 2), (2, 1)), ((2, 2, 2), (2, 1, 1), (1, 1, 2)),
])
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3) + (7,) * len(kernel))
    cols = im2col(x, kernel, stride, dilation)
    c = rng.standard_normal(cols.shape)
    back = col2im(c, x.shape, kernel, stride, dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_col2im_sums_overlapping_windows():
    cols = np.ones((4, 4))  # 2x2 windows of a 3x3 image: the centre is in all four
    back = col2im(cols, (1, 1, 3, 3), (2, 2))
    np.testing.assert_array_equal(back[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# ---------------------------------------------------------------------------- conv
CONV2D = [
    ((2, 2, 5, 5), (3, 2, 3, 3), {}),
    ((2, 2, 5, 5), (3, 2, 3, 3), dict(stride=2, padding=1)),
    ((1, 3, 6, 5), (2, 3, 2, 3), dict(stride=(2, 1), padding=(1, 0))),  # batch 1, odd, 2x3
    ((2, 2, 7, 6), (2, 2, 3, 3), dict(dilation=2, padding=2)),
    ((2, 4, 5, 5), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 3, 5, 4), (6, 1, 3, 3), dict(groups=3, padding=1)),  # depthwise, multiplier 2
    ((2, 2, 5, 5), (3, 2, 2, 2), dict(padding="same")),  # even kernel: padding (0, 1)
    ((2, 2, 6, 5), (3, 2, 3, 3), dict(padding="same", dilation=2)),
    ((2, 2, 5, 5), (3, 2, 3, 3), dict(padding="valid", stride=3)),
    ((2, 3, 4, 4), (2, 3, 1, 1), {}),  # 1x1 convolution
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's own note
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV2D)
def test_conv2d_matches_torch(x_shape, w_shape, kwargs):
    check_op(lambda x, w, b: TF.conv2d(x, w, b, **kwargs),
             lambda x, w, b: F.conv2d(x, w, b, **kwargs),
             shapes=[x_shape, w_shape, (w_shape[0],)])


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, groups=2)])
def test_conv2d_without_bias_matches_torch(kwargs):
    check_op(lambda x, w: TF.conv2d(x, w, **kwargs), lambda x, w: F.conv2d(x, w, **kwargs),
             shapes=[(2, 2, 5, 5), (4, 1 if kwargs else 2, 3, 3)])


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 2, 9), (3, 2, 3), dict(stride=2, padding=1)),
    ((1, 4, 8), (4, 1, 2), dict(groups=4, dilation=3)),
    ((2, 2, 6), (3, 2, 4), dict(padding="same")),
])
def test_conv1d_matches_torch(x_shape, w_shape, kwargs):
    check_op(lambda x, w, b: TF.conv1d(x, w, b, **kwargs),
             lambda x, w, b: F.conv1d(x, w, b, **kwargs),
             shapes=[x_shape, w_shape, (w_shape[0],)])


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((1, 2, 4, 5, 4), (2, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=1)),
    ((2, 2, 4, 4, 3), (2, 1, 2, 2, 2), dict(groups=2, dilation=(1, 2, 1))),
])
def test_conv3d_matches_torch(x_shape, w_shape, kwargs):
    check_op(lambda x, w, b: TF.conv3d(x, w, b, **kwargs),
             lambda x, w, b: F.conv3d(x, w, b, **kwargs),
             shapes=[x_shape, w_shape, (w_shape[0],)])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("n, padding", [(1, 2), (2, (1, 2)), (3, 1)])
def test_padding_modes_match_torch_pad_then_conv(mode, n, padding):
    pads = (padding,) * n if isinstance(padding, int) else padding
    torch_pad = tuple(p for p in reversed(pads) for _ in range(2))  # last axis first
    torch_conv = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}[n]
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    check_op(lambda x, w, b: torch_conv(TF.pad(x, torch_pad, mode=mode), w, b, stride=2),
             lambda x, w, b: conv(x, w, b, stride=2, padding=padding, padding_mode=mode),
             shapes=[(2, 2) + (4,) * n, (2, 2) + (3,) * n, (2,)])


def test_same_padding_with_reflect_pads_asymmetrically_like_torch():
    check_op(lambda x, w: TF.conv2d(TF.pad(x, (0, 1, 0, 1), mode="reflect"), w),
             lambda x, w: F.conv2d(x, w, padding="same", padding_mode="reflect"),
             shapes=[(2, 2, 4, 5), (3, 2, 2, 2)])


TRANSPOSED2D = [
    ((2, 3, 4, 4), (3, 2, 3, 3), {}),
    ((2, 2, 3, 4), (2, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 3), (4, 3, 2, 3), dict(groups=2, stride=(2, 1))),  # batch 1, non-square
    ((2, 2, 3, 3), (2, 2, 3, 3), dict(stride=2, dilation=2, padding=2, output_padding=1)),
    ((2, 2, 3, 3), (2, 2, 2, 2), dict(dilation=3, output_padding=2)),  # output_padding > s
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", TRANSPOSED2D)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, kwargs):
    groups = kwargs.get("groups", 1)
    check_op(lambda x, w, b: TF.conv_transpose2d(x, w, b, **kwargs),
             lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs),
             shapes=[x_shape, w_shape, (w_shape[1] * groups,)])


def test_conv_transpose1d_and_3d_match_torch():
    kwargs = dict(stride=2, padding=1, output_padding=1)
    check_op(lambda x, w: TF.conv_transpose1d(x, w, **kwargs),
             lambda x, w: F.conv_transpose1d(x, w, **kwargs), shapes=[(2, 2, 5), (2, 3, 3)])
    check_op(lambda x, w, b: TF.conv_transpose3d(x, w, b, **kwargs),
             lambda x, w, b: F.conv_transpose3d(x, w, b, **kwargs),
             shapes=[(1, 2, 2, 3, 2), (2, 2, 2, 3, 2), (2,)])


def test_conv_transpose_is_the_gradient_of_conv_with_respect_to_its_input():
    rng = np.random.default_rng(1)
    x = manabu.Tensor(rng.standard_normal((2, 3, 7, 7)), requires_grad=True)
    w = manabu.Tensor(rng.standard_normal((4, 3, 3, 3)))
    y = F.conv2d(x, w, stride=2, padding=1)
    gy = rng.standard_normal(y.shape)
    y.backward(gy)
    transposed = F.conv_transpose2d(manabu.Tensor(gy), w, stride=2, padding=1)
    np.testing.assert_allclose(transposed.numpy(), x.grad.numpy(), rtol=1e-10)


# ---------------------------------------------------------------------------- behaviour
def test_float32_stays_float32_and_only_needed_gradients_are_made():
    rng = np.random.default_rng(2)
    x = manabu.Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    w = manabu.Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = manabu.Tensor(np.zeros(4, np.float32), requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == np.float32 and y.data.flags.c_contiguous
    y.sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    assert x.grad is None
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 72.0))  # 2 images * 36 pixels


def test_backward_leaves_the_incoming_gradient_untouched():
    rng = np.random.default_rng(3)
    x = manabu.Tensor(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
    w = manabu.Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    gy = rng.standard_normal(y.shape)
    kept = gy.copy()
    y.backward(gy, retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward(gy)
    np.testing.assert_array_equal(gy, kept)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_empty_batch_gives_empty_outputs_and_zero_weight_gradients_like_torch():
    assert im2col(np.zeros((0, 2, 4, 4)), (3, 3)).shape == (18, 0)
    assert col2im(np.zeros((18, 0)), (0, 2, 4, 4), (3, 3)).shape == (0, 2, 4, 4)
    for op, t_op, w_shape in [(F.conv2d, TF.conv2d, (4, 3, 3, 3)),
                              (F.conv_transpose2d, TF.conv_transpose2d, (3, 4, 3, 3))]:
        x = manabu.Tensor(np.zeros((0, 3, 6, 6), np.float32), requires_grad=True)
        w = manabu.Tensor(np.ones(w_shape, np.float32), requires_grad=True)
        b = manabu.Tensor(np.ones(4, np.float32), requires_grad=True)
        y = op(x, w, b, stride=2, padding=1)
        expected = t_op(torch.zeros(0, 3, 6, 6), torch.ones(w_shape), torch.ones(4), stride=2,
                        padding=1)
        assert y.shape == tuple(expected.shape) and y.dtype == np.float32
        y.sum().backward()
        assert x.grad.shape == (0, 3, 6, 6)
        np.testing.assert_array_equal(w.grad.numpy(), np.zeros(w_shape, np.float32))
        np.testing.assert_array_equal(b.grad.numpy(), np.zeros(4, np.float32))


def test_unbatched_input_like_torch():
    check_op(lambda x, w, b: TF.conv2d(x, w, b, padding=1),
             lambda x, w, b: F.conv2d(x, w, b, padding=1), shapes=[(2, 4, 4), (3, 2, 3, 3), (3,)])


def _raises(match, fn, *args, **kwargs):
    with pytest.raises((ValueError, TypeError), match=match):
        fn(*args, **kwargs)


def test_errors_name_the_op_the_shapes_and_the_fix():
    x = manabu.Tensor(np.zeros((1, 3, 8, 8), np.float32))
    w = manabu.Tensor(np.zeros((16, 1, 3, 3), np.float32))
    _raises(r"conv2d: input has 3 channels but weight expects 1 \(weight shape "
            r"\(16, 1, 3, 3\), groups=1\).*in_channels", F.conv2d, x, w)
    w3 = manabu.Tensor(np.zeros((4, 3, 3, 3), np.float32))
    _raises(r"conv2d: input of spatial size \(2, 2\).*smaller than the kernel's extent "
            r"\(3, 3\)", F.conv2d, manabu.Tensor(np.zeros((1, 3, 2, 2), np.float32)), w3)
    _raises(r"conv2d: bias must have shape \(4,\)", F.conv2d, x, w3,
            manabu.Tensor(np.zeros(3, np.float32)))
    _raises(r"conv2d: padding='same' needs stride 1", F.conv2d, x, w3, padding="same",
            stride=2)
    _raises(r"conv2d: expected a 4-D input \(N, C, H, W\)", F.conv2d,
            manabu.Tensor(np.zeros((3, 8), np.float32)), w3)
    _raises(r"conv2d: input is float64 but weight is float32", F.conv2d,
            manabu.Tensor(np.zeros((1, 3, 8, 8))), w3)
    _raises(r"groups=2 must divide", F.conv2d, manabu.Tensor(np.zeros((1, 6, 8, 8), np.float32)),
            manabu.Tensor(np.zeros((3, 3, 3, 3), np.float32)), groups=2)
    _raises(r"padding_mode='reflect' needs padding < the input size", F.conv2d,
            manabu.Tensor(np.zeros((1, 3, 2, 2), np.float32)), w3, padding=2,
            padding_mode="reflect")
    _raises(r"conv1d: padding must be an int, a tuple, 'valid' or 'same'", F.conv1d,
            manabu.Tensor(np.zeros((1, 3, 8), np.float32)),
            manabu.Tensor(np.zeros((2, 3, 3), np.float32)), padding="full")
    wt = manabu.Tensor(np.zeros((4, 8, 3, 3), np.float32))
    _raises(r"conv_transpose2d: input has 3 channels but weight expects 4 .*"
            r"\(C_in, C_out/groups", F.conv_transpose2d, x, wt)
    _raises(r"conv_transpose2d: output_padding \(2, 2\) must be .* smaller than either the "
            r"stride", F.conv_transpose2d, manabu.Tensor(np.zeros((1, 4, 3, 3), np.float32)),
            wt, stride=2, output_padding=2)
