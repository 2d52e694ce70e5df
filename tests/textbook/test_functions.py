"""Tests for manabu.functions, the notes' textbook API (plain NumPy, hand-written derivatives).

Every derivative is checked against numerical_gradient in float64, and a few values and
gradients against PyTorch as an oracle.
"""

import ast
import inspect
import warnings

import numpy as np
import pytest

import manabu.functions as fn


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(shape, seed=0):
    """Random float64 values with |x| in [0.1, 3]: far enough from the kink of (leaky) ReLU."""
    r = rng(seed)
    magnitude = r.uniform(0.1, 3.0, size=shape)
    sign = r.choice([-1.0, 1.0], size=shape)
    return sign * magnitude


def strict():
    """A context in which overflow, 0/0 and log(0) are errors (underflow to 0 is harmless)."""
    return np.errstate(over="raise", invalid="raise", divide="raise")


# --- the module itself ----------------------------------------------------------------------


def test_all_lists_every_public_function_and_only_those():
    public = {
        name
        for name, obj in vars(fn).items()
        if inspect.isfunction(obj) and obj.__module__ == fn.__name__ and not name.startswith("_")
    }
    assert set(fn.__all__) == public
    assert len(fn.__all__) == len(set(fn.__all__))


def test_module_is_standalone_numpy_only():
    tree = ast.parse(inspect.getsource(fn))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module)
    assert imported == ["numpy"]


@pytest.mark.parametrize(
    "name",
    [
        "mean_squared_error",
        "d_mean_squared_error",
        "cross_entropy_error",
        "d_sigmoid_with_loss",
        "d_softmax_with_loss",
    ],
)
def test_loss_docstrings_say_target_comes_first(name):
    doc = " ".join(getattr(fn, name).__doc__.split())
    assert "first" in doc
    assert "Deep Learning from Scratch" in doc


# --- activation functions -------------------------------------------------------------------


def test_step_function_returns_int_zero_one():
    y = fn.step_function(np.array([-2.0, -0.0, 0.0, 1e-9, 3.0]))
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1])
    assert np.issubdtype(y.dtype, np.integer)


def test_identity_returns_its_input():
    x = np.array([[-1.5, 2.0]])
    assert fn.identity(x) is x


def test_sigmoid_values():
    x = np.array([-2.0, 0.0, 1.0])
    expected = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(fn.sigmoid(x), expected, rtol=1e-15)
    assert fn.sigmoid(0.0) == 0.5


def test_sigmoid_is_stable_for_large_inputs():
    x = np.array([-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
    with strict(), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn.sigmoid(x)
        dy = fn.d_sigmoid(x)
    assert np.all(np.isfinite(y))
    assert y[0] == 0.0
    assert y[-1] == 1.0
    np.testing.assert_allclose(y[2], np.exp(-40.0), rtol=1e-12)
    np.testing.assert_array_equal(dy[[0, 1, -2, -1]], 0.0)


def test_tanh_derivative_is_stable_for_large_inputs():
    x = np.array([-1e4, 1e4])
    with strict():
        dy = fn.d_tanh(x)
    np.testing.assert_array_equal(dy, [0.0, 0.0])


def test_float32_stays_float32():
    x = np.array([-1.0, 0.5], dtype=np.float32)
    for f in [fn.sigmoid, fn.d_sigmoid, fn.tanh, fn.d_tanh, fn.relu, fn.d_relu, fn.lrelu,
              fn.d_lrelu, fn.softmax]:
        assert f(x).dtype == np.float32, f.__name__


def test_relu_and_lrelu_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(fn.relu(x), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(fn.lrelu(x), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(fn.lrelu(x, alpha=0.2), [-0.4, 0.0, 3.0])


def test_relu_derivatives_at_the_kink():
    x = np.array([-1.0, 0.0, 2.0])
    d = fn.d_relu(x)
    np.testing.assert_array_equal(d, [0.0, 0.0, 1.0])
    assert d.dtype == np.float64
    np.testing.assert_allclose(fn.d_lrelu(x), [0.01, 0.01, 1.0])
    np.testing.assert_allclose(fn.d_lrelu(x, alpha=0.3), [0.3, 0.3, 1.0])
    # Integer inputs give float derivatives, never integer 0/1 that would truncate a product.
    assert fn.d_relu(np.array([-1, 2])).dtype == np.float64


ACTIVATIONS = [
    (fn.sigmoid, fn.d_sigmoid),
    (fn.tanh, fn.d_tanh),
    (fn.relu, fn.d_relu),
    (fn.lrelu, fn.d_lrelu),
    (lambda x: fn.lrelu(x, alpha=0.25), lambda x: fn.d_lrelu(x, alpha=0.25)),
]


@pytest.mark.parametrize("f, df", ACTIVATIONS)
def test_activation_derivative_matches_numerical_gradient(f, df):
    x = away_from_zero((3, 5), seed=1)
    x_before = x.copy()
    expected = fn.numerical_gradient(lambda x: np.sum(f(x)), x)
    np.testing.assert_allclose(df(x), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)


def test_softmax_rows_sum_to_one_and_match_the_formula():
    x = rng(2).normal(size=(4, 6))
    y = fn.softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), np.ones(4), rtol=1e-12)
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    # One vector is one row of the batch.
    np.testing.assert_allclose(fn.softmax(x[1]), y[1], rtol=1e-12)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [0.0, 1.0, 2.0]])
    with strict(), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn.softmax(x)
        y1 = fn.softmax(np.array([1e4, 1e4]))
    e = np.exp(-1.0)
    np.testing.assert_allclose(y[0], [1 / (1 + e), e / (1 + e), 0.0], rtol=1e-12)
    np.testing.assert_allclose(y[1], fn.softmax(np.array([0.0, 1.0, 2.0])), rtol=1e-12)
    np.testing.assert_allclose(y1, [0.5, 0.5])


def test_softmax_does_not_modify_its_input():
    x = np.array([[3.0, 1.0, 2.0]])
    fn.softmax(x)
    np.testing.assert_array_equal(x, [[3.0, 1.0, 2.0]])


# --- losses -----------------------------------------------------------------------------------


def test_mean_squared_error_hand_computed():
    d = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[0.5, 0.5], [1.0, 1.0]])
    # sample 1: 0.5 * (0.25 + 0.25) = 0.25;  sample 2: 0.5 * (1 + 0) = 0.5;  mean = 0.375
    assert fn.mean_squared_error(d, y) == pytest.approx(0.375, rel=1e-15)
    # A 1-D pair is one sample: 0.5 * (0 + 0 + 2**2) = 2.
    assert fn.mean_squared_error(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])) == 2.0


@pytest.mark.parametrize("shape", [(4, 3), (5,), (2, 3, 2)])
def test_d_mean_squared_error_matches_numerical_gradient(shape):
    d = rng(3).normal(size=shape)
    y = rng(4).normal(size=shape)
    expected = fn.numerical_gradient(lambda y: fn.mean_squared_error(d, y), y)
    np.testing.assert_allclose(fn.d_mean_squared_error(d, y), expected, rtol=1e-6, atol=1e-10)


def test_d_mean_squared_error_hand_computed():
    d = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[0.5, 0.5], [1.0, 1.0]])
    np.testing.assert_allclose(fn.d_mean_squared_error(d, y), [[-0.25, 0.25], [0.5, 0.0]])


def test_cross_entropy_labels_and_one_hot_agree():
    y = fn.softmax(rng(5).normal(size=(6, 4)))
    labels = np.array([0, 3, 1, 1, 2, 3])
    one_hot = np.eye(4)[labels]
    expected = -np.mean(np.log(y[np.arange(6), labels] + 1e-7))
    assert fn.cross_entropy_error(labels, y) == pytest.approx(expected, rel=1e-12)
    assert fn.cross_entropy_error(one_hot, y) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_one_sample_is_a_batch_of_one():
    y = np.array([0.1, 0.6, 0.3])
    expected = -np.log(0.6 + 1e-7)
    assert fn.cross_entropy_error(np.array([0.0, 1.0, 0.0]), y) == pytest.approx(expected)
    assert fn.cross_entropy_error(1, y) == pytest.approx(expected)
    assert fn.cross_entropy_error(np.array([1]), y) == pytest.approx(expected)


def test_cross_entropy_of_a_zero_probability_is_finite():
    y = np.array([[1.0, 0.0]])
    with strict():
        loss = fn.cross_entropy_error(np.array([1]), y)
    assert loss == pytest.approx(-np.log(1e-7))


@pytest.mark.parametrize("one_hot", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (4,)])
def test_d_softmax_with_loss_matches_numerical_gradient(one_hot, shape):
    x = rng(6).normal(size=shape)
    n_classes = shape[-1]
    labels = rng(7).integers(0, n_classes, size=shape[:-1])
    d = np.eye(n_classes)[labels] if one_hot else labels
    d_before = np.copy(d)
    expected = fn.numerical_gradient(lambda x: fn.cross_entropy_error(d, fn.softmax(x)), x)
    y = fn.softmax(x)
    y_before = y.copy()
    dx = fn.d_softmax_with_loss(d, y)
    assert dx.shape == x.shape
    # rtol covers the 1e-7 inside the log, which the closed form (y - d) / N leaves out.
    np.testing.assert_allclose(dx, expected, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(d, d_before)


def test_d_softmax_with_loss_hand_computed():
    y = np.array([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(fn.d_softmax_with_loss(np.array([1, 0]), y),
                               [[0.1, -0.1], [-0.2, 0.2]])


def binary_cross_entropy_sum(d, y):
    return -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y))


def test_d_sigmoid_with_loss_matches_numerical_gradient():
    u = rng(8).normal(size=(4, 3))
    d = (rng(9).uniform(size=(4, 3)) > 0.5).astype(np.float64)
    expected = fn.numerical_gradient(lambda u: binary_cross_entropy_sum(d, fn.sigmoid(u)), u)
    np.testing.assert_allclose(fn.d_sigmoid_with_loss(d, fn.sigmoid(u)), expected, rtol=1e-6)


# --- numerical_gradient ------------------------------------------------------------------------


def test_numerical_gradient_of_a_known_function_any_shape():
    x = rng(10).normal(size=(2, 3, 4))
    x_before = x.copy()
    grad = fn.numerical_gradient(lambda x: np.sum(x**3), x)
    assert grad.shape == x.shape
    # Central differences are exact up to h**2 * f''' / 6 = 1e-8 for x**3.
    np.testing.assert_allclose(grad, 3 * x**2, atol=2e-8)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_of_a_zero_dim_array():
    x = np.array(2.0)
    assert fn.numerical_gradient(lambda x: float(x) ** 2, x) == pytest.approx(4.0)


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="float"):
        fn.numerical_gradient(lambda x: np.sum(x), np.array([1, 2]))


# --- PyTorch as an oracle ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, torch_name",
    [("sigmoid", "sigmoid"), ("tanh", "tanh"), ("relu", "relu"), ("lrelu", "leaky_relu")],
)
def test_activation_and_derivative_match_torch(name, torch_name):
    torch = pytest.importorskip("torch")
    x = away_from_zero((4, 5), seed=11)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, torch_name)(xt)
    yt.sum().backward()
    f = getattr(fn, name)
    df = getattr(fn, "d_" + name)
    np.testing.assert_allclose(f(x), yt.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(df(x), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_softmax_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng(12).normal(size=(3, 7)) * 5
    expected = torch.softmax(torch.tensor(x), dim=-1).numpy()
    np.testing.assert_allclose(fn.softmax(x), expected, rtol=1e-12)


def test_softmax_cross_entropy_and_gradient_match_torch():
    torch = pytest.importorskip("torch")
    x = rng(13).normal(size=(8, 5))
    labels = rng(14).integers(0, 5, size=8)
    xt = torch.tensor(x, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(xt, torch.tensor(labels))
    loss_t.backward()
    y = fn.softmax(x)
    # The 1e-7 inside the log lowers the loss by about mean(1e-7 / y_label), torch has none.
    shift = np.mean(1e-7 / y[np.arange(8), labels])
    assert fn.cross_entropy_error(labels, y) == pytest.approx(loss_t.item() - shift, abs=1e-10)
    np.testing.assert_allclose(fn.d_softmax_with_loss(labels, y), xt.grad.numpy(), rtol=1e-12,
                               atol=1e-15)


def test_mean_squared_error_relates_to_torch_mse_loss():
    torch = pytest.importorskip("torch")
    d = rng(15).normal(size=(6, 3))
    y = rng(16).normal(size=(6, 3))
    # torch's mse_loss averages over every element; ours is 1/2 * sum per sample, batch mean.
    expected = torch.nn.functional.mse_loss(torch.tensor(y), torch.tensor(d)).item() * 3 / 2
    assert fn.mean_squared_error(d, y) == pytest.approx(expected, rel=1e-12)
