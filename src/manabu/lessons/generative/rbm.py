"""The restricted Boltzmann machine (制限付きボルツマンマシン, RBM): a generative network of
binary units, trained by contrastive divergence, measured by its log-likelihood.

A Bernoulli RBM with 784 visible and 128 hidden units learns the binarised mnist-10k
training images (pixel > 0.5), once by CD-1 (the Gibbs chain restarts at the data at
every update) and once by persistent CD (PCD-1: the chains carry on between updates), SGD
with momentum. Two measures per epoch: the reconstruction error of one up-down pass
(cheap, but it says little about the model's distribution), and the test log-likelihood
log p(v) = -F(v) - log Z, with log Z estimated by annealed importance sampling
(``RBM.ais_log_partition``). AIS itself is checked on a small RBM (784 x 12 trained the
same way) whose log Z can be summed exactly over its 2^12 hidden states.

Figures: 64 learned filters (each hidden unit's weights as a 28x28 image), samples of the
PCD model after 1,000 Gibbs steps from noise, and the two measures per epoch.

Expect (full: 8,000 images, 15 epochs, AIS with 100 chains and 5,000 temperatures;
measured 322 s on one core): reconstruction error CD-1 0.0296, PCD 0.0314, yet the test
log-likelihood is -159.4 nats per image for CD-1 and -130.1 for PCD: CD-1 rebuilds its
inputs slightly better and models p(v) far worse (its negative samples never leave the
data, so it cannot see the modes it puts elsewhere). Small RBM: AIS 214.969 [214.958,
214.979] against the exact log Z 214.968. The Gibbs samples are digits, many of them 8s
(the chains settle in a few deep modes). Quick (2,000 images, 3 epochs, 64 hidden units,
1,000 temperatures, 11 s): reconstruction 0.073 and 0.093, log-likelihood -381.9 and
-255.9, AIS 306.878 against 306.873.
"""

import os

import numpy as np

import manabu
from manabu import plot
from manabu.data import load_mnist_10k
from manabu.models import RBM, train_rbm


def train_measured(x, x_test, hidden, epochs, persistent, ais_betas):
    """An RBM trained epoch by epoch, with the reconstruction error and AIS log p(v)."""
    manabu.manual_seed(0)
    rbm = RBM(784, hidden)
    curves = {"reconstruction": [], "log_likelihood": []}
    for epoch in range(epochs):
        history = train_rbm(rbm, x, epochs=1, batch_size=100, lr=0.05, momentum=0.5,
                            persistent=persistent, seed=epoch, verbose=0)
        log_z, _ = rbm.ais_log_partition(num_chains=100, betas=ais_betas,
                                         generator=np.random.default_rng(epoch))
        curves["reconstruction"].append(history["reconstruction_error"][-1])
        curves["log_likelihood"].append(rbm.log_likelihood(x_test, log_z))
    return rbm, curves


def ais_check(x, epochs, ais_betas):
    """(AIS estimate, its bounds, exact log Z) for a 784 x 12 RBM trained on x."""
    manabu.manual_seed(1)
    small = RBM(784, 12)
    train_rbm(small, x, epochs=epochs, batch_size=100, lr=0.05, verbose=0)
    estimate, bounds = small.ais_log_partition(num_chains=100, betas=ais_betas,
                                               generator=np.random.default_rng(0))
    return estimate, bounds, small.log_partition()


def samples(rbm, n=32, steps=1000):
    start = (np.random.default_rng(0).random((n, 784)) < 0.5).astype(np.float64)
    _, mean = rbm.gibbs(start, k=steps, generator=np.random.default_rng(1))
    return mean.reshape(n, 1, 28, 28)


def run(quick=False, out="lessons-output"):
    (x, _), (x_test, _) = load_mnist_10k(flatten=True)
    x, x_test = (x > 0.5).astype(np.float32), (x_test > 0.5).astype(np.float32)
    if quick:
        x, x_test = x[:2000], x_test[:500]
    hidden, epochs, betas = (64, 3, 1000) if quick else (128, 15, 5000)
    curves, models = {}, {}
    for name, persistent in (("CD-1", False), ("PCD-1", True)):
        models[name], curves[name] = train_measured(x, x_test, hidden, epochs, persistent,
                                                    betas)
        print(f"{name:5s}: reconstruction error {curves[name]['reconstruction'][-1]:.4f}, "
              f"test log-likelihood (AIS) {curves[name]['log_likelihood'][-1]:.1f} nats")
    estimate, (low, high), exact = ais_check(x, epochs, betas)
    print(f"small RBM 784 x 12: AIS log Z {estimate:.3f} [{low:.3f}, {high:.3f}], "
          f"exact {exact:.3f}")
    os.makedirs(out, exist_ok=True)
    pcd = models["PCD-1"]
    figures = [
        plot.image_grid(pcd.weight.data[:64].reshape(64, 28, 28),
                        os.path.join(out, "rbm_filters.png"), columns=16, cmap="seismic"),
        plot.image_grid(samples(pcd), os.path.join(out, "rbm_gibbs_samples.png"), columns=8),
        plot.curves({n: c["reconstruction"] for n, c in curves.items()},
                    os.path.join(out, "rbm_reconstruction_error.png"),
                    ylabel="reconstruction error (MSE)", title=f"RBM 784 x {hidden}"),
        plot.curves({n: c["log_likelihood"] for n, c in curves.items()},
                    os.path.join(out, "rbm_log_likelihood.png"),
                    ylabel="test log p(v), nats (AIS)", title=f"RBM 784 x {hidden}"),
    ]
    print("figures: " + ", ".join(figures))
    return {"reconstruction_error": {n: c["reconstruction"][-1] for n, c in curves.items()},
            "log_likelihood": {n: c["log_likelihood"][-1] for n, c in curves.items()},
            "ais_log_z": estimate, "ais_bounds": [low, high], "exact_log_z": exact,
            "figures": figures}
