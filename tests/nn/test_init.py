"""nn.init: the statistics of each initialiser, PyTorch's gains and fans, reproducibility."""

import math

import numpy as np
import pytest
import torch

import manabu
from manabu import nn
from manabu.nn import init
from manabu.random import manual_seed


def big(shape=(400, 500)):
    return nn.Parameter(np.zeros(shape, dtype=np.float64))


@pytest.mark.parametrize("name, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_gains_equal_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12)


def test_unknown_gain_lists_the_choices():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'.*'relu'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(7, 3), (8, 4, 3, 3), (5, 2, 7)])
def test_fans_equal_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(nn.Parameter(np.zeros(shape))) == expected


def test_fans_of_a_vector_are_an_error():
    with pytest.raises(ValueError, match=r"2 or more dimensions, got shape \(5,\)"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5)))


def test_kaiming_normal_std_is_gain_over_sqrt_fan_in():
    w = init.kaiming_normal_(big(), nonlinearity="relu", generator=np.random.default_rng(0))
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 500), rel=0.01)
    assert abs(w.numpy().mean()) < 1e-3
    init.kaiming_normal_(w, mode="fan_out", generator=np.random.default_rng(1))
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 400), rel=0.01)


def test_kaiming_uniform_bound():
    w = init.kaiming_uniform_(big(), a=0.1, generator=np.random.default_rng(0))
    bound = math.sqrt(2 / (1 + 0.01)) * math.sqrt(3 / 500)
    assert np.abs(w.numpy()).max() <= bound
    assert np.abs(w.numpy()).max() > 0.99 * bound
    assert w.numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_xavier_statistics():
    rng = np.random.default_rng(0)
    w = init.xavier_normal_(big(), gain=2.0, generator=rng)
    assert w.numpy().std() == pytest.approx(2.0 * math.sqrt(2 / 900), rel=0.01)
    init.xavier_uniform_(w, generator=rng)
    bound = math.sqrt(6 / 900)
    assert np.abs(w.numpy()).max() <= bound
    assert w.numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (4, 3, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = init.orthogonal_(nn.Parameter(np.zeros(shape)), gain=3.0,
                         generator=np.random.default_rng(0)).numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    product = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(product, 9.0 * np.eye(min(rows, cols)), atol=1e-10)


def test_simple_fills_and_truncated_normal():
    w = nn.Parameter(np.zeros((3, 4), np.float32))
    assert np.all(init.constant_(w, 2.5).numpy() == 2.5)
    assert np.all(init.ones_(w).numpy() == 1) and np.all(init.zeros_(w).numpy() == 0)
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(3, 4))
    t = init.trunc_normal_(big(), std=1.0, a=-0.5, b=1.0, generator=np.random.default_rng(0))
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 1.0
    u = init.uniform_(big(), -2, 3, generator=np.random.default_rng(0)).numpy()
    assert u.min() >= -2 and u.max() < 3 and u.mean() == pytest.approx(0.5, abs=0.02)
    assert w.dtype == np.float32  # fills keep the parameter's dtype


def test_init_is_in_place_and_reproducible_under_manual_seed():
    w = big((20, 30))
    data = w.data
    manual_seed(123)
    first = init.kaiming_uniform_(w).numpy().copy()
    manual_seed(123)
    assert init.kaiming_uniform_(w) is w and w.data is data
    np.testing.assert_array_equal(w.numpy(), first)
    manual_seed(124)
    assert not np.array_equal(init.kaiming_uniform_(w).numpy(), first)


def test_models_are_reproducible_under_manual_seed():
    def build():
        return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 2), nn.Embedding(4, 3))

    manual_seed(7)
    a = build().state_dict()
    manual_seed(7)
    b = build().state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_linear_default_is_he_with_zero_bias():
    manual_seed(0)
    layer = nn.Linear(1000, 300)
    assert layer.weight.numpy().std() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)
    assert np.all(layer.bias.numpy() == 0)
    assert layer.weight.dtype == manabu.get_default_dtype()


def test_linear_xavier_and_torch_inits():
    manual_seed(0)
    xavier = nn.Linear(600, 400, init="xavier_normal", nonlinearity="tanh")
    assert xavier.weight.numpy().std() == pytest.approx(5 / 3 * math.sqrt(2 / 1000), rel=0.02)
    torch_like = nn.Linear(100, 50, init="torch")
    for p in (torch_like.weight, torch_like.bias):
        assert np.abs(p.numpy()).max() <= 0.1 and np.abs(p.numpy()).max() > 0.09
    custom = nn.Linear(3, 4, init=lambda w: init.constant_(w, 0.5))
    assert np.all(custom.weight.numpy() == 0.5)
    with pytest.raises(ValueError, match="unknown init 'he'"):
        nn.Linear(3, 4, init="he")
