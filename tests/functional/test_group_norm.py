"""group_norm and instance_norm ops (fused backward) against PyTorch and central differences;
the GroupNorm, InstanceNorm1d/2d/3d and BatchNorm2d/3d layers against torch.nn with copied
state, in training and eval mode; errors that name the layer and the fix."""

import numpy as np
import pytest
import torch

import manabu
from manabu import nn
from manabu.functional.group_norm import group_norm, instance_norm
from oracle import check_op, functions_of

TF = torch.nn.functional


def _module_matches_torch(layer, reference, x, train=True, steps=1):
    """Copy the state into ``reference``, run both (float64) forward and backward ``steps``
    times, then compare outputs, input and parameter gradients and the state_dicts."""
    reference.double().load_state_dict({k: torch.tensor(v) for k, v in
                                        layer.state_dict().items()})
    layer.train(train)
    reference.train(train)
    for step in range(steps):
        m_x = manabu.Tensor(x + step, requires_grad=True)
        t_x = torch.tensor(x + step, requires_grad=True)
        m_y, t_y = layer(m_x), reference(t_x)
        np.testing.assert_allclose(m_y.numpy(), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
        projection = np.random.default_rng(step).standard_normal(m_y.shape)
        (m_y * manabu.Tensor(projection)).sum().backward()
        (t_y * torch.tensor(projection)).sum().backward()
        np.testing.assert_allclose(m_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-8, atol=1e-10)
    t_params = dict(reference.named_parameters())
    for name, param in layer.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), t_params[name].grad.numpy(),
                                   rtol=1e-8, atol=1e-10, err_msg=name)
    t_state = reference.state_dict()
    for key, value in layer.state_dict().items():
        np.testing.assert_allclose(value, t_state[key].numpy(), rtol=1e-10, err_msg=key)


# ---------------------------------------------------------------------------- ops
@pytest.mark.parametrize("shape, groups", [
    ((2, 6, 4, 3), 1), ((2, 6, 4, 3), 2), ((2, 6, 4, 3), 3), ((3, 6, 5), 6),
    ((2, 4, 2, 3, 2), 2), ((1, 4, 3, 3), 4),  # 3-D volumes; a batch of one
])
def test_group_norm_matches_torch(shape, groups):
    channels = shape[1]
    check_op(lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-5),
             lambda x, w, b: group_norm(x, groups, w, b, eps=1e-5),
             shapes=[shape, (channels,), (channels,)])


def test_group_norm_without_affine_matches_torch():
    check_op(lambda x: TF.group_norm(x, 2, eps=1e-3), lambda x: group_norm(x, 2, eps=1e-3),
             shapes=[(3, 4, 5)])


def test_group_norm_is_one_fused_op():
    x = manabu.Tensor(np.random.default_rng(0).standard_normal((2, 4, 3, 3)),
                      requires_grad=True)
    graph = functions_of([group_norm(x, 2)])
    assert [type(fn).__name__ for fn in graph] == ["GroupNorm"]


def test_group_norm_standardises_each_group_of_each_sample():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 4, 4)) * 5 + 2
    y = group_norm(manabu.Tensor(x), 3).numpy().reshape(3, 3, -1)  # (N, G, C/G*H*W)
    np.testing.assert_allclose(y.mean(axis=2), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=2), 1, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 3), (1, 2, 2, 3, 2)])
def test_instance_norm_matches_torch(shape):
    channels = shape[1]
    check_op(lambda x, w, b: TF.instance_norm(x, weight=w, bias=b, eps=1e-5),
             lambda x, w, b: instance_norm(x, weight=w, bias=b, eps=1e-5),
             shapes=[shape, (channels,), (channels,)])


def test_instance_norm_running_stats_follow_torch():
    rng = np.random.default_rng(2)
    m_mean, m_var = manabu.Tensor(np.zeros(3)), manabu.Tensor(np.ones(3))
    t_mean, t_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 5, 2)) * 3 + 1
        instance_norm(manabu.Tensor(x), m_mean, m_var, momentum=0.3)
        TF.instance_norm(torch.tensor(x), t_mean, t_var, momentum=0.3)
    np.testing.assert_allclose(m_mean.numpy(), t_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m_var.numpy(), t_var.numpy(), rtol=1e-12)


def test_instance_norm_with_running_stats_matches_torch():
    rng = np.random.default_rng(3)
    mean, var = rng.standard_normal(2), rng.uniform(0.5, 2.0, 2)
    check_op(lambda x, w, b: TF.instance_norm(x, torch.tensor(mean), torch.tensor(var), w, b,
                                              use_input_stats=False),
             lambda x, w, b: instance_norm(x, manabu.Tensor(mean), manabu.Tensor(var), w, b,
                                           use_input_stats=False),
             shapes=[(3, 2, 4), (2,), (2,)])


def test_group_norm_errors_say_what_to_change():
    x = manabu.Tensor(np.ones((2, 6, 3, 3)))
    with pytest.raises(ValueError, match=r"num_groups=4 .*divides the 6 channels"):
        group_norm(x, 4)
    with pytest.raises(ValueError, match=r"weight has shape \(4,\).*6 channels.*\(6,\)"):
        group_norm(x, 2, weight=manabu.Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"instance_norm: expected .*\(N, C, L, ...\)"):
        instance_norm(manabu.Tensor(np.ones((4, 3))))
    with pytest.raises(ValueError, match=r"one position per channel"):
        instance_norm(manabu.Tensor(np.ones((4, 3, 1))))


# ---------------------------------------------------------------------------- layers
@pytest.mark.parametrize("groups, affine", [(2, True), (1, True), (6, False)])
def test_group_norm_layer_matches_torch(groups, affine):
    x = np.random.default_rng(4).standard_normal((2, 6, 3, 4))
    layer = nn.GroupNorm(groups, 6, affine=affine).double()
    if affine:  # non-trivial gamma and beta
        layer.weight.data[...] = np.linspace(0.5, 2.0, 6)
        layer.bias.data[...] = np.linspace(-1.0, 1.0, 6)
    _module_matches_torch(layer, torch.nn.GroupNorm(groups, 6, affine=affine), x)
    assert repr(layer) == f"GroupNorm({groups}, 6, eps=1e-05, affine={affine})"


@pytest.mark.parametrize("cls, shape", [
    ("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d", (2, 4, 3, 5)),
    ("InstanceNorm3d", (2, 4, 2, 3, 2)), ("InstanceNorm2d", (4, 3, 5)),  # unbatched
])
@pytest.mark.parametrize("options", [{}, dict(affine=True, track_running_stats=True)])
def test_instance_norm_layers_match_torch_in_train_and_eval(cls, shape, options):
    x = np.random.default_rng(5).standard_normal(shape) * 2 + 1
    layer = getattr(nn, cls)(4, momentum=0.2, **options).double()
    reference = getattr(torch.nn, cls)(4, momentum=0.2, **options)
    _module_matches_torch(layer, reference, x, train=True, steps=2)
    _module_matches_torch(layer, reference, x, train=False)


def test_instance_norm_defaults_are_pytorchs():
    layer = nn.InstanceNorm2d(3)
    assert layer.weight is None and layer.running_mean is None
    assert list(layer.state_dict()) == []
    assert repr(layer) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, "
                           "track_running_stats=False)")


@pytest.mark.parametrize("cls, shape", [("BatchNorm2d", (4, 3, 5, 2)),
                                        ("BatchNorm3d", (2, 3, 2, 3, 2))])
def test_batch_norm_2d_3d_match_torch_in_train_and_eval(cls, shape):
    x = np.random.default_rng(6).standard_normal(shape) * 3 - 1
    layer = getattr(nn, cls)(3, momentum=0.3).double()
    reference = getattr(torch.nn, cls)(3, momentum=0.3)
    _module_matches_torch(layer, reference, x, train=True, steps=3)
    assert int(layer.num_batches_tracked.data) == 3
    _module_matches_torch(layer, reference, x, train=False)


def test_norm_layers_name_themselves_and_the_fix():
    x = manabu.Tensor(np.ones((2, 8, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(16\): input of shape \(2, 8, 4, 4\) "
                                         r"has 8 channels.*num_features=8"):
        nn.BatchNorm2d(16)(x)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(8\): got a 2-D .*BatchNorm1d"):
        nn.BatchNorm2d(8)(manabu.Tensor(np.ones((2, 8))))
    with pytest.raises(ValueError, match=r"BatchNorm3d\(8\): got a 4-D .*BatchNorm2d"):
        nn.BatchNorm3d(8)(x)
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): input .* 8 channels.*"
                                         r"num_features=8"):
        nn.InstanceNorm2d(3)(x)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 6\): expected an input \(N, 6, "
                                         r"...\).*\(2, 8, 4, 4\)"):
        nn.GroupNorm(2, 6)(x)
    with pytest.raises(ValueError, match=r"num_groups=4 must divide num_channels=6"):
        nn.GroupNorm(4, 6)


def test_group_norm_keeps_float32_and_works_on_a_batch_of_one():
    layer = nn.GroupNorm(2, 4)
    x = manabu.Tensor(np.random.default_rng(7).standard_normal((1, 4, 3, 3)).astype(np.float32),
                      requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32
