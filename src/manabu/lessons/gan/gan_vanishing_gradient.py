"""The vanishing gradient of the original GAN: as D learns to tell G's digits from real
ones, the minimax generator loss stops teaching G anything.

G is held fixed (an untrained MLP generator of 28x28 images) while D trains alone on
MNIST digits against it, getting stronger step by step. Every few steps the gradient of
each generator loss with respect to G's parameters is measured, on the same z:

    minimax         loss_G = log(1 - sigmoid(D(G(z))))   its slope in D's logit f is
                    -sigmoid(f): once D is sure (f << 0) it is ~e^f, and the gradient dies
    non-saturating  loss_G = -log sigmoid(D(G(z)))       slope -(1 - sigmoid(f)) ~ -1
    Wasserstein     loss_G = -D(G(z)), with a critic kept 1-Lipschitz by a gradient
                    penalty (WGAN-GP): the slope is the critic's, bounded and not zero

The first two share one discriminator (trained with the usual cross-entropy); the
Wasserstein critic trains on the same batches with its own loss.

Figures: |grad_G| for the three losses against D's steps (log scale), and D's mean
probability that G's digits are real, D(G(z)).

Expect (full: 600 D steps, 15 s; quick: 150, 4 s): the minimax gradient falls by orders
of magnitude as D(G(z)) goes to 0 (measured: 3.07 -> 0.003, 1,000-fold, as D(G(z)) goes
from 0.60 to 0.0004), the non-saturating one grows (2.02 -> 6.74), the Wasserstein one
stays within a small factor of where it began (5.1 -> 8.8).
"""

import os

import numpy as np

import manabu
from manabu import models, optim, plot, train
from manabu.autograd import Tensor, grad
from manabu.functional.activation import sigmoid
from manabu.lessons.gan.common import mnist_digits

LATENT, HIDDEN, BATCH = 64, (256,), 64
LOSSES = ("minimax", "non-saturating", "Wasserstein")


def generator_gradient_norm(G, D, z, kind):
    """|d loss_G / d theta_G| for D's scores of G(z)."""
    scores = D(G(z))
    loss = train.generator_loss("wasserstein" if kind == "Wasserstein" else kind, scores)
    grads = grad(loss, list(G.parameters()))
    return float(np.sqrt(sum(float((g.numpy().astype(np.float64) ** 2).sum()) for g in grads)))


def run(quick=False, out="lessons-output"):
    steps, every = (150, 10) if quick else (600, 20)
    (x, _), _ = mnist_digits()
    manabu.manual_seed(0)
    G = models.MLPGenerator(LATENT, (1, 28, 28), HIDDEN, tanh=True)
    D = models.MLPDiscriminator((1, 28, 28), HIDDEN)
    critic = models.MLPDiscriminator((1, 28, 28), HIDDEN)
    d_opt = optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    c_opt = optim.Adam(critic.parameters(), 2e-4, betas=(0.5, 0.9))
    rng = np.random.default_rng(0)
    z_probe = Tensor(rng.standard_normal((256, LATENT)).astype(np.float32))
    norms = {kind: [] for kind in LOSSES}
    fooled, at = [], []
    for step in range(steps + 1):
        if step % every == 0:
            for kind in ("minimax", "non-saturating"):
                norms[kind].append(generator_gradient_norm(G, D, z_probe, kind))
            norms["Wasserstein"].append(generator_gradient_norm(G, critic, z_probe,
                                                                "Wasserstein"))
            with manabu.no_grad():
                fooled.append(float(sigmoid(D(G(z_probe))).numpy().mean()))
            at.append(step)
        if step == steps:
            break
        real = Tensor(x[rng.choice(len(x), BATCH, replace=False)])
        with manabu.no_grad():
            fake = G(Tensor(rng.standard_normal((BATCH, LATENT)).astype(np.float32)))
        for model, opt, loss in ((D, d_opt, "non-saturating"), (critic, c_opt, "wasserstein")):
            d_loss = train.discriminator_loss(loss, model(real), model(fake))
            if loss == "wasserstein":
                d_loss = d_loss + train.gradient_penalty(model, real, fake, 10.0, rng)
            opt.zero_grad()
            d_loss.backward()
            opt.step()
    for kind in LOSSES:
        print(f"{kind:15s} |grad_G| at D step 0: {norms[kind][0]:.3g}, at step {steps}: "
              f"{norms[kind][-1]:.3g} ({norms[kind][-1] / norms[kind][0]:.3g}x)")
    print(f"D(G(z)) went from {fooled[0]:.3f} to {fooled[-1]:.2e}")
    os.makedirs(out, exist_ok=True)
    figures = [
        plot.curves(norms, os.path.join(out, "gan_vanishing_gradient.png"), x=at,
                    xlabel="D steps (G fixed)", ylabel="|gradient of loss_G w.r.t. G|",
                    title="The generator's gradient as D gets stronger", logy=True),
        plot.curves({"D(G(z))": fooled}, os.path.join(out, "gan_vanishing_d_of_g.png"), x=at,
                    xlabel="D steps (G fixed)", ylabel="D's probability G's digits are real",
                    logy=True),
    ]
    print("figures: " + ", ".join(figures))
    return {"steps": at, "gradient_norms": norms, "d_of_g": fooled, "figures": figures}
