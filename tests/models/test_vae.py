"""VAE and cVAE: the negative ELBO and every gradient against the PyTorch twin (float64,
Bernoulli and Gaussian decoders, with labels), the importance-weighted log p(x), sampling,
training through fit (two inputs for the cVAE), save/load and the errors."""

import numpy as np
import pytest
import torch

import manabu
from manabu import data, models, nn, optim, train
from manabu.models.vae_torch import torch_vae


def _float64_model(cls=models.VAE, **options):
    manabu.manual_seed(0)
    manabu.set_default_dtype(np.float64)
    try:
        return cls(**options)
    finally:
        manabu.set_default_dtype(np.float32)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("conditional", [False, True])
def test_negative_elbo_and_gradients_equal_pytorch(likelihood, conditional):
    cls = models.CVAE if conditional else models.VAE
    extra = {"num_classes": 3} if conditional else {}
    vae = _float64_model(cls, input_shape=(1, 4, 4), hidden_sizes=(7, 5), latent_dim=3,
                         likelihood=likelihood, activation="tanh", **extra)
    if likelihood == "gaussian":
        vae.log_scale2.data[...] = 0.3
    twin = nn.copy_to_torch(vae, torch_vae(vae).double())
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(6, 1, 4, 4))
    labels = np.array([0, 1, 2, 2, 1, 0])
    manabu.manual_seed(11)  # forward draws eps from the global generator: take the same
    eps = np.random.default_rng(11).standard_normal((6, 3))
    output = vae(x, labels) if conditional else vae(x)
    loss = models.VAELoss(vae, beta=0.7)(output, x)
    loss.backward()
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(labels), 3).double() \
        if conditional else None
    t_loss = twin.loss(torch.from_numpy(x), torch.from_numpy(eps), one_hot, beta=0.7)
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    t_params = dict(twin.named_parameters())
    for name, p in vae.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_elbo_is_a_bound_that_importance_sampling_tightens():
    (x, _), (x_test, _) = data.load_mnist_10k()
    manabu.manual_seed(0)
    vae = models.VAE(hidden_sizes=(64,), latent_dim=4)
    train.fit(vae, models.VAELoss(vae), optim.Adam(vae.parameters(), 1e-3), (x[:2000], x[:2000]),
              epochs=2, batch_size=100, seed=0, verbose=0, metrics=())
    sample = x_test[:100]
    manabu.manual_seed(1)
    elbo = vae.elbo(sample).mean()
    estimates = [models.iwae_log_likelihood(vae, sample, k=k,
                                            generator=np.random.default_rng(2)).mean()
                 for k in (1, 10, 100)]
    assert estimates[0] == pytest.approx(elbo, abs=2.0)  # k = 1 is the ELBO (other noise)
    assert estimates[0] < estimates[1] < estimates[2]
    assert estimates[2] < 0


def test_iwae_with_one_sample_is_the_monte_carlo_elbo_with_the_same_noise():
    vae = _float64_model(input_shape=(5,), hidden_sizes=(4,), latent_dim=2)
    x = np.random.default_rng(0).uniform(size=(3, 5))
    iwae = models.iwae_log_likelihood(vae, x, k=1, generator=np.random.default_rng(4))
    eps = np.random.default_rng(4).standard_normal((3, 2))
    mu, logvar = (t.numpy() for t in vae.encode(x))
    z = mu + np.exp(0.5 * logvar) * eps
    log_px = vae.log_likelihood(vae.decode(z), x).numpy()
    log_pz = -0.5 * (z ** 2 + np.log(2 * np.pi)).sum(1)
    log_qz = -0.5 * (eps ** 2 + logvar + np.log(2 * np.pi)).sum(1)
    np.testing.assert_allclose(iwae, log_px + log_pz - log_qz, rtol=1e-10)


def test_cvae_trains_through_fit_with_two_inputs_and_samples_on_request():
    (x, y), _ = data.load_mnist_10k()
    manabu.manual_seed(0)
    cvae = models.CVAE(hidden_sizes=(64,), latent_dim=4)
    history = train.fit(cvae, models.VAELoss(cvae), optim.Adam(cvae.parameters(), 1e-3),
                        ((x[:1000], y[:1000]), x[:1000]), val_data=((x[1000:1200], y[1000:1200]),
                                                                    x[1000:1200]),
                        epochs=2, batch_size=100, seed=0, verbose=0)
    assert history.epochs[1]["loss"] < history.epochs[0]["loss"]
    assert "val_loss" in history.epochs[1] and "accuracy" not in history.epochs[1]
    images = cvae.sample(4, labels=[3, 3, 8, 1], generator=np.random.default_rng(0))
    assert images.shape == (4, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert cvae.elbo(x[:10], labels=y[:10]).shape == (10,)


def test_sample_decode_and_reconstruct_shapes_and_reproducibility():
    vae = models.VAE(hidden_sizes=(16,), latent_dim=2)
    a = vae.sample(5, generator=np.random.default_rng(0))
    b = vae.sample(5, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 3), np.linspace(-2, 2, 3)), -1).reshape(-1, 2)
    assert vae.decode_latent(grid).shape == (9, 1, 28, 28)
    x = np.zeros((2, 1, 28, 28), dtype=np.float32)
    assert vae.reconstruct(x).shape == (2, 1, 28, 28)


def test_vaes_save_and_load(assert_round_trip):
    for model in (models.VAE(hidden_sizes=(8,), latent_dim=2, likelihood="gaussian"),
                  models.CVAE(num_classes=4, hidden_sizes=(8,), latent_dim=2)):
        assert_round_trip(model)


def test_vae_errors_name_the_fix():
    with pytest.raises(ValueError, match="latent_dim must be at least 1"):
        models.VAE(latent_dim=0)
    with pytest.raises(ValueError, match="'bernoulli' or 'gaussian'"):
        models.VAE(likelihood="poisson")
    vae = models.VAE(hidden_sizes=(4,), latent_dim=2)
    with pytest.raises(ValueError, match=r"values in \[0, 1\], got 0 .. 255.*x / 255"):
        vae(np.full((2, 1, 28, 28), 255.0, dtype=np.float32) * np.array([0, 1])[:, None, None, None])
    cvae = models.CVAE(num_classes=3, hidden_sizes=(4,), latent_dim=2)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        cvae(np.zeros((2, 1, 28, 28), dtype=np.float32), [0, 5])
    with pytest.raises(ValueError, match="give the labels"):
        cvae.sample(2)
    with pytest.raises(ValueError, match="num_classes must be at least 2"):
        models.CVAE(num_classes=1)
    with pytest.raises(ValueError, match="k must be at least 1"):
        models.iwae_log_likelihood(vae, np.zeros((1, 784)), k=0)
    with pytest.raises(ValueError, match="beta must be non-negative"):
        models.VAELoss(vae, beta=-1)
