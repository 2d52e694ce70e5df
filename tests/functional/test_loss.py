import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from manabu import nn
from oracle import check_op

REDUCTIONS = ["mean", "sum", "none"]
REGRESSION = [
    ("mse", TF.mse_loss, F.mse_loss, {}),
    ("l1", TF.l1_loss, F.l1_loss, {}),
    ("huber", TF.huber_loss, F.huber_loss, {}),
    ("huber_0.5", TF.huber_loss, F.huber_loss, {"delta": 0.5}),
    ("smooth_l1", TF.smooth_l1_loss, F.smooth_l1_loss, {}),
    ("smooth_l1_0.3", TF.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.3}),
    ("smooth_l1_0", TF.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.0}),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), (1, 1), (2, 3, 2)])
@pytest.mark.parametrize("name, torch_fn, manabu_fn, kw", REGRESSION,
                         ids=[r[0] for r in REGRESSION])
def test_regression_losses_match_torch(name, torch_fn, manabu_fn, kw, shape, reduction):
    check_op(lambda x, t: torch_fn(x, t, reduction=reduction, **kw),
             lambda x, t: manabu_fn(x, t, reduction=reduction, **kw), shapes=[shape, shape])


def test_mean_squared_error_uses_the_notes_half_convention():
    y0 = np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]])
    t0 = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y = manabu.tensor(y0, requires_grad=True)
    loss = F.mean_squared_error(y, t0)
    loss.backward()
    np.testing.assert_allclose(loss.item(), 0.5 * ((y0 - t0) ** 2).sum() / 2)
    np.testing.assert_allclose(y.grad.numpy(), (y0 - t0) / 2)
    single = F.mean_squared_error(manabu.tensor(y0[0]), t0[0])
    np.testing.assert_allclose(single.item(), 0.5 * ((y0[0] - t0[0]) ** 2).sum())


def _labels(rng, shape, classes, ignore=None, ignore_index=-100):
    labels = rng.integers(0, classes, size=shape)
    if ignore:
        labels.reshape(-1)[:ignore] = ignore_index
    return labels


CE_CASES = [  # (logits shape, labels shape)
    ((8, 5), (8,)), ((1, 3), (1,)), ((4,), ()), ((2, 4, 3), (2, 3)), ((2, 3, 2, 2), (2, 2, 2)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("logits_shape, labels_shape", CE_CASES)
@pytest.mark.parametrize("smoothing, use_weight, ignore", [(0.0, False, 0), (0.2, False, 0),
                                                           (0.0, True, 2), (0.1, True, 2)])
def test_cross_entropy_with_labels_matches_torch(logits_shape, labels_shape, reduction,
                                                 smoothing, use_weight, ignore):
    rng = np.random.default_rng(0)
    classes = logits_shape[0] if len(logits_shape) == 1 else logits_shape[1]
    labels = _labels(rng, labels_shape, classes, ignore=ignore if labels_shape else 0)
    weight = rng.uniform(0.5, 2.0, size=classes) if use_weight else None
    torch_weight = torch.tensor(weight) if use_weight else None
    check_op(lambda x, t: TF.cross_entropy(x, t, weight=torch_weight, reduction=reduction,
                                           label_smoothing=smoothing),
             lambda x, t: F.cross_entropy(x, t, weight=weight, reduction=reduction,
                                          label_smoothing=smoothing),
             arrays=[rng.uniform(-3, 3, size=logits_shape), labels])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 5), (3,)])
@pytest.mark.parametrize("smoothing, use_weight", [(0.0, False), (0.15, False), (0.1, True)])
def test_cross_entropy_with_probabilities_matches_torch(shape, reduction, smoothing, use_weight):
    rng = np.random.default_rng(1)
    axis = 0 if len(shape) == 1 else 1
    target = torch.tensor(rng.uniform(-2, 2, size=shape)).softmax(axis).numpy()
    classes = shape[axis]
    weight = rng.uniform(0.5, 2.0, size=classes) if use_weight else None
    torch_weight = torch.tensor(weight) if use_weight else None
    check_op(lambda x, t: TF.cross_entropy(x, t, weight=torch_weight, reduction=reduction,
                                           label_smoothing=smoothing),
             lambda x, t: F.cross_entropy(x, t, weight=weight, reduction=reduction,
                                          label_smoothing=smoothing),
             arrays=[rng.uniform(-3, 3, size=shape), target])


def test_cross_entropy_one_hot_equals_labels_and_grad_is_softmax_minus_t_over_n():
    rng = np.random.default_rng(2)
    logits0 = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    one_hot = np.eye(4)[labels]
    x1 = manabu.tensor(logits0, requires_grad=True)
    x2 = manabu.tensor(logits0, requires_grad=True)
    F.cross_entropy(x1, labels).backward()
    F.cross_entropy(x2, one_hot).backward()
    softmax = np.exp(logits0) / np.exp(logits0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x1.grad.numpy(), (softmax - one_hot) / 5)
    np.testing.assert_allclose(x2.grad.numpy(), x1.grad.numpy())


def test_cross_entropy_custom_ignore_index_and_axis():
    rng = np.random.default_rng(3)
    labels = np.array([[0, 2, 1], [2, 2, 0]])
    logits = rng.uniform(-2, 2, size=(2, 3, 3))  # (N, d, C): classes last
    check_op(lambda x, t: TF.cross_entropy(x.movedim(-1, 1), t, ignore_index=2),
             lambda x, t: F.cross_entropy(x, t, ignore_index=2, axis=-1), arrays=[logits, labels])


def test_cross_entropy_is_stable_and_keeps_float32():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=np.float32)
    labels = np.array([1, 0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        x = manabu.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, labels)
        loss.backward()
    expected = TF.cross_entropy(torch.tensor(logits), torch.tensor(labels))
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0], [-0.5, 0.25, 0.25]], atol=1e-7)


@pytest.mark.parametrize("logits_shape, target, message", [
    ((32, 10), np.zeros(31, dtype=int),
     r"cross_entropy: logits \(32, 10\) and target \(31,\) do not match.*\(32,\)"),
    ((4, 3), np.zeros(4), r"target \(4,\) holds floats .* must be integers"),
    ((2, 3), np.array([0, 3]), r"label 3, outside 0..2 for 3 classes"),
    ((2, 3), np.array([0, -1]), r"label -1, outside 0..2"),
])
def test_cross_entropy_rejects_mismatched_targets(logits_shape, target, message):
    with pytest.raises(ValueError, match=message):
        F.cross_entropy(manabu.tensor(np.zeros(logits_shape)), target)


@pytest.mark.parametrize("wrap", [np.asarray, manabu.tensor])
@pytest.mark.parametrize("loss", [F.cross_entropy, lambda x, t: nn.CrossEntropyLoss()(x, t),
                                  F.nll_loss])
def test_bool_labels_are_refused_naming_the_dtype_and_the_fix(wrap, loss):
    """PyTorch refuses bool class labels too; the message names bool, not the shapes."""
    x = manabu.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\bbool\b.*target\.astype\(np\.int64\)"):
        loss(x, wrap(np.array([True, False, True, True])))


def test_cross_entropy_takes_a_bool_one_hot_like_a_float_one():
    logits = np.random.default_rng(0).standard_normal((4, 3))
    one_hot = np.eye(3, dtype=bool)[[0, 2, 1, 0]]
    expected = F.cross_entropy(manabu.tensor(logits), one_hot.astype(np.float64)).item()
    for target in (one_hot, manabu.tensor(one_hot)):  # an array and a Tensor alike
        assert F.cross_entropy(manabu.tensor(logits), target).item() == expected


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape, labels_shape, ignore, use_weight", [
    ((6, 4), (6,), 0, False), ((6, 4), (6,), 2, True), ((2, 3, 4), (2, 4), 3, False),
    ((3,), (), 0, True)])
def test_nll_loss_matches_torch(shape, labels_shape, ignore, use_weight, reduction):
    rng = np.random.default_rng(4)
    classes = shape[0] if len(shape) == 1 else shape[1]
    labels = _labels(rng, labels_shape, classes, ignore=ignore)
    weight = rng.uniform(0.5, 2, size=classes) if use_weight else None
    torch_weight = torch.tensor(weight) if use_weight else None
    check_op(lambda x, t: TF.nll_loss(x, t, weight=torch_weight, reduction=reduction),
             lambda x, t: F.nll_loss(x, t, weight=weight, reduction=reduction),
             arrays=[rng.uniform(-3, 0, size=shape), labels])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), (1, 1)])
@pytest.mark.parametrize("use_weight", [False, True])
def test_binary_cross_entropy_matches_torch(shape, reduction, use_weight):
    rng = np.random.default_rng(5)
    weight = rng.uniform(0.5, 2, size=shape[-1:]) if use_weight else None
    torch_weight = torch.tensor(weight) if use_weight else None
    check_op(lambda p, t: TF.binary_cross_entropy(p, t, weight=torch_weight, reduction=reduction),
             lambda p, t: F.binary_cross_entropy(p, t, weight=weight, reduction=reduction),
             arrays=[rng.uniform(0.05, 0.95, size=shape), rng.uniform(0, 1, size=shape)])


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(manabu.tensor(p), t, reduction="none")
    expected = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(loss.numpy(), expected.numpy())
    np.testing.assert_allclose(loss.numpy(), [100, 100, 0, 0])


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .*probabilities in \[0, 1\]"):
        F.binary_cross_entropy(manabu.tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (6,), (1, 1)])
@pytest.mark.parametrize("use_pos_weight, use_weight", [(False, False), (True, False),
                                                        (True, True)])
def test_bce_with_logits_matches_torch(shape, reduction, use_pos_weight, use_weight):
    rng = np.random.default_rng(6)
    pos_weight = rng.uniform(0.5, 3, size=shape[-1:]) if use_pos_weight else None
    weight = rng.uniform(0.5, 2, size=shape) if use_weight else None
    tpw = torch.tensor(pos_weight) if use_pos_weight else None
    tw = torch.tensor(weight) if use_weight else None
    check_op(lambda x, t: TF.binary_cross_entropy_with_logits(
                 x, t, weight=tw, reduction=reduction, pos_weight=tpw),
             lambda x, t: F.binary_cross_entropy_with_logits(
                 x, t, weight=weight, reduction=reduction, pos_weight=pos_weight),
             arrays=[rng.uniform(-4, 4, size=shape), rng.uniform(0, 1, size=shape)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_at_large_logits(dtype):
    x0 = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype)
    t0 = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        x = manabu.tensor(x0, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(x, t0, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0, 0, 1e4, 1e4, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 1, -1, -0.5], atol=1e-7)
    assert loss.dtype == dtype


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (3,), (2, 3, 2)])
def test_kl_div_matches_torch(shape, reduction, log_target):
    rng = np.random.default_rng(7)
    log_probs = torch.tensor(rng.uniform(-2, 2, size=shape)).log_softmax(-1).numpy()
    target = torch.tensor(rng.uniform(-2, 2, size=shape)).softmax(-1)
    target = (target.log() if log_target else target).numpy()
    check_op(lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target),
             lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
             arrays=[log_probs, target])


def test_kl_div_is_zero_where_the_target_is_zero():
    x0 = np.log(np.array([[0.2, 0.3, 0.5]]))
    t0 = np.array([[0.0, 0.4, 0.6]])
    x = manabu.tensor(x0, requires_grad=True)
    loss = F.kl_div(x, t0, reduction="batchmean")
    loss.backward()
    expected = TF.kl_div(torch.tensor(x0), torch.tensor(t0), reduction="batchmean")
    np.testing.assert_allclose(loss.item(), expected.item())
    np.testing.assert_allclose(x.grad.numpy(), -t0)


@pytest.mark.parametrize("loss_fn", [F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss,
                                     F.binary_cross_entropy, F.binary_cross_entropy_with_logits,
                                     F.kl_div])
def test_losses_check_reduction_and_shapes(loss_fn):
    name = loss_fn.__name__
    x = manabu.tensor(np.full((4, 1), 0.5))
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of .*'avg'"):
        loss_fn(x, np.full((4, 1), 0.5), reduction="avg")
    with pytest.raises(ValueError, match=rf"{name}: input \(4, 1\) and target \(4,\) must have"):
        loss_fn(x, np.full(4, 0.5))


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, F.nll_loss])
def test_classification_losses_check_reduction(loss_fn):
    with pytest.raises(ValueError, match=f"{loss_fn.__name__}: reduction must be one of"):
        loss_fn(manabu.tensor(np.zeros((2, 3))), np.array([0, 1]), reduction="batchmean")
