"""batch_norm and layer_norm ops: values and gradients against PyTorch and central
differences, running statistics, and the errors for misshapen inputs."""

import numpy as np
import pytest
import torch

import manabu
from manabu.functional.norm import batch_norm, layer_norm
from manabu.gradcheck import gradcheck
from oracle import check_op

TF = torch.nn.functional


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 2, 3)])
def test_batch_norm_training_matches_torch(shape):
    channels = shape[1]
    check_op(
        lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True, eps=1e-5),
        lambda x, w, b: batch_norm(x, None, None, w, b, training=True, eps=1e-5),
        shapes=[shape, (channels,), (channels,)],
    )


def test_batch_norm_without_affine_matches_torch():
    check_op(
        lambda x: TF.batch_norm(x, None, None, training=True, eps=1e-3),
        lambda x: batch_norm(x, training=True, eps=1e-3),
        shapes=[(5, 4, 3)],
    )


def test_batch_norm_eval_uses_running_stats():
    rng = np.random.default_rng(1)
    mean = rng.standard_normal(3)
    var = rng.uniform(0.5, 2.0, 3)
    check_op(
        lambda x, w, b: TF.batch_norm(x, torch.tensor(mean), torch.tensor(var), w, b,
                                      training=False, eps=1e-5),
        lambda x, w, b: batch_norm(x, manabu.Tensor(mean), manabu.Tensor(var), w, b,
                                   training=False, eps=1e-5),
        shapes=[(4, 3, 2), (3,), (3,)],
    )


def test_batch_norm_running_stats_follow_torch():
    rng = np.random.default_rng(2)
    m_mean, m_var = manabu.Tensor(np.zeros(4)), manabu.Tensor(np.ones(4))
    t_mean, t_var = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    for _ in range(3):
        x = rng.standard_normal((8, 4, 5)) * 3 + 1
        batch_norm(manabu.Tensor(x), m_mean, m_var, training=True, momentum=0.3)
        TF.batch_norm(torch.tensor(x), t_mean, t_var, training=True, momentum=0.3)
    np.testing.assert_allclose(m_mean.numpy(), t_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m_var.numpy(), t_var.numpy(), rtol=1e-12)


def test_batch_norm_running_var_is_unbiased():
    x = np.array([[1.0], [3.0]])  # mean 2, biased var 1, unbiased var 2
    mean, var = manabu.Tensor(np.zeros(1)), manabu.Tensor(np.zeros(1))
    batch_norm(manabu.Tensor(x), mean, var, training=True, momentum=1.0)
    assert mean.item() == pytest.approx(2.0)
    assert var.item() == pytest.approx(2.0)


def test_batch_norm_output_is_standardised_per_channel():
    rng = np.random.default_rng(3)
    x = manabu.Tensor(rng.standard_normal((64, 3)) * [1.0, 5.0, 0.1] + [0.0, -4.0, 9.0])
    y = batch_norm(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, atol=1e-3)


def test_batch_norm_eval_gradcheck_with_weight():
    rng = np.random.default_rng(4)
    mean = manabu.Tensor(rng.standard_normal(2))
    var = manabu.Tensor(rng.uniform(0.5, 1.5, 2))
    x = manabu.Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    w = manabu.Tensor(rng.standard_normal(2), requires_grad=True)
    b = manabu.Tensor(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: batch_norm(x, mean, var, w, b), x, w, b)


def test_batch_norm_rejects_single_value_per_channel():
    with pytest.raises(ValueError, match=r"1 value per channel.*model.eval\(\)"):
        batch_norm(manabu.Tensor(np.ones((1, 4))), training=True)


def test_batch_norm_rejects_wrong_channel_count():
    x = manabu.Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"weight has shape \(5,\).*3 channels"):
        batch_norm(x, weight=manabu.Tensor(np.ones(5)), training=True)


@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(shape, normalized):
    check_op(
        lambda x, w, b: TF.layer_norm(x, normalized, w, b, eps=1e-5),
        lambda x, w, b: layer_norm(x, normalized, w, b, eps=1e-5),
        shapes=[shape, normalized, normalized],
    )


def test_layer_norm_without_affine_matches_torch():
    check_op(lambda x: TF.layer_norm(x, (6,)), lambda x: layer_norm(x, 6), shapes=[(3, 6)])


def test_layer_norm_rejects_wrong_trailing_shape():
    with pytest.raises(ValueError, match=r"last axes of the input \(2, 7\).*\(8,\)"):
        layer_norm(manabu.Tensor(np.ones((2, 7))), (8,))


def test_norm_backward_does_not_modify_incoming_gradient():
    rng = np.random.default_rng(5)
    x = manabu.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    y = batch_norm(x, training=True)
    gy = rng.standard_normal((4, 3))
    kept = gy.copy()
    y.backward(gy, retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    y.backward(gy)
    np.testing.assert_array_equal(gy, kept)
    np.testing.assert_allclose(x.grad.numpy(), first)
