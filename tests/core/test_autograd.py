"""Autograd behaviour: the graph walk, gradient accumulation, grad modes, dtypes, errors."""

import gc

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu.autograd import Function


def leaf(values, dtype=np.float64):
    return manabu.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------------- the walk
def test_a_10000_op_chain_backpropagates_without_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-9)
    del y
    gc.collect()  # freeing the long chain must not recurse either


def test_a_long_chain_with_create_graph_differentiates_twice():
    x = leaf(0.7)
    y, values = x, []
    for _ in range(3_000):  # far past Python's recursion limit of 1,000
        values.append(y.item())
        y = F.sin(y)
    (g,) = manabu.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.item(), np.prod(np.cos(values)), rtol=1e-12)
    (h,) = manabu.grad(g, x)

    def chain_derivative(v):
        product = 1.0
        for _ in range(3_000):
            product *= np.cos(v)
            v = np.sin(v)
        return product

    eps = 1e-6
    numeric = (chain_derivative(0.7 + eps) - chain_derivative(0.7 - eps)) / (2 * eps)
    np.testing.assert_allclose(h.item(), numeric, rtol=1e-5)


def test_x_plus_x_gives_gradient_two():
    x = leaf([1.0, -3.0])
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_a_tensor_used_many_times_accumulates_every_use():
    x = leaf([0.5, 2.0])
    y = x * 3.0 + x * x + F.sin(x) - x / 2
    y.sum().backward()
    v = x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 2 * v + np.cos(v) - 0.5)


def test_diamond_graph_visits_each_function_once():
    calls = []

    class Count(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy, xp):
            calls.append(1)
            return gy

    x = leaf([1.0, 2.0])
    shared = Count.apply(x)
    (shared * 2 + shared * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_gradients_accumulate_across_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 3.0, 4.0 + 3.0])


def test_backward_twice_without_retain_graph_raises_clearly():
    x = leaf([1.0, 2.0])
    y = (F.exp(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"a second time.*retain_graph=True"):
        y.backward()


def test_backward_twice_with_retain_graph_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_leaf_grad_is_its_own_copy():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.data *= 10  # an optimizer may write into .grad in place
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    assert a.grad.data.flags.writeable


def test_backward_on_a_leaf_gives_ones():
    x = leaf(3.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_multi_output_function_with_an_unused_output_gets_zeros():
    class SplitHalves(Function):
        def forward(self, x):
            return x[:2] * 1, x[2:] * 2

        def backward(self, g1, g2, xp):
            return xp.concatenate([g1, 2 * g2])

    x = leaf([1.0, 2.0, 3.0, 4.0])
    first, _ = SplitHalves.apply(x)
    gc.collect()
    first.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0, 0.0])


def test_grad_walks_only_the_functions_that_lead_to_the_inputs():
    calls = []

    class Count(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy, xp):
            calls.append(1)
            return gy

    x, w = leaf([1.0]), leaf([2.0])
    loss = (x * x).sum() + Count.apply(w).sum()
    (gx,) = manabu.grad(loss, x)
    np.testing.assert_array_equal(gx.numpy(), [2.0])
    assert calls == [] and w.grad is None and x.grad is None


# ---------------------------------------------------------------------- graph control
@pytest.mark.parametrize("mode", ["context", "decorator", "bare_decorator"])
def test_no_grad_records_no_graph_and_enable_grad_restores_it(mode):
    x = leaf([1.0])

    def compute():
        return x * 2

    if mode == "context":
        with manabu.no_grad():
            y = compute()
            assert not manabu.is_grad_enabled()
            with manabu.enable_grad():
                z = compute()
    elif mode == "decorator":
        y = manabu.no_grad()(compute)()
        z = manabu.no_grad()(manabu.enable_grad()(compute))()
    else:
        y = manabu.no_grad(compute)()
        z = manabu.no_grad(manabu.enable_grad(compute))()
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad and z.creator is not None
    assert manabu.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception_and_when_reused():
    mode = manabu.no_grad()
    with pytest.raises(KeyError):
        with mode:
            raise KeyError("boom")
    assert manabu.is_grad_enabled()
    with mode:
        with mode:  # the same object entered twice
            pass
        assert not manabu.is_grad_enabled()
    assert manabu.is_grad_enabled()


def test_detach_shares_memory_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert d.data is x.data and not d.requires_grad and d.creator is None
    (x * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])  # x, not 2x


def test_requires_grad_():
    x = manabu.Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(TypeError, match=r"only floating tensors can require grad"):
        manabu.Tensor(np.arange(3)).requires_grad_()
    with pytest.raises(RuntimeError, match=r"use \.detach\(\)"):
        (x * 2).requires_grad_(False)


def test_retain_grad_on_a_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = y * 2
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * y.numpy())
    assert z.grad is None


def test_backward_on_a_non_scalar_needs_a_gradient_of_its_shape():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for a one-element output.*shape \(2,\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*shape \(2,\)"):
        y.backward(np.ones(3))
    y.backward(manabu.Tensor(np.array([1.0, 10.0])))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0])


def test_backward_without_a_graph_raises():
    with pytest.raises(RuntimeError, match=r"does not require grad"):
        manabu.Tensor(np.ones(2)).sum().backward()
    x = leaf([1.0])
    with manabu.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match=r"no_grad"):
        y.sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match=r"only floating tensors can require grad.*int"):
        manabu.Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"only floating tensors"):
        manabu.tensor([1, 2], requires_grad=True)


def test_integer_and_bool_results_carry_no_graph():
    x = leaf([1.5, -2.0])
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad
    assert not F.sign(x).requires_grad


def test_a_wrong_gradient_shape_names_the_op():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy, xp):
            return gy.sum()

    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(\)"):
        Broken.apply(leaf([1.0, 2.0])).sum().backward()


# ---------------------------------------------------------------------- dtypes
def test_float32_by_default_and_float64_kept():
    assert manabu.tensor([1.0, 2.0]).dtype == np.float32
    assert manabu.Tensor(1.5).dtype == np.float32
    assert manabu.tensor(np.ones(2)).dtype == np.float64
    assert manabu.Tensor(np.float64(1.5)).dtype == np.float64
    assert manabu.tensor([1, 2]).dtype.kind == "i"
    x = manabu.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0 + 1) / 3 - x ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_set_default_dtype():
    try:
        manabu.set_default_dtype(np.float64)
        assert manabu.get_default_dtype() == np.float64
        assert manabu.tensor([1.0]).dtype == np.float64
    finally:
        manabu.set_default_dtype(np.float32)
    assert manabu.tensor([1.0]).dtype == np.float32
    with pytest.raises(ValueError, match=r"set_default_dtype: expected a floating dtype"):
        manabu.set_default_dtype(np.int32)


def test_mixed_precision_gradients_come_back_in_each_input_dtype():
    x = leaf([[1.0, 2.0]], dtype=np.float32)
    w = leaf([[3.0], [4.0]], dtype=np.float64)
    y = x @ w
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0, 4.0]])


def test_tensor_copies_and_Tensor_shares():
    data = np.ones(3)
    assert manabu.tensor(data).data is not data
    assert manabu.Tensor(data).data is data


# ---------------------------------------------------------------------- manabu.grad
def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gw = manabu.grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_grad_errors_and_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(1,\)\) is not used"):
        manabu.grad((x * 2).sum(), [x, unused])
    gx, gu = manabu.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0
    with pytest.raises(RuntimeError, match=r"input 0 \(shape \(2,\)\) does not require grad"):
        manabu.grad((x * 2).sum(), manabu.Tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match=r"grad_outputs is needed for an output of shape"):
        manabu.grad(x * np.ones(3), x)
    (g,) = manabu.grad(x * np.ones(3), x, grad_outputs=manabu.Tensor(np.array([1.0, 2, 3])))
    assert g.item() == 6.0


# ---------------------------------------------------------------------- small Tensor API
def test_tensor_conversions_and_errors():
    x = manabu.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert len(x) == 2 and x.ndim == 2 and x.size == 4 and x.shape == (2, 2)
    assert x[1, 0].item() == 3.0 and float(x[0, 1]) == 2.0
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert [3, 4, 5][manabu.Tensor(np.array(1))] == 4
    with pytest.raises(ValueError, match=r"truth value of a tensor of shape \(2, 2\)"):
        bool(x)
    with pytest.raises(ValueError, match=r"item\(\): tensor of shape \(2, 2\) has 4 elements"):
        x.item()
    with pytest.raises(TypeError, match=r"one-element integer tensor"):
        [1, 2][manabu.Tensor(np.array(1.0))]
    assert {x: 1}[x] == 1  # hashable by identity
    assert "grad_fn=Mul" in repr(leaf([1.0]) * 2)


def test_parameters_of_an_op_without_a_constructor_are_refused_clearly():
    class Scale(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy, xp):
            return gy * 2

    with pytest.raises(TypeError, match=r"Scale.apply got parameters \['factor'\].*__init__"):
        Scale.apply(leaf([1.0]), factor=3)


def test_a_function_written_without_xp_still_gives_first_order_gradients():
    class Double(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):  # the signature of manabu 0.1
            return gy * 2

    x = leaf([1.0, 2.0])
    Double.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
