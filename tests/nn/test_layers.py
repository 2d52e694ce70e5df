"""Layers against torch.nn with copied weights (float64), the embedding op, activation
modules against their functional ops, and the errors that name the layer."""

import numpy as np
import pytest
import torch

import manabu
import manabu.functional.activation as A
from manabu import nn
from manabu.functional.embedding import embedding, scatter_rows
from manabu.functional.linear import linear
from manabu.random import manual_seed
from oracle import check_op


def copy_into_torch(module, torch_module):
    state = {k: torch.tensor(v) for k, v in module.state_dict().items()}
    torch_module.double().load_state_dict(state)  # also proves keys and shapes match PyTorch's
    return torch_module


def run_both(module, torch_module, x, seed=0):
    """Forward and backward of both on the same float64 input; returns the torch tensors."""
    m_x = manabu.Tensor(x.copy(), requires_grad=x.dtype.kind == "f")
    t_x = torch.tensor(x.copy(), requires_grad=x.dtype.kind == "f")
    m_y, t_y = module(m_x), torch_module(t_x)
    np.testing.assert_allclose(m_y.numpy(), t_y.detach().numpy(), rtol=1e-10, atol=1e-12)
    projection = np.random.default_rng(seed).standard_normal(m_y.shape)
    (m_y * manabu.Tensor(projection)).sum().backward()
    (t_y * torch.tensor(projection)).sum().backward()
    if m_x.requires_grad:
        np.testing.assert_allclose(m_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    t_params = dict(torch_module.named_parameters())
    for name, param in module.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), t_params[name].grad.numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=name)
        param.grad = t_params[name].grad = None


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    layer = nn.Linear(5, 3, bias=bias).double()
    reference = copy_into_torch(layer, torch.nn.Linear(5, 3, bias=bias))
    run_both(layer, reference, np.random.default_rng(1).standard_normal((4, 2, 5)))


def test_linear_error_names_the_layer_and_the_fix():
    layer = nn.Linear(784, 128)
    with pytest.raises(ValueError, match=r"Linear\(784, 128\): input of shape \(32, 28, 28\) "
                                         r"has 28 features.*expected 784.*nn.Flatten"):
        layer(manabu.Tensor(np.zeros((32, 28, 28), np.float32)))


@pytest.mark.parametrize("x", [[[1.0, 2.0]], ((1.0, 2.0),)])
def test_linear_refuses_a_python_list_like_torch(x):
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"Linear\(2, 3\): expected a Tensor or array as input, "
                                        rf"got {type(x).__name__}; wrap it: manabu\.tensor\(x\)"):
        layer(x)
    with pytest.raises(TypeError, match=r"linear: expected a Tensor or array .*manabu\.tensor"):
        linear(x, layer.weight, layer.bias)
    assert layer(np.array(x, np.float32)).shape == (1, 3)  # arrays still work


@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 5)])
def test_batch_norm_1d_train_then_eval_matches_torch(shape):
    layer = nn.BatchNorm1d(3, momentum=0.2).double()
    rng = np.random.default_rng(2)
    layer.weight.data[...] = rng.standard_normal(3)
    layer.bias.data[...] = rng.standard_normal(3)
    reference = copy_into_torch(layer, torch.nn.BatchNorm1d(3, momentum=0.2))
    for step in range(3):
        run_both(layer, reference, rng.standard_normal(shape) * 2 + 1, seed=step)
    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[name], value.numpy(), rtol=1e-12,
                                   err_msg=name)
    assert int(layer.num_batches_tracked.item()) == 3
    layer.eval()
    reference.eval()
    running_mean = layer.running_mean.numpy().copy()
    run_both(layer, reference, rng.standard_normal(shape))
    np.testing.assert_array_equal(layer.running_mean.numpy(), running_mean)  # frozen in eval


@pytest.mark.parametrize("options", [
    dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
])
def test_batch_norm_1d_options_match_torch(options):
    layer = nn.BatchNorm1d(4, **options).double()
    reference = copy_into_torch(layer, torch.nn.BatchNorm1d(4, **options))
    rng = np.random.default_rng(3)
    for step in range(2):
        run_both(layer, reference, rng.standard_normal((5, 4)) + step, seed=step)
    layer.eval()
    reference.eval()
    run_both(layer, reference, rng.standard_normal((5, 4)))
    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[name], value.numpy(), rtol=1e-12)


def test_batch_norm_1d_errors_name_the_layer():
    layer = nn.BatchNorm1d(16)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(16\): input of shape \(4, 8\) has 8 "
                                         r"channels.*num_features=8"):
        layer(manabu.Tensor(np.zeros((4, 8), np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(16\).*4-D.*BatchNorm2d"):
        layer(manabu.Tensor(np.zeros((4, 16, 2, 2), np.float32)))


@pytest.mark.parametrize("normalized, options", [
    ((4,), {}), ((3, 4), {}), ((4,), dict(elementwise_affine=False)), ((4,), dict(bias=False)),
])
def test_layer_norm_matches_torch(normalized, options):
    layer = nn.LayerNorm(normalized, eps=1e-4, **options).double()
    if layer.weight is not None:
        layer.weight.data[...] = np.random.default_rng(4).standard_normal(normalized)
    reference = copy_into_torch(layer, torch.nn.LayerNorm(normalized, eps=1e-4, **options))
    run_both(layer, reference, np.random.default_rng(5).standard_normal((2, 3, 4)))


def test_layer_norm_error_suggests_the_shape():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(8,\)\).*normalized_shape=\(6,\)"):
        nn.LayerNorm(8)(manabu.Tensor(np.zeros((2, 6), np.float32)))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch_with_repeated_indices(padding_idx):
    layer = nn.Embedding(6, 4, padding_idx=padding_idx).double()
    reference = copy_into_torch(layer, torch.nn.Embedding(6, 4, padding_idx=padding_idx))
    ids = np.array([[1, 2, 1, 5], [5, 5, 0, 2], [2, 1, 1, 1]])  # many repeats
    run_both(layer, reference, ids)
    if padding_idx is not None:
        assert np.all(layer.weight.numpy()[padding_idx] == 0)


def test_embedding_op_check():
    # (padding_idx deliberately breaks gradcheck: its row's gradient is forced to 0; it is
    # compared with PyTorch in test_embedding_matches_torch_with_repeated_indices)
    ids = np.array([[0, 3, 3], [1, 0, 3]])
    check_op(lambda w: torch.nn.functional.embedding(torch.tensor(ids), w),
             lambda w: embedding(ids, w), shapes=[(5, 2)])


def test_embedding_backward_accumulates_repeats_exactly():
    weight = manabu.Tensor(np.zeros((4, 2)), requires_grad=True)
    out = embedding(np.array([3, 0, 3, 3]), weight)
    out.backward(np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0], [1000.0, 2000.0]]))
    np.testing.assert_array_equal(weight.grad.numpy(), [[10, 20], [0, 0], [0, 0],
                                                        [1101, 2202]])


def test_scatter_rows_equals_add_at():
    rng = np.random.default_rng(6)
    index = rng.integers(0, 50, size=3000)
    rows = rng.standard_normal((3000, 16)).astype(np.float32)
    expected = np.zeros((50, 16), np.float32)
    np.add.at(expected, index, rows)
    result = scatter_rows(index, rows, 50)
    assert result.dtype == np.float32 and result.shape == (50, 16)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-4)


def test_embedding_errors_name_the_layer():
    layer = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"Embedding\(10, 3\): .*index 10 is out of range"):
        layer(np.array([1, 10]))
    with pytest.raises(TypeError, match=r"Embedding\(10, 3\): .*must be integers"):
        layer(np.array([1.0, 2.0]))


def test_embedding_from_pretrained_freezes():
    table = np.arange(12.0).reshape(4, 3)
    layer = nn.Embedding.from_pretrained(table)
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(np.array([2])).numpy(), [[6.0, 7.0, 8.0]])
    table[2] = 0  # a copy was taken
    assert layer.weight.numpy()[2, 0] == 6.0


ACTIVATIONS = [
    (nn.Step(), A.step),
    (nn.Sigmoid(), A.sigmoid),
    (nn.Sigmoid(temperature=2.0), lambda x: A.sigmoid(x, 2.0)),
    (nn.Tanh(), manabu.functional.tanh),
    (nn.ReLU(), A.relu),
    (nn.ReLU6(), A.relu6),
    (nn.LeakyReLU(0.2), lambda x: A.leaky_relu(x, 0.2)),
    (nn.AbsRectification(), A.abs_rectification),
    (nn.ELU(0.5), lambda x: A.elu(x, 0.5)),
    (nn.SELU(), A.selu),
    (nn.Softplus(2.0, 5.0), lambda x: A.softplus(x, 2.0, 5.0)),
    (nn.GELU(), A.gelu),
    (nn.GELU("tanh"), lambda x: A.gelu(x, "tanh")),
    (nn.SiLU(), A.silu),
    (nn.Swish(beta=1.5), lambda x: A.swish(x, 1.5)),
    (nn.Mish(), A.mish),
    (nn.GLU(axis=1), lambda x: A.glu(x, 1)),
    (nn.Maxout(2), lambda x: A.maxout(x, 2, 1)),
    (nn.HardSigmoid(), A.hard_sigmoid),
    (nn.HardTanh(-0.5, 0.5), lambda x: A.hard_tanh(x, -0.5, 0.5)),
    (nn.Softmax(axis=1), lambda x: A.softmax(x, 1)),
    (nn.Softmax(dim=0, temperature=3.0), lambda x: A.softmax(x, 0, 3.0)),
    (nn.LogSoftmax(), A.log_softmax),
    (nn.PReLU(), lambda x: A.prelu(x, manabu.Tensor(np.array([0.25], np.float32)))),
    (nn.RReLU().eval(), lambda x: A.rrelu(x, 1 / 8, 1 / 3, training=False)),
    (nn.Identity(), A.identity),
]


@pytest.mark.parametrize("module, fn", ACTIVATIONS, ids=lambda v: repr(v)[:30])
def test_activation_module_equals_functional_op(module, fn):
    x = manabu.Tensor(np.random.default_rng(7).uniform(-4, 4, (3, 4)).astype(np.float32))
    expected = fn(x).numpy()
    result = module(x).numpy()
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_every_activation_has_a_module():
    names = {type(module).__name__ for module, _ in ACTIVATIONS}
    assert names >= {"Step", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU",
                     "AbsRectification", "ELU", "SELU", "Softplus", "GELU", "SiLU", "Mish",
                     "GLU", "Maxout", "HardSigmoid", "HardTanh", "Softmax", "LogSoftmax",
                     "Identity"}
    assert nn.Swish is nn.SiLU


def test_prelu_per_channel_slope_matches_torch():
    layer = nn.PReLU(3, init=0.1).double()
    reference = copy_into_torch(layer, torch.nn.PReLU(3, init=0.1))
    run_both(layer, reference, np.random.default_rng(8).standard_normal((4, 3, 2)))


def test_rrelu_uses_training_flag_and_seed():
    layer = nn.RReLU(0.1, 0.3)
    x = manabu.Tensor(-np.ones((200, 50), np.float32))
    manual_seed(3)
    first = layer(x).numpy()
    manual_seed(3)
    np.testing.assert_array_equal(layer(x).numpy(), first)
    assert first.min() >= -0.3 and first.max() <= -0.1 and first.std() > 0.03
    np.testing.assert_allclose(layer.eval()(x).numpy(), -0.2)


def test_dropout_follows_training_flag():
    layer = nn.Dropout(0.25)
    x = manabu.Tensor(np.ones((100, 100), np.float32))
    manual_seed(0)
    y = layer(x).numpy()
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    manual_seed(0)
    np.testing.assert_array_equal(layer(x).numpy(), y)
    assert layer.eval()(x) is x
    with pytest.raises(ValueError, match=r"Dropout: p .* \[0, 1\), got 1.5"):
        nn.Dropout(1.5)


def test_alpha_dropout_is_identity_in_eval():
    layer = nn.AlphaDropout(0.2).eval()
    x = manabu.Tensor(np.ones((3, 3), np.float32))
    assert layer(x) is x


def test_flatten_and_identity():
    x = manabu.Tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(nn.Flatten()(x).numpy(), np.arange(24.0).reshape(2, 12))
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Identity(54, unused=True)(x) is x
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
