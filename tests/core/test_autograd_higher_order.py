"""Higher-order gradients: create_graph=True and manabu.grad against PyTorch and calculus."""

import inspect

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from manabu.autograd import Function
from manabu.functional import arithmetic, elementwise, reduce, shape
from oracle import check_op, seed_for_run


def _pair(array):
    """The same float64 values as a manabu leaf and a torch leaf."""
    return (manabu.Tensor(array.copy(), requires_grad=True),
            torch.tensor(array.copy(), requires_grad=True))


def test_every_core_op_is_twice_differentiable():
    for module in (arithmetic, shape, reduce, elementwise):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Function) and cls is not Function:
                assert cls.twice_differentiable, f"{module.__name__}.{name}"


def test_hessian_vector_product_of_a_small_mlp_matches_torch():
    rng = np.random.default_rng(seed_for_run())
    arrays = [rng.standard_normal(s) for s in [(5, 4), (4, 6), (6,), (6, 3)]]
    v_arrays = [rng.standard_normal(a.shape) for a in arrays[1:]]
    (x, tx), (w1, tw1), (b1, tb1), (w2, tw2) = [_pair(a) for a in arrays]

    def loss(lib, x, w1, b1, w2):
        h = lib.tanh(x @ w1 + b1)
        out = lib.sin(h @ w2) * lib.exp(-(h.mean() ** 2))
        return (out * out).sum() + lib.logsumexp(out, 1).mean()

    m_params, t_params = [w1, b1, w2], [tw1, tb1, tw2]
    m_grads = manabu.grad(loss(F, x, w1, b1, w2), m_params, create_graph=True)
    t_grads = torch.autograd.grad(loss(torch, tx, tw1, tb1, tw2), t_params, create_graph=True)
    m_dot = sum(((g * manabu.Tensor(v)).sum() for g, v in zip(m_grads, v_arrays)))
    t_dot = sum(((g * torch.tensor(v)).sum() for g, v in zip(t_grads, v_arrays)))
    m_hvp = manabu.grad(m_dot, m_params)
    t_hvp = torch.autograd.grad(t_dot, t_params)
    for m, t in zip(m_grads + m_hvp, t_grads + t_hvp):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=1e-8, rtol=1e-8)


def test_wgan_gp_gradient_penalty_matches_torch():
    rng = np.random.default_rng(seed_for_run())
    real, fake = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    alpha = rng.uniform(size=(4, 1))
    (w1, tw1), (b1, tb1), (w2, tw2) = [_pair(rng.standard_normal(s)) for s in
                                       [(3, 5), (5,), (5, 1)]]

    def critic(lib, x, w1, b1, w2):
        h = x @ w1 + b1
        h = lib.maximum(h, 0.2 * h)  # leaky ReLU from elementwise ops
        return lib.tanh(h) @ w2 + (h * h).sum(1, keepdims=True) * 0.01

    def penalty(lib, grad_of, x_hat, params):
        (g,) = grad_of(critic(lib, x_hat, *params).sum(), x_hat)
        norm = ((g * g).sum(1) + 1e-12) ** 0.5
        return ((norm - 1) ** 2).mean()

    x_hat = manabu.Tensor(alpha * real + (1 - alpha) * fake, requires_grad=True)
    t_x_hat = torch.tensor(alpha * real + (1 - alpha) * fake, requires_grad=True)
    m_pen = penalty(F, lambda y, x: manabu.grad(y, x, create_graph=True), x_hat, [w1, b1, w2])
    t_pen = penalty(torch, lambda y, x: torch.autograd.grad(y, x, create_graph=True), t_x_hat,
                    [tw1, tb1, tw2])
    m_pen.backward()
    t_pen.backward()
    np.testing.assert_allclose(m_pen.item(), t_pen.item(), atol=1e-8, rtol=1e-8)
    for m, t in [(w1, tw1), (b1, tb1), (w2, tw2)]:
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-8, rtol=1e-8)


def test_third_derivative_of_sin_and_cube_match_calculus():
    values = np.array([-1.3, 0.0, 0.4, 2.0])
    for f, third in [(F.sin, lambda v: -np.cos(v)), (lambda x: x ** 3, lambda v: 6 + 0 * v)]:
        x = manabu.Tensor(values, requires_grad=True)
        (g1,) = manabu.grad(f(x).sum(), x, create_graph=True)
        (g2,) = manabu.grad(g1.sum(), x, create_graph=True)
        (g3,) = manabu.grad(g2.sum(), x)
        np.testing.assert_allclose(g3.numpy(), third(values), atol=1e-12)


def test_backward_with_create_graph_puts_a_graph_in_dot_grad():
    x = manabu.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    (x ** 4).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    np.testing.assert_allclose(first.numpy(), 4 * x.numpy() ** 3)
    (g2,) = manabu.grad(first.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 12 * x.numpy() ** 2)


def test_detached_operand_stays_constant_at_second_order():
    # x and x.detach() share one array; the second derivative must still see only x
    check_op(lambda x: x * x.detach(), lambda x: x * x.detach(), shapes=[(3,)],
             gradcheck_tol=None, second_order=True)
    check_op(lambda x: (x.detach() - x) ** 2, lambda x: (x.detach() - x) ** 2, shapes=[(3,)],
             gradcheck_tol=None, second_order=True)


def test_grad_of_a_gradient_that_does_not_depend_on_x_is_unused():
    x = manabu.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = manabu.grad((x * 3).sum(), x, create_graph=True)
    assert not g.requires_grad
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])


class FusedSquare(Function):
    """y = x**2 with a first-order backward only (twice_differentiable stays False)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy, xp):
        (x,) = self.saved
        return 2 * gy * x


def test_a_first_order_only_op_gives_gradients_then_refuses_a_second_order():
    x = manabu.Tensor(np.array([1.0, 3.0]), requires_grad=True)
    (g,) = manabu.grad(F.sin(FusedSquare.apply(x)).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy() * np.cos(x.numpy() ** 2))
    with pytest.raises(RuntimeError, match=r"FusedSquare is a fused op with a first-order "
                                           r"backward only"):
        manabu.grad(g.sum(), x)
    FusedSquare.apply(x).sum().backward(create_graph=True)
    with pytest.raises(RuntimeError, match=r"FusedSquare"):
        x.grad.sum().backward()


def test_a_first_order_only_op_off_the_second_path_is_fine():
    x = manabu.Tensor(np.array([2.0]), requires_grad=True)
    w = manabu.Tensor(np.array([3.0]), requires_grad=True)
    (gw,) = manabu.grad((FusedSquare.apply(x) * w ** 2).sum(), w, create_graph=True)
    (gww,) = manabu.grad(gw.sum(), w, allow_unused=True)
    np.testing.assert_allclose(gww.numpy(), [2 * 4.0])
