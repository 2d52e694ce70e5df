"""Arithmetic, powers, matrix products and comparisons against PyTorch and gradcheck.

Each case runs check_op: forward and gradients vs PyTorch in float64, backward purity,
float32 kept, second order vs PyTorch's double backward, and central differences."""

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from oracle import check_op

POSITIVE = (0.5, 2.0)
ANY = (-2.0, 2.0)

# (id, torch_fn, manabu_fn, shapes, ranges)
CASES = [
    ("add", torch.add, lambda a, b: a + b, [(3, 4), (3, 4)], None),
    ("add_broadcast", torch.add, F.add, [(3, 1), (4,)], None),
    ("add_size1_axes", torch.add, F.add, [(2, 1, 3), (1, 4, 1)], None),
    ("add_0d", torch.add, F.add, [(), (2, 3)], None),
    ("radd_scalar", lambda x: 2.5 + x, lambda x: 2.5 + x, [(3,)], None),
    ("add_same_tensor", lambda x: x + x, lambda x: x + x, [(2, 3)], None),
    ("sub", torch.sub, lambda a, b: a - b, [(3, 4), (1, 4)], None),
    ("rsub_scalar", lambda x: 1 - x, lambda x: 1 - x, [(2, 3)], None),
    ("sub_scalar", lambda x: x - 1, lambda x: x - 1, [(2, 3)], None),
    ("mul", torch.mul, lambda a, b: a * b, [(2, 3, 4), (3, 1)], None),
    ("mul_self", lambda x: x * x, lambda x: x * x, [(5,)], None),
    ("mul_scalar", lambda x: x * 3.0, lambda x: x * 3.0, [(2, 2)], None),
    ("div", torch.div, lambda a, b: a / b, [(3, 4), (4,)], [ANY, POSITIVE]),
    ("div_broadcast_left", torch.div, F.div, [(1, 4), (3, 1)], [ANY, POSITIVE]),
    ("rdiv_scalar", lambda x: 2 / x, lambda x: 2 / x, [(3,)], [POSITIVE]),
    ("div_scalar", lambda x: x / 4, lambda x: x / 4, [(3,)], None),
    ("neg", torch.neg, lambda x: -x, [(2, 3)], None),
    ("neg_function", torch.neg, F.neg, [(4,)], None),
    ("pos", lambda x: +x * 1, lambda x: +x * 1, [(3,)], None),
    ("pow_2", lambda x: x ** 2, lambda x: x ** 2, [(3, 4)], None),
    ("pow_3", lambda x: x ** 3, lambda x: x ** 3, [(3, 4)], None),
    ("pow_0", lambda x: x ** 0, lambda x: x ** 0, [(3,)], None),
    ("pow_1", lambda x: x ** 1, lambda x: x ** 1, [(3,)], None),
    ("pow_half", lambda x: x ** 0.5, lambda x: x ** 0.5, [(3, 2)], [POSITIVE]),
    ("pow_negative", lambda x: x ** -1.5, lambda x: x ** -1.5, [(3,)], [POSITIVE]),
    ("pow_numpy_scalar", lambda x: x ** 2.5, lambda x: x ** np.float64(2.5), [(3,)],
     [POSITIVE]),
    ("pow_function", lambda x: torch.pow(x, 3), lambda x: F.pow(x, 3), [(2,)], None),
    ("pow_tensor", torch.pow, lambda a, b: a ** b, [(3, 4), (4,)], [POSITIVE, ANY]),
    ("pow_tensor_broadcast", torch.pow, F.pow, [(3, 1), (1, 2)], [POSITIVE, ANY]),
    ("rpow_scalar", lambda x: 2.0 ** x, lambda x: 2.0 ** x, [(3,)], None),
    ("matmul_1d_1d", torch.matmul, lambda a, b: a @ b, [(4,), (4,)], None),
    ("matmul_2d_2d", torch.matmul, lambda a, b: a @ b, [(3, 4), (4, 5)], None),
    ("matmul_1d_2d", torch.matmul, lambda a, b: a @ b, [(4,), (4, 5)], None),
    ("matmul_2d_1d", torch.matmul, lambda a, b: a @ b, [(3, 4), (4,)], None),
    ("matmul_batched", torch.matmul, F.matmul, [(2, 3, 4), (2, 4, 5)], None),
    ("matmul_batch_2d", torch.matmul, F.matmul, [(2, 3, 4), (4, 5)], None),
    ("matmul_2d_batch", torch.matmul, F.matmul, [(3, 4), (2, 4, 5)], None),
    ("matmul_broadcast_batch", torch.matmul, F.matmul, [(2, 1, 3, 4), (3, 4, 2)], None),
    ("matmul_1d_batched", torch.matmul, F.matmul, [(4,), (2, 4, 5)], None),
    ("matmul_batched_1d", torch.matmul, F.matmul, [(2, 3, 4), (4,)], None),
    ("matmul_self", lambda x: x @ x, lambda x: x @ x, [(3, 3)], None),
    ("matmul_transpose", lambda x: x @ x.mT, lambda x: x @ x.mT, [(2, 3, 4)], None),
    ("rmatmul_array", lambda x: torch.ones(2, 3, dtype=torch.float64) @ x,
     lambda x: np.ones((2, 3)) @ x, [(3, 4)], None),
    ("mixed_expression", lambda a, b: (a * b - a / (b * b + 1)) ** 2 + 3 * a,
     lambda a, b: (a * b - a / (b * b + 1)) ** 2 + 3 * a, [(2, 3), (3,)], None),
]


@pytest.mark.parametrize("torch_fn, manabu_fn, shapes, ranges",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch_and_gradcheck(torch_fn, manabu_fn, shapes, ranges):
    check_op(torch_fn, manabu_fn, shapes=shapes, ranges=ranges)


def test_cast_to_float32_and_back_matches_torch():
    check_op(lambda x: x.float().double() * 2, lambda x: x.float().double() * 2,
             shapes=[(3, 4)], gradcheck_tol=None)


def test_cast_is_an_identity_op_with_gradient():
    check_op(lambda x: x * 1, lambda x: F.to(x, dtype=np.float64), shapes=[(3,)])


def test_cast_gradient_comes_back_in_the_input_dtype():
    x = manabu.Tensor(np.arange(3.0), requires_grad=True)
    y = x.to(dtype=np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.arange(3.0))


COMPARISONS = [
    ("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b), ("lt", lambda a, b: a < b),
    ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b),
]


@pytest.mark.parametrize("compare", [c[1] for c in COMPARISONS], ids=[c[0] for c in COMPARISONS])
@pytest.mark.parametrize("other", ["tensor", "scalar", "array"])
def test_comparisons_give_bool_tensors_without_grad(compare, other):
    a = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    b = {"tensor": manabu.Tensor(np.array([1.0, 1.0, 1.0])), "scalar": 1.0,
         "array": np.array([1.0, 1.0, 1.0])}[other]
    x = manabu.Tensor(a, requires_grad=True)
    result = compare(x, b)
    assert isinstance(result, manabu.Tensor)
    assert result.dtype == bool
    assert not result.requires_grad and result.creator is None
    expected = compare(torch.tensor(a), torch.tensor(np.array([1.0, 1.0, 1.0]))).numpy()
    np.testing.assert_array_equal(result.numpy(), expected)


def test_scalars_keep_the_tensor_dtype():
    x = manabu.Tensor(np.ones(3, dtype=np.float32))
    for y in (x * 2.0, 2.0 * x, x + 1, x / 3, x - 0.5, x ** 2, x ** 0.5, 2.0 ** x,
              x * np.float64(2.0), x ** np.float64(2.0), x * np.int64(3)):
        assert y.dtype == np.float32
    i = manabu.Tensor(np.arange(3, dtype=np.int32))
    assert (i + 1).dtype == np.int32


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"), (lambda a, b: a * b, "mul"),
    (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"),
    (F.maximum, "maximum"), (F.minimum, "minimum"),
])
def test_binary_ops_name_both_shapes_when_they_cannot_broadcast(op, name):
    a = manabu.Tensor(np.ones((3, 4)), requires_grad=True)
    b = manabu.Tensor(np.ones(5))
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(3, 4\) and \(5,\) cannot broadcast"):
        op(a, b)


def test_matmul_error_names_both_shapes():
    x = manabu.Tensor(np.ones((32, 784), dtype=np.float32))
    w = manabu.Tensor(np.ones((100, 10), dtype=np.float32))
    with pytest.raises(ValueError, match=r"matmul: shapes \(32, 784\) @ \(100, 10\)") as info:
        x @ w
    assert "784" in str(info.value) and "100" in str(info.value)


def test_matmul_rejects_unbroadcastable_batches_and_scalars():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3, 4\) @ \(3, 4, 5\).*batch"):
        F.matmul(np.ones((2, 3, 4)), np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"matmul: both operands need at least 1 dimension"):
        F.matmul(manabu.Tensor(np.ones(3)), manabu.Tensor(np.array(2.0)))


def test_ndarray_on_the_left_calls_the_tensor_operator():
    x = manabu.Tensor(np.arange(3.0), requires_grad=True)
    y = np.array([1.0, 2.0, 3.0]) * x
    assert isinstance(y, manabu.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_ops_declare_their_parameters(monkeypatch):
    """Each op of arithmetic, elementwise, reduce and shape takes its parameters in its own
    __init__: they all run, twice differentiated, with a base class that accepts none."""
    from manabu import autograd

    monkeypatch.setattr(autograd.Function, "__init__", lambda self: None)
    x = manabu.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    b = manabu.tensor(np.ones(3), requires_grad=True)
    outputs = [
        (x + b) ** 2, x.to(dtype=np.float32).to(dtype=np.float64), F.clip(x, 2, 5),  # SumTo
        F.where(x.data > 3, x, -x), F.maximum(x, b), F.minimum(x, b),
        x.sum(1), x.max(0), x.min(), x.logsumexp(1), x.reshape(3, 2), x.T,
        x.broadcast_to((4, 2, 3)), x[:, 1], F.concatenate([x, x]), F.stack([x, x]), F.pad(x, 1),
    ]
    loss = outputs[0].sum()
    for y in outputs[1:]:
        loss = loss + (y * y).sum()
    gx, gb = manabu.grad(loss, [x, b], create_graph=True)  # x[:, 1] backward: IndexScatter
    (gx.sum() + gb.sum()).backward()
    assert x.grad.shape == x.shape and b.grad.shape == b.shape
