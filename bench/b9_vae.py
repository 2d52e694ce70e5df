"""B9: one VAE epoch on mnist-10k: the 784-400-20 VAE of Kingma & Welling (ReLU, Bernoulli
decoder), negative ELBO, Adam, batch 128; both sides get the same batches and the same
noise eps for every batch (drawn once, in NumPy)."""

import numpy as np

from bench.common import batches, mnist_train

HIDDEN, LATENT, BATCH = 400, 20, 128


def setup(quick=False, sides=("manabu", "torch")):
    import manabu
    from manabu import nn, optim
    from manabu.functional.latent import reparameterize
    from manabu.models import VAE, VAELoss, VAEOutput

    x, _ = mnist_train(flatten=True, limit=1024 if quick else None)
    data = [a for a, _ in batches(x, np.zeros(len(x)), BATCH)]
    rng = np.random.default_rng(1)
    noise = [rng.standard_normal((len(a), LATENT)).astype(np.float32) for a in data]
    manabu.manual_seed(0)
    model = VAE(input_shape=(784,), hidden_sizes=(HIDDEN,), latent_dim=LATENT)
    m_opt = optim.Adam(model.parameters(), lr=1e-3)
    m_loss = VAELoss(model)
    m_data = [manabu.Tensor(a) for a in data]
    run_torch = None
    if "torch" in sides:
        import torch

        from manabu.models.vae_torch import torch_vae

        twin = nn.copy_to_torch(model, torch_vae(model))
        t_opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
        t_data = [torch.from_numpy(a) for a in data]
        t_noise = [torch.from_numpy(e) for e in noise]

        def run_torch():
            for a, eps in zip(t_data, t_noise):
                loss = twin.loss(a, eps)
                t_opt.zero_grad()
                loss.backward()
                t_opt.step()
            return loss.item()

    def run_manabu():
        for a, eps in zip(m_data, noise):
            mu, logvar = model.encode(a)
            z = reparameterize(mu, logvar, eps=eps)
            loss = m_loss(VAEOutput(model.decode(z), mu, logvar, z), a)
            m_opt.zero_grad()
            loss.backward()
            m_opt.step()
        return float(loss.data)

    multiply_adds = (784 * HIDDEN + HIDDEN * 2 * LATENT + LATENT * HIDDEN + HIDDEN * 784) * len(x)
    return run_manabu, run_torch, 3 * 2 * multiply_adds
