"""Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

import math

import numpy as np
import pytest
import torch

import manabu
from manabu.nn.parameter import Parameter
from manabu.optim import clip_grad_norm_, clip_grad_value_


def _pair(scale, seed=0):
    """Parameters with the same float64 gradients in manabu and torch (one without grad)."""
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * scale for s in [(3, 4), (4,), (2, 2, 2)]]
    m_params = [Parameter(np.zeros(g.shape)) for g in grads] + [Parameter(np.zeros(2))]
    t_params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    t_params.append(torch.zeros(2, dtype=torch.float64, requires_grad=True))
    for m, t, g in zip(m_params, t_params, grads):
        m.grad = manabu.Tensor(g.copy())
        t.grad = torch.tensor(g.copy())
    return m_params, t_params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    m_params, t_params = _pair(scale=2.0)
    m_total = clip_grad_norm_(m_params, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    assert isinstance(m_total, manabu.Tensor)
    assert m_total.dtype == np.float64
    np.testing.assert_allclose(m_total.item(), t_total.item(), rtol=1e-12)
    for m, t in zip(m_params[:3], t_params[:3]):
        np.testing.assert_allclose(m.grad.data, t.grad.numpy(), rtol=1e-12)
    assert m_params[3].grad is None


def test_clipped_gradients_have_the_max_norm_and_keep_their_direction():
    m_params, _ = _pair(scale=5.0)
    before = np.concatenate([p.grad.data.ravel() for p in m_params[:3]])
    total = float(clip_grad_norm_(m_params, max_norm=1.0))
    after = np.concatenate([p.grad.data.ravel() for p in m_params[:3]])
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-12)
    assert total > 1.0
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after, before / total, rtol=1e-5)


def test_small_gradients_are_left_unchanged():
    p = Parameter(np.zeros(2))
    p.grad = manabu.Tensor(np.array([0.3, 0.4]))
    total = clip_grad_norm_(p, max_norm=1.0)
    assert float(total) == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad.data, [0.3, 0.4])


def test_a_repeated_parameter_is_clipped_once():
    p = Parameter(np.zeros(2))
    p.grad = manabu.Tensor(np.array([3.0, 4.0]))
    total = clip_grad_norm_([p, p], max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-6)


def test_no_gradients_give_zero_and_nonfinite_can_raise():
    assert float(clip_grad_norm_([Parameter(np.zeros(2))], 1.0)) == 0.0
    p = Parameter(np.zeros(2))
    p.grad = manabu.Tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="total norm of order 2.0 is inf"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_([p], 1.0, norm_type=0)


def test_float32_gradients_give_a_float32_norm():
    p = Parameter(np.zeros(3, dtype=np.float32))
    p.grad = manabu.Tensor(np.array([2.0, 2.0, 1.0], dtype=np.float32))
    total = clip_grad_norm_([p], 1.5)
    assert total.dtype == np.float32
    assert float(total) == pytest.approx(3.0)
    np.testing.assert_allclose(p.grad.data, [1.0, 1.0, 0.5], rtol=1e-5)


def test_clip_grad_value_matches_torch():
    m_params, t_params = _pair(scale=2.0)
    clip_grad_value_(m_params, 0.75)
    torch.nn.utils.clip_grad_value_(t_params, 0.75)
    for m, t in zip(m_params[:3], t_params[:3]):
        np.testing.assert_array_equal(m.grad.data, t.grad.numpy())
        assert np.abs(m.grad.data).max() == 0.75
    p = Parameter(np.zeros(3))
    p.grad = manabu.Tensor(np.array([-2.0, 0.1, 5.0]))
    clip_grad_value_(p, 1)
    np.testing.assert_array_equal(p.grad.data, [-1.0, 0.1, 1.0])
