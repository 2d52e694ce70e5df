"""fit's guards: a non-finite gradient stops training before the weights move, divergence
is warned of, and empty data is refused."""

import warnings

import numpy as np
import pytest

import manabu
from manabu import functional as F
from manabu import nn, optim, train
from manabu.data import DataLoader, TensorDataset
from manabu.data.datasets import spiral


def _model():
    manabu.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def _data():
    return spiral(n_per_class=30, seed=1)


def _sqrt_at_zero_loss(output, target):
    """A user's loss that is finite but whose gradient is inf: sqrt at 0 (of a zero row)."""
    ce = nn.CrossEntropyLoss()(output, target)
    return ce + F.sqrt(output[:1, :] * 0).sum()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's divide-by-zero, expected here
def test_a_non_finite_gradient_stops_before_the_weights_move():
    model = _model()
    x, y = _data()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(train.NonFiniteGradientError) as error:
        train.fit(model, _sqrt_at_zero_loss, optim.SGD(model.parameters(), lr=0.1), (x, y),
                  epochs=2, batch_size=30, shuffle=False, verbose=0)
    message = str(error.value)
    assert "'0.weight'" in message and "epoch 1, step 1" in message
    assert "The weights were not updated" in message and "sqrt or log at 0" in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_the_first_bad_parameter_is_named_and_an_overflowing_sum_is_not_an_error():
    from manabu.train.fit import _first_non_finite_gradient

    a, b, c = (nn.Parameter(np.zeros(2, dtype=np.float32)) for _ in range(3))
    for p, g in ((a, [1.0, 2.0]), (b, [np.nan, 0.0]), (c, [np.inf, 1.0])):
        p.grad = manabu.tensor(np.array(g, dtype=np.float32))
    assert _first_non_finite_gradient([("a", a), ("b", b), ("c", c)]) == "b"
    big = np.finfo(np.float32).max
    a.grad = manabu.tensor(np.array([big, big], dtype=np.float32))  # sum overflows to inf
    assert _first_non_finite_gradient([("a", a)]) is None
    b.grad = None
    assert _first_non_finite_gradient([("b", b)]) is None


def test_divergence_is_warned_once_with_the_fix():
    model = _model()
    x, y = _data()
    with pytest.warns(train.DivergenceWarning, match=r"Lower the learning rate \(lr=1e\+06"):
        history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e6),
                            (x, y), epochs=3, batch_size=30, verbose=0)
    assert history.diverged_at == 1


def test_a_healthy_run_is_not_called_divergent():
    model = _model()
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", train.DivergenceWarning)
        history = train.fit(model, nn.CrossEntropyLoss(),
                            optim.Adam(model.parameters(), lr=0.01), (x, y), epochs=5,
                            batch_size=30, verbose=0)
    assert history.diverged_at is None


def test_empty_data_is_refused():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    empty = (np.zeros((0, 2), np.float32), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="fit: the training data gives no batch"):
        train.fit(model, nn.CrossEntropyLoss(), opt, empty, verbose=0)
    x, y = _data()
    with pytest.raises(ValueError, match="fit: the val_data gives no batch"):
        train.fit(model, nn.CrossEntropyLoss(), opt, (x, y), val_data=empty, verbose=0)
    loader = DataLoader(TensorDataset(x[:5], y[:5]), batch_size=8, drop_last=True)
    with pytest.raises(ValueError, match="5 examples, batch_size 8.*drop_last=False"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, verbose=0)
    with pytest.raises(ValueError, match="evaluate: the data gives no batch"):
        train.evaluate(model, nn.CrossEntropyLoss(), empty)
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        train.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=-2, verbose=0)
