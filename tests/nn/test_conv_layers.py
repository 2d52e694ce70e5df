"""Convolution, pooling, residual and FReLU layers against torch.nn with copied state
(float64 values and gradients), state_dict and repr compatibility, initialisation, that the
layers add no ops or copies around the functional ones, and errors that name the layer."""

import math

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from manabu import nn
from oracle import check_op, functions_of

TF = torch.nn.functional


def _same_as_torch(layer, reference, x, train=True, copy=True):
    """Copy the state into ``reference`` (which proves names and shapes match), run both
    in float64 and compare outputs, input gradients and parameter gradients."""
    if copy:
        state = {k: torch.tensor(v) for k, v in layer.double().state_dict().items()}
        reference.double().load_state_dict(state)
    layer.zero_grad()
    layer.train(train)
    reference.train(train)
    m_x = manabu.Tensor(x.copy(), requires_grad=True)
    t_x = torch.tensor(x.copy(), requires_grad=True)
    m_y, t_y = layer(m_x), reference(t_x)
    np.testing.assert_allclose(m_y.numpy(), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    projection = np.random.default_rng(0).standard_normal(m_y.shape)
    (m_y * manabu.Tensor(projection)).sum().backward()
    (t_y * torch.tensor(projection)).sum().backward()
    np.testing.assert_allclose(m_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-8, atol=1e-10)
    t_params = dict(reference.named_parameters())
    for name, param in layer.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), t_params[name].grad.numpy(),
                                   rtol=1e-8, atol=1e-10, err_msg=name)
    return m_y


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------------- convolutions
CONVS = [
    ("Conv1d", (2, 3, 9), (3, 4, 3), dict(stride=2, padding=1)),
    ("Conv1d", (2, 4, 8), (4, 6, 3), dict(padding="same", dilation=2, groups=2)),
    ("Conv2d", (2, 1, 6, 6), (1, 4, 3), dict(padding=1)),
    ("Conv2d", (2, 4, 7, 6), (4, 6, (3, 2)), dict(stride=(2, 1), groups=2, bias=False)),
    ("Conv2d", (1, 3, 6, 5), (3, 3, 3), dict(padding=2, padding_mode="reflect", groups=3)),
    ("Conv2d", (2, 2, 5, 5), (2, 3, 3), dict(padding=1, padding_mode="circular")),
    ("Conv2d", (2, 2, 5, 5), (2, 3, 2), dict(padding="valid", dilation=2)),
    ("Conv3d", (2, 2, 4, 5, 4), (2, 3, 3), dict(padding=1, stride=(1, 2, 2))),
    ("Conv3d", (1, 2, 3, 4, 4), (2, 2, (1, 3, 3)), dict(padding=(0, 1, 1), bias=False)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's own note
@pytest.mark.parametrize("cls, x_shape, args, kwargs", CONVS)
def test_conv_layers_match_torch(cls, x_shape, args, kwargs):
    layer = getattr(nn, cls)(*args, **kwargs)
    reference = getattr(torch.nn, cls)(*args, **kwargs)
    if layer.bias is not None:  # He init starts the bias at zero: make it count
        layer.bias.data[...] = np.linspace(-1, 1, layer.out_channels)
    _same_as_torch(layer, reference, _randn(*x_shape))
    assert repr(layer) == repr(reference)


TRANSPOSED = [
    ("ConvTranspose1d", (2, 3, 5), (3, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    ("ConvTranspose2d", (2, 4, 3, 4), (4, 2, 2), dict(stride=2)),
    ("ConvTranspose2d", (1, 4, 4, 3), (4, 6, 3), dict(stride=(2, 1), padding=1, groups=2,
                                                      dilation=(1, 2), bias=False)),
    ("ConvTranspose3d", (1, 2, 2, 3, 2), (2, 3, 3), dict(stride=2, padding=1,
                                                         output_padding=(1, 0, 1))),
]


@pytest.mark.parametrize("cls, x_shape, args, kwargs", TRANSPOSED)
def test_transposed_conv_layers_match_torch(cls, x_shape, args, kwargs):
    layer = getattr(nn, cls)(*args, **kwargs)
    reference = getattr(torch.nn, cls)(*args, **kwargs)
    _same_as_torch(layer, reference, _randn(*x_shape))
    assert repr(layer) == repr(reference)


def test_transposed_conv_output_size_picks_output_padding():
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    reference = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = _randn(2, 3, 4, 4)
    for size in [(7, 7), (8, 7), (2, 2, 8, 8)]:
        expected = reference(torch.tensor(x), output_size=size).detach().numpy()
        got = layer(manabu.Tensor(x), output_size=size).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"output_size \(9, 9\) is not reachable.*\(7, 7\) and "
                                         r"\(8, 8\)"):
        layer(manabu.Tensor(x), output_size=(9, 9))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("cls, x_shape, args, kwargs", CONVS + TRANSPOSED)
def test_conv_layers_take_an_empty_batch_like_torch(cls, x_shape, args, kwargs):
    """N = 0 (e.g. the last, empty shard of a split): an empty output of the right shape,
    an empty input gradient and zero weight and bias gradients, as in PyTorch."""
    layer = getattr(nn, cls)(*args, **kwargs)
    reference = getattr(torch.nn, cls)(*args, **kwargs)
    y = _same_as_torch(layer, reference, _randn(0, *x_shape[1:]))
    assert y.shape == tuple(reference(torch.zeros((0,) + x_shape[1:]).double()).shape)
    assert y.shape[0] == 0
    for name, param in layer.named_parameters():
        assert param.grad.shape == param.shape and not param.grad.numpy().any(), name


def test_conv_accepts_an_unbatched_input_like_torch():
    layer = nn.Conv2d(2, 3, 3, padding=1).double()
    batched = layer(manabu.Tensor(_randn(1, 2, 5, 5))).numpy()
    single = layer(manabu.Tensor(_randn(1, 2, 5, 5)[0])).numpy()
    np.testing.assert_array_equal(single, batched[0])


def test_layers_add_no_ops_and_no_copies_around_the_functional_ones():
    x = manabu.Tensor(_randn(2, 3, 8, 8).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    y = conv(x)
    (fn,) = functions_of([y])  # one op: Convolution, fed the very Parameter objects
    assert type(fn).__name__ == "Convolution"
    assert fn.inputs[0] is x and fn.inputs[1] is conv.weight and fn.inputs[2] is conv.bias
    assert fn.input_arrays[1] is conv.weight.data  # the weight array itself, not a copy
    np.testing.assert_array_equal(y.numpy(), F.conv2d(x, conv.weight, conv.bias,
                                                      padding=1).numpy())
    pool = nn.MaxPool2d(2)
    (fn,) = functions_of([pool(y.detach().requires_grad_())])
    assert type(fn).__name__ == "MaxPool"
    bn = nn.BatchNorm2d(4)
    (fn,) = functions_of([bn(y.detach().requires_grad_())])
    assert fn.inputs[1] is bn.weight and fn.inputs[2] is bn.bias


def test_he_initialisation_by_default_and_torchs_on_request():
    manabu.manual_seed(0)
    conv = nn.Conv2d(16, 64, 3)
    fan_in = 16 * 9
    assert conv.weight.numpy().std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
    assert not conv.bias.numpy().any()
    depthwise = nn.Conv2d(32, 32, 3, groups=32)  # fan_in = 1 * 9
    assert depthwise.weight.numpy().std() == pytest.approx(math.sqrt(2 / 9), rel=0.1)
    like_torch = nn.Conv2d(16, 64, 3, init="torch")
    bound = 1 / math.sqrt(fan_in)
    for p in (like_torch.weight, like_torch.bias):
        assert np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.9 * bound
    transposed = nn.ConvTranspose2d(64, 16, 2, stride=2)  # each output sums 64 * 4 inputs
    assert transposed.weight.numpy().std() == pytest.approx(math.sqrt(2 / 256), rel=0.05)
    assert conv.weight.dtype == np.float32
    assert nn.Conv1d(2, 2, 3, dtype=np.float64).weight.dtype == np.float64


def test_conv_errors_name_the_layer_and_the_fix():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(3, 3\)\): input of shape "
                                         r"\(2, 1, 28, 28\) has 1 channels.*in_channels=1"):
        conv(manabu.Tensor(np.ones((2, 1, 28, 28), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*4-D input \(N, C, H, W\).*\(2, 784\)"):
        conv(manabu.Tensor(np.ones((2, 784), dtype=np.float32)))
    with pytest.raises(TypeError, match=r"float64 but weight is float32"):
        conv(manabu.Tensor(np.ones((1, 3, 5, 5))))
    with pytest.raises(ValueError, match=r"groups=2 must divide in_channels=3"):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1"):
        nn.Conv1d(3, 8, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a tuple of 3"):
        nn.Conv3d(3, 8, (3, 3))
    with pytest.raises(ValueError, match=r"only padding_mode='zeros'"):
        nn.ConvTranspose2d(3, 8, 3, padding_mode="reflect")


# ---------------------------------------------------------------------------- pooling
POOLS = [
    ("MaxPool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    ("MaxPool2d", (2, 3, 6, 6), dict(kernel_size=2)),
    ("MaxPool2d", (2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("MaxPool3d", (1, 2, 4, 4, 5), dict(kernel_size=2, dilation=(1, 1, 2))),
    ("AvgPool1d", (2, 3, 8), dict(kernel_size=3, stride=2, padding=1,
                                  count_include_pad=False)),
    ("AvgPool2d", (2, 3, 6, 6), dict(kernel_size=2)),
    ("AvgPool2d", (2, 2, 5, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("AvgPool3d", (1, 2, 4, 4, 4), dict(kernel_size=2, divisor_override=3)),
    ("AdaptiveAvgPool1d", (2, 3, 10), dict(output_size=4)),
    ("AdaptiveAvgPool2d", (2, 3, 7, 5), dict(output_size=(3, None))),
    ("AdaptiveAvgPool3d", (1, 2, 5, 4, 3), dict(output_size=2)),
]


@pytest.mark.parametrize("cls, x_shape, kwargs", POOLS)
def test_pooling_layers_match_torch(cls, x_shape, kwargs):
    layer = getattr(nn, cls)(**kwargs)
    reference = getattr(torch.nn, cls)(**kwargs)
    _same_as_torch(layer, reference, _randn(*x_shape))


def test_pooling_reprs_match_torch():
    for cls, kwargs in [("MaxPool2d", dict(kernel_size=2)), ("AvgPool2d", dict(kernel_size=3)),
                        ("MaxPool1d", dict(kernel_size=3, stride=1, padding=1)),
                        ("AdaptiveAvgPool2d", dict(output_size=(3, None)))]:
        assert repr(getattr(nn, cls)(**kwargs)) == repr(getattr(torch.nn, cls)(**kwargs))


@pytest.mark.parametrize("cls, shape", [("GlobalAvgPool1d", (2, 3, 5)),
                                        ("GlobalAvgPool2d", (2, 3, 4, 5)),
                                        ("GlobalAvgPool3d", (2, 3, 2, 3, 2))])
def test_global_average_pooling_is_adaptive_pooling_to_one_then_flatten(cls, shape):
    x = _randn(*shape)
    reference = torch.nn.Sequential(torch.nn.Flatten(2), torch.nn.AdaptiveAvgPool1d(1),
                                    torch.nn.Flatten())
    _same_as_torch(getattr(nn, cls)(), reference, x, copy=False)
    kept = getattr(nn, cls)(keepdims=True)(manabu.Tensor(x))
    assert kept.shape == shape[:2] + (1,) * (len(shape) - 2)


def test_pooling_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*4-D input \(N, C, H, W\).*"
                                         r"\(2, 784\)"):
        nn.MaxPool2d(2)(manabu.Tensor(np.ones((2, 784))))
    with pytest.raises(ValueError, match=r"GlobalAvgPool2d: expected a 4-D input"):
        nn.GlobalAvgPool2d()(manabu.Tensor(np.ones((2, 3, 4))))


# ---------------------------------------------------------------------------- residual
class _TorchBasicBlock(torch.nn.Module):
    """torchvision's BasicBlock, written out (torchvision is not a test dependency)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        nn_ = torch.nn
        self.conv1 = nn_.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn_.BatchNorm2d(c_out)
        self.conv2 = nn_.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn_.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn_.Sequential(nn_.Conv2d(c_in, c_out, 1, stride, bias=False),
                                             nn_.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


@pytest.mark.parametrize("c_in, c_out, stride", [(4, 4, 1), (4, 6, 2), (3, 5, 1)])
@pytest.mark.parametrize("train", [True, False])
def test_basic_block_matches_torchvisions(c_in, c_out, stride, train):
    manabu.manual_seed(1)
    block = nn.BasicBlock(c_in, c_out, stride)
    reference = _TorchBasicBlock(c_in, c_out, stride)
    if not train:  # non-trivial running statistics
        for bn in [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)]:
            bn.running_mean.data[...] = np.linspace(-0.5, 0.5, c_out)
            bn.running_var.data[...] = np.linspace(0.5, 1.5, c_out)
    y = _same_as_torch(block, reference, _randn(2, c_in, 6, 6), train=train)
    assert y.shape == (2, c_out, 6 // stride, 6 // stride)
    assert sum(p.size for p in block.parameters()) == sum(
        p.numel() for p in reference.parameters())


def test_residual_adds_the_input_and_passes_its_gradient_through():
    block = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.ReLU())
    layer = nn.Residual(block).double()
    x = manabu.Tensor(_randn(2, 2, 4, 4), requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), block(x).numpy() + x.numpy(), rtol=1e-12)
    for p in block.parameters():  # F(x) = 0: the block is the identity, gx = gy
        p.data[...] = 0
    gy = _randn(2, 2, 4, 4, seed=1)
    layer(x).backward(manabu.Tensor(gy))
    np.testing.assert_allclose(x.grad.numpy(), gy, rtol=1e-12)
    with pytest.raises(ValueError, match=r"Residual: the block maps the input of shape "
                                         r"\(2, 2, 4, 4\) to \(2, 3, 4, 4\).*BasicBlock"):
        nn.Residual(nn.Conv2d(2, 3, 3, padding=1).double())(x)
    assert "(block): Sequential" in repr(layer)


# ---------------------------------------------------------------------------- FReLU
@pytest.mark.parametrize("shape, kernel", [((2, 3, 5, 4), 3), ((1, 2, 6, 6), 5)])
def test_frelu_matches_a_torch_reference(shape, kernel):
    c = shape[1]

    def reference(x, w, b):
        return torch.maximum(x, TF.conv2d(x, w, b, padding=kernel // 2, groups=c))

    check_op(reference, F.frelu, shapes=[shape, (c, 1, kernel, kernel), (c,)])


def test_frelu_layer_matches_torch_conv_bn_max():
    class TorchFReLU(torch.nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv = torch.nn.Conv2d(c, c, 3, padding=1, groups=c)
            self.bn = torch.nn.BatchNorm2d(c)

        def forward(self, x):
            return torch.maximum(x, self.bn(self.conv(x)))

    manabu.manual_seed(2)
    layer = nn.FReLU(3)
    layer.conv.bias.data[...] = [0.1, -0.2, 0.3]
    for train in (True, False):
        _same_as_torch(layer, TorchFReLU(3), _randn(2, 3, 5, 5), train=train)
    assert repr(layer).startswith("FReLU(\n  3, kernel_size=3\n  (conv): Conv2d(3, 3")
    with pytest.raises(ValueError, match=r"FReLU\(3\): expected an input \(N, 3, H, W\)"):
        layer(manabu.Tensor(np.ones((2, 4, 5, 5))))
    with pytest.raises(ValueError, match=r"kernel_size must be a positive odd"):
        nn.FReLU(3, kernel_size=2)


def test_channelwise_maxout_is_maxout_on_axis_1():
    check_op(lambda x: x.reshape(2, 3, 2, 4, 4).amax(dim=2),
             lambda x: F.maxout(x, 2, axis=1), shapes=[(2, 6, 4, 4)])
