"""gradcheck itself: it passes right gradients and catches wrong ones, pointing at them."""

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu.autograd import Function
from manabu.gradcheck import GradcheckError, gradcheck, numerical_grad
from oracle import check_op


class SinWithBump(Function):
    """sin(x), whose backward is wrong at one element: there gradcheck must point."""

    def __init__(self, bad):
        self.bad = bad  # the index of the wrong element

    def forward(self, x):
        self.save_for_backward(x)
        return np.sin(x)

    def backward(self, gy, xp):
        (x,) = self.saved
        gx = gy * np.cos(x)
        gx[self.bad] += 0.5
        return gx


class ScaleWrongSecond(Function):
    """y = a * b, with the gradient of b wrong everywhere."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gy, xp):
        a, b = self.saved
        return gy * b, gy * a * 1.1


def _x(shape, seed=0):
    values = np.random.default_rng(seed).uniform(-1, 1, size=shape)
    return manabu.Tensor(values, requires_grad=True)


def test_passes_right_gradients():
    assert gradcheck(lambda x, y: F.tanh(x @ y) * x.sum(), _x((2, 3)), _x((3, 2), 1))


def test_reports_the_worst_element_with_its_index():
    x = _x((3, 4))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: SinWithBump.apply(t, bad=(1, 2)), x)
    message = str(info.value)
    assert "input 0 (shape (3, 4))" in message
    assert "at index (1, 2)" in message
    assert "autograd gives" in message and "central differences give" in message


def test_names_the_wrong_input():
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(4,\)\)"):
        gradcheck(lambda a, b: ScaleWrongSecond.apply(a, b), _x((4,)), _x((4,), 1))


def test_returns_false_instead_of_raising_when_asked():
    result = gradcheck(lambda t: SinWithBump.apply(t, bad=0), _x((3,)), raise_exception=False)
    assert result is False


def test_refuses_float32():
    x = manabu.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"gradcheck needs float64 inputs, got float32"):
        gradcheck(F.sin, x)


def test_needs_an_output_with_a_graph():
    with pytest.raises(ValueError, match=r"no output requires grad"):
        gradcheck(F.sin, manabu.Tensor(np.ones(3)))


def test_numerical_grad_of_a_square_is_twice_x():
    x = manabu.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    projection = [np.ones(3)]
    grad = numerical_grad(lambda t: t * t, [x], projection, 0, 1e-6)
    np.testing.assert_allclose(grad, 2 * x.numpy(), atol=1e-8)
    np.testing.assert_array_equal(x.numpy(), [1.0, -2.0, 0.5])  # restored after probing


def test_checks_every_output_of_a_multi_output_function():
    def two(x):
        return F.sin(x), SinWithBump.apply(x, bad=2)

    with pytest.raises(GradcheckError, match=r"at index \(2,\)"):
        gradcheck(two, _x((4,)))


def test_leaves_no_gradient_behind_from_earlier_runs():
    x = _x((3,))
    x.grad = manabu.Tensor(np.full(3, 100.0))  # stale: gradcheck must start from zero
    assert gradcheck(F.exp, x)


# ---------------------------------------------------------------------- the oracle itself
class Square(Function):
    """y = x**2 with a selectable bug in its backward (the oracle must catch each)."""

    twice_differentiable = True

    def __init__(self, bug):
        self.bug = bug

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy, xp):
        (x,) = self.saved
        if self.bug == "writes_gy":
            gy *= 2.0
            return gy * x
        if self.bug == "constant_at_second_order":
            return 2 * gy * self._saved[0]  # the raw array: right values, no graph
        if self.bug == "upcasts":
            return 2 * gy * x * np.ones(1)  # float64 ones: float32 in, float64 out
        if self.bug == "wrong":
            return 2.5 * gy * x
        return 2 * gy * x


def test_oracle_passes_the_right_backward():
    check_op(lambda x: x * x, lambda x: Square.apply(x, bug=None), shapes=[(3, 2)])


@pytest.mark.parametrize("bug, message", [
    ("writes_gy", r"read-only"),
    ("constant_at_second_order", r"second derivative of input 0 differs from PyTorch"),
    ("upcasts", r"Square.backward gives a float64 gradient for a float32 input"),
    ("wrong", r"gradient of input 0 differs from PyTorch"),
])
def test_oracle_catches_each_kind_of_broken_backward(bug, message):
    with pytest.raises((AssertionError, ValueError), match=message):
        check_op(lambda x: x * x, lambda x: Square.apply(x, bug=bug), shapes=[(3, 2)])
