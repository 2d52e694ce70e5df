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

Figures: 64 learned filters (each hidden unit's weights as a 28x28 image, scaled to its
own range), samples of the PCD model after 1,000 Gibbs steps from noise, and the two
measures per epoch (AIS runs after every epoch through ``train_rbm(on_epoch_end=...)``,
so the PCD chains and the momentum carry on across epochs).

Expect (full: 8,000 images, 15 epochs, AIS with 100 chains and 5,000 temperatures;
measured 394 s on one core): reconstruction error CD-1 0.0295, PCD 0.0320, yet the test
log-likelihood is -157.9 nats per image for CD-1 and -139.2 for PCD: CD-1 rebuilds its
inputs slightly better and models p(v) far worse (its negative samples never leave the
data, so it cannot see the modes it puts elsewhere). Small RBM: AIS 214.954 [214.943,
214.964] against the exact log Z 214.953. The Gibbs samples are digits, mostly 6s, 7s and
0s (the chains settle in a few deep modes). Quick (the same 8,000 images, 3 epochs, 64
hidden units, 500 test images, 1,000 temperatures; 18 s): reconstruction 0.054 and 0.066,
log-likelihood -284.6 and -195.8, AIS 243.062 against 243.056.
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
    log_likelihood = []

    def measure(epoch, rbm):  # after each epoch; the PCD chains carry on afterwards
        log_z, _ = rbm.ais_log_partition(num_chains=100, betas=ais_betas,
                                         generator=np.random.default_rng(epoch))
        log_likelihood.append(rbm.log_likelihood(x_test, log_z))

    history = train_rbm(rbm, x, epochs=epochs, batch_size=100, lr=0.05, momentum=0.5,
                        persistent=persistent, verbose=0, on_epoch_end=measure)
    return rbm, {"reconstruction": history["reconstruction_error"],
                 "log_likelihood": log_likelihood}


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
        x_test = x_test[:500]  # training is cheap; AIS on every epoch is what costs
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
        # each filter scaled to its own range: light pixels excite the hidden unit
        plot.image_grid(pcd.weight.data[:64].reshape(64, 28, 28),
                        os.path.join(out, "rbm_filters.png"), columns=16),
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
            "curves": curves,
            "ais_log_z": estimate, "ais_bounds": [low, high], "exact_log_z": exact,
            "figures": figures}
