"""The variational autoencoder (変分自己符号化器, VAE): an autoencoder whose code is a
probability distribution, so that decoding a random code draws a new image.

The 784-400-20 VAE of Kingma & Welling (ReLU, Bernoulli decoder) learns the mnist-10k
training images by maximising the ELBO, log p(x|z) - KL(q(z|x) || N(0, I)), with the
reparameterisation z = mu + sigma * eps (``F.reparameterize``, ``models.VAELoss``).
Beside it, the same network built in PyTorch (``models.vae_torch.torch_vae``) starts from
the same weights and sees the same batches and the same noise eps: its test ELBO should
match manabu's. The ELBO is only a lower bound on log p(x); the importance-weighted
estimate with k = 100 samples (``models.iwae_log_likelihood``) is closer to it. A second
VAE with a 2-D code shows the latent manifold: decoding a grid of z values gives digits
that morph smoothly into each other.

Figures: the test ELBO per epoch (manabu and PyTorch), samples decoded from z ~ N(0, I),
and the manifold of the 2-D VAE over z in [-2.5, 2.5]^2.

Expect (full: 8,000 images, 30 epochs of batches of 128, Adam 1e-3; measured): test ELBO
-114.52 nats for manabu and -114.55 for PyTorch (a difference of 0.03 nats); IWAE
log p(x) with k = 100: -109.5 nats, 5 nats above the bound; the 2-D VAE's test ELBO
-168.2. Quick (2,000 images, 5 epochs, about 10 s): -201.41 for both, IWAE -193.6.
"""

import os

import numpy as np

import manabu
from manabu import models, nn, optim, plot
from manabu.autograd import Tensor, no_grad
from manabu.data import load_mnist_10k
from manabu.functional import gaussian_kl, reparameterize


def batches_and_noise(x, epochs, batch_size, latent_dim, seed=0):
    """The shuffled batches of every epoch and a noise draw eps for each: (indices, eps)."""
    rng = np.random.default_rng(seed)
    plan = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        epoch = [order[i:i + batch_size] for i in range(0, len(x), batch_size)]
        plan.append([(idx, rng.standard_normal((len(idx), latent_dim)).astype(np.float32))
                     for idx in epoch])
    return plan


def manabu_elbo(vae, x, eps):
    """The ELBO of each example with the given noise eps (N, Z)."""
    mu, logvar = vae.encode(x)
    z = reparameterize(mu, logvar, eps=eps)
    return vae.log_likelihood(vae.decode(z), x) - gaussian_kl(mu, logvar)


def train_both(x, x_test, epochs, latent_dim=20, with_torch=True):
    """Train manabu's VAE (and its PyTorch twin) on the same plan; test ELBO per epoch."""
    manabu.manual_seed(0)
    vae = models.VAE(input_shape=(784,), hidden_sizes=(400,), latent_dim=latent_dim)
    opt = optim.Adam(vae.parameters(), lr=1e-3)
    test_eps = np.random.default_rng(99).standard_normal((len(x_test), latent_dim)).astype(
        np.float32)
    twin = None
    if with_torch:
        import torch

        from manabu.models.vae_torch import torch_vae

        twin = nn.copy_to_torch(vae, torch_vae(vae))
        t_opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
    curves = {"manabu": [], "PyTorch": []}
    for epoch in batches_and_noise(x, epochs, 128, latent_dim):
        for idx, eps in epoch:
            loss = -manabu_elbo(vae, Tensor(x[idx]), eps).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if twin is not None:
                t_loss = twin.loss(torch.from_numpy(x[idx]), torch.from_numpy(eps))
                t_opt.zero_grad()
                t_loss.backward()
                t_opt.step()
        with no_grad():
            curves["manabu"].append(float(manabu_elbo(vae, Tensor(x_test), test_eps).numpy().mean()))
        if twin is not None:
            with torch.no_grad():
                curves["PyTorch"].append(float(twin.elbo(torch.from_numpy(x_test),
                                                         torch.from_numpy(test_eps)).mean()))
    return vae, curves


def manifold(vae2d, path, steps=15):
    grid = np.linspace(-2.5, 2.5, steps)
    z = np.array([[a, b] for b in grid[::-1] for a in grid], dtype=np.float32)
    tiles = vae2d.decode_latent(z).reshape(steps, steps, 28, 28)
    picture = tiles.transpose(0, 2, 1, 3).reshape(steps * 28, steps * 28)
    plt = plot.pyplot()
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(picture, cmap="gray", extent=(-2.5, 2.5, -2.5, 2.5))
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title("decoded grid of the 2-D latent space")
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    (x, _), (x_test, _) = load_mnist_10k(flatten=True)
    if quick:
        x, x_test = x[:2000], x_test[:500]
    epochs = 5 if quick else 30
    vae, curves = train_both(x, x_test, epochs)
    gap = abs(curves["manabu"][-1] - curves["PyTorch"][-1])
    iwae = float(models.iwae_log_likelihood(vae, x_test, k=100,
                                            generator=np.random.default_rng(0)).mean())
    print(f"test ELBO after {epochs} epochs: manabu {curves['manabu'][-1]:.2f} nats, "
          f"PyTorch {curves['PyTorch'][-1]:.2f} (difference {gap:.3f})")
    print(f"importance-weighted log p(x), k = 100: {iwae:.2f} nats (the ELBO is a lower bound)")
    vae2d, curves2d = train_both(x, x_test, epochs, latent_dim=2, with_torch=False)
    print(f"2-D VAE: test ELBO {curves2d['manabu'][-1]:.2f} nats")
    os.makedirs(out, exist_ok=True)
    figures = [
        plot.curves(curves, os.path.join(out, "vae_test_elbo.png"), ylabel="test ELBO (nats)",
                    title="VAE 784-400-20: manabu and PyTorch, same data and noise"),
        plot.image_grid(vae.sample(40, generator=np.random.default_rng(0)).reshape(40, 28, 28),
                        os.path.join(out, "vae_samples.png"), columns=10),
        manifold(vae2d, os.path.join(out, "vae_manifold_2d.png")),
    ]
    print("figures: " + ", ".join(figures))
    return {"test_elbo": curves["manabu"][-1], "torch_test_elbo": curves["PyTorch"][-1],
            "elbo_gap": gap, "iwae_log_px": iwae, "test_elbo_2d": curves2d["manabu"][-1],
            "figures": figures}
