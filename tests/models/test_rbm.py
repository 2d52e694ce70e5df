"""RBM and DBN: the free energy against brute force and PyTorch, its gradient by central
differences, exact log Z by enumeration both ways (and block by block), AIS against the
exact value from either base distribution, the CD loss's gradient as the textbook
statistics, training by CD-1 and PCD (and its guard against non-finite values),
reproducible Gibbs sampling, the DBN's hand-over to an MLP, save/load and the errors."""

import itertools
import math

import numpy as np
import pytest
import torch

import manabu
from manabu import models
from manabu.autograd import Tensor
from manabu.gradcheck import gradcheck
from manabu import train
from manabu.models import rbm as rbm_module
from manabu.models.rbm import RBM, base_rate_bias, free_energy, train_rbm


def small_rbm(n_visible=5, n_hidden=3, visible="bernoulli", scale=0.7, seed=0, sigma=1.0):
    manabu.manual_seed(seed)
    manabu.set_default_dtype(np.float64)
    try:
        rbm = RBM(n_visible, n_hidden, visible=visible, sigma=sigma)
    finally:
        manabu.set_default_dtype(np.float32)
    rng = np.random.default_rng(seed)
    rbm.weight.data[...] = scale * rng.standard_normal(rbm.weight.shape)
    rbm.visible_bias.data[...] = 0.5 * rng.standard_normal(n_visible)
    rbm.hidden_bias.data[...] = 0.5 * rng.standard_normal(n_hidden)
    return rbm


def energy(rbm, v, h):
    W, b, c = rbm.weight.data, rbm.visible_bias.data, rbm.hidden_bias.data
    if rbm.visible == "gaussian":
        s = rbm.sigma
        return ((v - b) ** 2).sum() / (2 * s * s) - c @ h - h @ W @ v / s
    return -b @ v - c @ h - h @ W @ v


def all_states(n):
    return [np.array(bits, dtype=np.float64) for bits in itertools.product((0, 1), repeat=n)]


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_free_energy_is_minus_log_sum_over_hidden_states(visible):
    rbm = small_rbm(visible=visible, sigma=0.8)
    rng = np.random.default_rng(1)
    v = rng.uniform(size=(4, 5)) if visible == "bernoulli" else rng.standard_normal((4, 5))
    free = rbm.free_energy(v).numpy()
    for row, f in zip(v, free):
        brute = -math.log(sum(math.exp(-energy(rbm, row, h)) for h in all_states(3)))
        assert f == pytest.approx(brute, rel=1e-12)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_free_energy_gradient_equals_pytorch_and_central_differences(visible):
    rbm = small_rbm(visible=visible, sigma=1.3)
    v = np.random.default_rng(2).uniform(size=(6, 5))
    rbm.free_energy(v).sum().backward()
    W, b, c = (torch.tensor(p.data, requires_grad=True) for p in
               (rbm.weight, rbm.visible_bias, rbm.hidden_bias))
    tv = torch.from_numpy(v)
    hidden = torch.nn.functional.softplus(tv / (rbm.sigma if visible == "gaussian" else 1)
                                          @ W.T + c).sum(1)
    if visible == "gaussian":
        free = ((tv - b) ** 2).sum(1) / (2 * rbm.sigma ** 2) - hidden
    else:
        free = -(tv @ b) - hidden
    free.sum().backward()
    for mine, theirs in ((rbm.weight, W), (rbm.visible_bias, b), (rbm.hidden_bias, c)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)

    sigma = rbm.sigma if visible == "gaussian" else None
    gradcheck(lambda *params: free_energy(Tensor(v), *params, sigma=sigma),
              *(Tensor(p.data.copy(), requires_grad=True) for p in
                (rbm.weight, rbm.visible_bias, rbm.hidden_bias)))


def test_exact_log_partition_by_either_side_equals_brute_force():
    wide = small_rbm(n_visible=4, n_hidden=6)  # enumerates the 2^4 visible states
    tall = small_rbm(n_visible=6, n_hidden=4)  # enumerates the 2^4 hidden states
    for rbm in (wide, tall):
        brute = math.log(sum(math.exp(-energy(rbm, v, h))
                             for v in all_states(rbm.n_visible)
                             for h in all_states(rbm.n_hidden)))
        assert rbm.log_partition() == pytest.approx(brute, rel=1e-12)


def test_log_partition_summed_block_by_block_equals_one_block(monkeypatch):
    for rbm in (small_rbm(n_visible=4, n_hidden=7), small_rbm(n_visible=7, n_hidden=5),
                small_rbm(n_visible=3, n_hidden=6, visible="gaussian", sigma=0.7)):
        whole = rbm.log_partition()
        monkeypatch.setattr(rbm_module, "_CHUNK", 3)  # 2^n states in blocks of 3 rows
        assert rbm.log_partition() == pytest.approx(whole, rel=1e-13)
        monkeypatch.undo()


def test_gaussian_log_partition_makes_the_density_integrate_to_one():
    rbm = small_rbm(n_visible=2, n_hidden=3, visible="gaussian", sigma=0.9, scale=0.5)
    grid = np.linspace(-8, 8, 401)
    points = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    density = np.exp(-rbm.free_energy(points).numpy() - rbm.log_partition())
    assert density.sum() * (grid[1] - grid[0]) ** 2 == pytest.approx(1.0, rel=1e-6)


def test_the_exact_likelihood_is_normalised():
    rbm = small_rbm(n_visible=5, n_hidden=4)
    log_z = rbm.log_partition()
    total = sum(math.exp(rbm.log_likelihood(v[None], log_z)) for v in all_states(5))
    assert total == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_ais_estimate_is_close_to_the_exact_log_partition(visible):
    # weights of std 0.5 over 20 x 12 units: p(v) has several modes, Z spans 2^12 states
    rbm = small_rbm(n_visible=20, n_hidden=12, visible=visible, scale=0.5, seed=3)
    exact = rbm.log_partition()
    samples, _ = rbm.gibbs(np.zeros((500, 20)), k=200, generator=np.random.default_rng(7))
    near_data = base_rate_bias(samples) if visible == "bernoulli" else samples.mean(0)
    widths = []
    for base in (None, near_data):  # the RBM's own visible biases, then the "data's"
        estimate, (low, high) = rbm.ais_log_partition(
            num_chains=200, betas=2000, generator=np.random.default_rng(0),
            base_visible_bias=base)
        # measured: within 0.013 of exact, bounds 0.02 to 0.09 wide (3 standard errors)
        assert abs(estimate - exact) < 0.05, (estimate, exact)
        assert low <= estimate <= high and high - low < 0.3
        widths.append(high - low)
    assert widths[1] < 0.5 * widths[0]  # a base close to p(v) makes the weights agree


def test_base_rate_bias_is_the_logit_of_each_column_mean():
    x = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0]], dtype=float)
    np.testing.assert_allclose(base_rate_bias(x)[[0, 2]], [math.log(1 / 3), 0.0], atol=1e-12)
    assert base_rate_bias(x, eps=0.01)[1] == pytest.approx(math.log(99))  # clipped, finite
    rbm = RBM(4, 3)
    rbm.weight.data[...] = 0
    rbm.visible_bias.data[...] = base_rate_bias(x)
    np.testing.assert_allclose(rbm.visible_mean(np.zeros((1, 3)))[0],
                               np.clip(x.mean(0), 1e-3, 1 - 1e-3), rtol=1e-5)


def test_cd_loss_gradient_is_the_data_minus_model_statistics():
    rbm = small_rbm(n_visible=6, n_hidden=4)
    v = (np.random.default_rng(4).uniform(size=(8, 6)) < 0.5).astype(np.float64)
    model_v, _ = rbm.gibbs(v, k=1, generator=np.random.default_rng(5))
    loss = rbm.contrastive_divergence(v, k=1, generator=np.random.default_rng(5))
    loss.backward()
    p_data, p_model = rbm.hidden_probs(v), rbm.hidden_probs(model_v)
    positive = p_data.T @ v / len(v)  # <h v>_data
    negative = p_model.T @ model_v / len(v)  # <h v>_model
    np.testing.assert_allclose(-rbm.weight.grad.numpy(), positive - negative, rtol=1e-12)
    np.testing.assert_allclose(-rbm.visible_bias.grad.numpy(),
                               v.mean(0) - model_v.mean(0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(-rbm.hidden_bias.grad.numpy(),
                               p_data.mean(0) - p_model.mean(0), rtol=1e-12)


def test_gibbs_sampling_is_reproducible_and_binary():
    rbm = small_rbm()
    v = np.ones((3, 5))
    a, mean = rbm.gibbs(v, k=5, generator=np.random.default_rng(9))
    b, _ = rbm.gibbs(v, k=5, generator=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 1.0} and np.all((mean > 0) & (mean < 1))


@pytest.mark.parametrize("persistent", [False, True])
def test_cd1_and_pcd_training_lower_the_reconstruction_error(persistent):
    (x, _), _ = manabu.data.load_mnist_10k(flatten=True)
    x = x[:500]
    manabu.manual_seed(0)
    rbm = RBM(784, 32)
    before = rbm.reconstruction_error(x)
    history = train_rbm(rbm, x, epochs=3, batch_size=50, lr=0.1, persistent=persistent,
                        verbose=0)
    assert history["reconstruction_error"][-1] < 0.8 * before
    assert len(history["free_energy_gap"]) == 3
    assert (rbm.chains is not None) == persistent


def test_pcd_chains_carry_on_through_the_epoch_callback():
    x = (np.random.default_rng(0).random((60, 8)) < 0.3).astype(np.float64)
    rbm = small_rbm(n_visible=8, n_hidden=4)
    seen = []

    def remember(epoch, model):
        seen.append((epoch, model.chains.copy()))

    train_rbm(rbm, x, epochs=3, batch_size=20, persistent=True, verbose=0,
              on_epoch_end=remember)
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    # the chains at the end of an epoch are the start of the next: never the data again
    assert not any(np.array_equal(chains, x[:20]) for _, chains in seen)
    assert not np.array_equal(seen[0][1], seen[1][1])


@pytest.mark.parametrize("poison", ["loss", "gradient"])
def test_a_non_finite_loss_or_gradient_stops_training_before_the_update(poison, monkeypatch):
    rbm = small_rbm(n_visible=6, n_hidden=3)
    before = [p.data.copy() for p in rbm.parameters()]
    honest = RBM.contrastive_divergence

    def poisoned(self, *args, **kwargs):
        loss = honest(self, *args, **kwargs)
        if poison == "loss":
            return loss * math.nan
        return loss + (self.weight * 0.0).sqrt().sum()  # finite value, d sqrt(0) = inf

    monkeypatch.setattr(RBM, "contrastive_divergence", poisoned)
    error = train.NonFiniteLossError if poison == "loss" else train.NonFiniteGradientError
    with pytest.raises(error, match="train_rbm.*not updated"), \
            np.errstate(invalid="ignore", divide="ignore"):  # the poison's own warnings
        train_rbm(rbm, np.ones((10, 6)), epochs=1, batch_size=5, verbose=0)
    for old, param in zip(before, rbm.parameters()):
        np.testing.assert_array_equal(param.data, old)


def test_dbn_hands_its_weights_to_an_mlp():
    (x, _), _ = manabu.data.load_mnist_10k(flatten=True)
    manabu.manual_seed(0)
    dbn = models.DBN(sizes=(784, 32, 16))
    histories = dbn.pretrain(x[:300], epochs=2, batch_size=50, verbose=0)
    assert [len(h["reconstruction_error"]) for h in histories] == [2, 2]
    mlp = dbn.to_mlp(num_classes=10)
    with manabu.no_grad():
        top = mlp.layers[:-1](Tensor(x[:5].astype(np.float32))).numpy()
    np.testing.assert_allclose(top, dbn.transform(x[:5]), rtol=1e-5, atol=1e-6)


def test_rbm_and_dbn_save_and_load(assert_round_trip):
    for model in (RBM(6, 4, visible="gaussian", sigma=0.5), models.DBN(sizes=(6, 4, 2))):
        assert_round_trip(model)


def test_rbm_errors_name_the_fix():
    rbm = RBM(4, 2)
    with pytest.raises(ValueError, match=r"values in \[0, 1\].*visible='gaussian'"):
        rbm.free_energy(np.full((2, 4), 3.0))
    with pytest.raises(ValueError, match=r"expected visible units \(N, 4\)"):
        rbm.hidden_probs(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"got shape \(4,\).*v\[None\]"):
        rbm.free_energy(np.zeros(4))
    with pytest.raises(ValueError, match="NaN or inf"):
        rbm.reconstruction_error(np.full((1, 4), np.nan))
    with pytest.raises(ValueError, match="n_hidden must be at least 1"):
        RBM(4, 0)
    with pytest.raises(ValueError, match="n_visible must be at least 1"):
        RBM(0, 4)
    with pytest.raises(ValueError, match="sigma must be positive"):
        RBM(4, 2, visible="gaussian", sigma=0.0)
    with pytest.raises(ValueError, match="'bernoulli' or 'gaussian'"):
        RBM(4, 2, visible="poisson")
    with pytest.raises(ValueError, match="ais_log_partition"):
        RBM(784, 64).log_partition()
    with pytest.raises(ValueError, match="betas must increase"):
        rbm.ais_log_partition(betas=[0.0, 0.7, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"base_visible_bias needs shape \(4,\)"):
        rbm.ais_log_partition(betas=10, base_visible_bias=np.zeros(5))
    with pytest.raises(ValueError, match="k must be at least 1"):
        rbm.gibbs(np.zeros((1, 4)), k=0)
