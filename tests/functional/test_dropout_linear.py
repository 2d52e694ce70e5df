import numpy as np
import pytest
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from manabu.gradcheck import gradcheck
from manabu.random import get_generator, manual_seed
from oracle import check_op


# ---------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
@pytest.mark.parametrize("fn", [F.dropout, F.alpha_dropout])
def test_dropout_rejects_p_outside_0_1(fn, p):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: p .* must be in \[0, 1\), got {p}"):
        fn(manabu.tensor(np.ones(3)), p)


@pytest.mark.parametrize("fn", [F.dropout, F.alpha_dropout])
def test_dropout_is_identity_when_evaluating_or_p_is_0(fn):
    x = manabu.tensor(np.arange(6.0), requires_grad=True)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_the_mean_and_drops_a_fraction_p(p):
    x = manabu.tensor(np.ones(200_000, dtype=np.float32))
    y = F.dropout(x, p, generator=np.random.default_rng(0)).numpy()
    assert y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, np.float32(1 / (1 - p))}
    assert abs((y == 0).mean() - p) < 0.005
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_backward_uses_the_forward_mask():
    x = manabu.tensor(np.random.default_rng(1).uniform(1, 2, size=(40, 30)), requires_grad=True)
    gy = np.random.default_rng(2).standard_normal((40, 30))
    y = F.dropout(x, 0.3, generator=np.random.default_rng(3))
    y.backward(gy)
    mask = y.numpy() / x.numpy()  # 0 or 1/(1-p) per element
    np.testing.assert_allclose(x.grad.numpy(), gy * mask)
    assert 0 < (mask == 0).sum() < mask.size


def test_dropout_gradcheck_and_second_order():
    x = manabu.Tensor(np.random.default_rng(4).uniform(-2, 2, size=(5, 4)), requires_grad=True)
    gradcheck(lambda x: F.dropout(x, 0.4, generator=np.random.default_rng(9)), x)
    y = F.dropout(x, 0.4, generator=np.random.default_rng(9))
    (g,) = manabu.grad((y * y).sum(), x, create_graph=True)  # g = 2 y * mask
    (h,) = manabu.grad(g.sum(), x)
    mask = F.dropout(manabu.tensor(np.ones((5, 4))), 0.4, generator=np.random.default_rng(9))
    np.testing.assert_allclose(h.numpy(), 2 * mask.numpy() ** 2)


def test_dropout_is_reproducible_under_manual_seed_and_generators():
    x = manabu.tensor(np.ones((10, 10)))
    manual_seed(11)
    a = F.dropout(x).numpy()
    manual_seed(11)
    b = F.dropout(x).numpy()
    c = F.dropout(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    d = F.dropout(x, generator=np.random.default_rng(5)).numpy()
    e = F.dropout(x, generator=np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(d, e)


def test_manual_seed_reseeds_the_generator_in_place():
    held = get_generator()
    assert manual_seed(3) is held
    first = held.random(4)
    manual_seed(3)
    np.testing.assert_array_equal(get_generator().random(4), first)
    np.testing.assert_array_equal(np.random.default_rng(3).random(4), first)


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    x0 = np.random.default_rng(6).standard_normal(300_000)
    x = manabu.tensor(x0, requires_grad=True)
    y = F.alpha_dropout(x, 0.2, generator=np.random.default_rng(7))
    y.sum().backward()
    assert abs(y.numpy().mean()) < 0.01
    assert abs(y.numpy().std() - 1.0) < 0.01
    kept = x.grad.numpy() != 0
    assert abs(kept.mean() - 0.8) < 0.005
    a = 1 / np.sqrt(0.8 * (1 + 0.2 * 1.7580993408473766 ** 2))
    np.testing.assert_allclose(x.grad.numpy()[kept], a)


def test_alpha_dropout_gradcheck():
    x = manabu.Tensor(np.random.default_rng(8).uniform(-2, 2, size=(4, 3)), requires_grad=True)
    gradcheck(lambda x: F.alpha_dropout(x, 0.3, generator=np.random.default_rng(1)), x)


# ---------------------------------------------------------------------- linear
@pytest.mark.parametrize("shapes", [
    [(4, 3), (5, 3), (5,)], [(2, 3, 4), (6, 4), (6,)], [(3,), (2, 3), (2,)], [(1, 1), (1, 1), (1,)],
    [(4, 3), (5, 3)], [(2, 1, 2, 3), (4, 3)],
])
def test_linear_matches_torch(shapes):
    check_op(TF.linear, F.linear, shapes=shapes, second_order=True)


def test_linear_keeps_float32_and_has_the_textbook_gradients():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((8, 5)).astype(np.float32)
    w0 = rng.standard_normal((3, 5)).astype(np.float32)
    b0 = rng.standard_normal(3).astype(np.float32)
    x, w, b = (manabu.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = F.linear(x, w, b)
    gy = rng.standard_normal((8, 3)).astype(np.float32)
    y.backward(gy)
    assert {y.dtype, x.grad.dtype, w.grad.dtype, b.grad.dtype} == {np.dtype(np.float32)}
    np.testing.assert_allclose(y.numpy(), x0 @ w0.T + b0, rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), gy @ w0, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), gy.T @ x0, rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), gy.sum(axis=0), rtol=1e-5)


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((32, 784), (10, 100), None,
     r"linear: input \(32, 784\) does not match weight \(10, 100\): in_features is 100"),
    ((4, 3), (5, 3), (4,), r"linear: bias \(4,\) does not match weight \(5, 3\).*\(5,\)"),
    ((4, 3), (3,), None, r"linear: weight must be 2-D .* got shape \(3,\)"),
])
def test_linear_shape_errors(x_shape, w_shape, b_shape, message):
    bias = None if b_shape is None else manabu.tensor(np.zeros(b_shape))
    with pytest.raises(ValueError, match=message):
        F.linear(manabu.tensor(np.zeros(x_shape)), manabu.tensor(np.zeros(w_shape)), bias)


def test_linear_only_computes_the_needed_gradients():
    x = manabu.tensor(np.ones((2, 3)))  # data, no grad
    w = manabu.tensor(np.ones((4, 3)), requires_grad=True)
    F.linear(x, w).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), np.full((4, 3), 2.0))
