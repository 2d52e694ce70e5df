"""B11: DCGAN training steps on 28x28 digits: one D step (real and generated batches,
non-saturating loss with logits) and one G step per batch of 64, both Adam 2e-4 with betas
(0.5, 0.999); models.DCGANGenerator / DCGANDiscriminator at their defaults (latent 100,
width 64, batch norm), 10 steps of mnist-10k scaled to [-1, 1]. The PyTorch twins
(models/gan_torch.py) start from copied weights and see the same z."""

import numpy as np

BATCH, STEPS, LATENT, WIDTH = 64, 10, 100, 64


def multiply_adds_per_image():
    """Multiply-adds of one image through G and through D (forward)."""
    w = WIDTH
    g = LATENT * 2 * w * 49 + 2 * w * w * 16 * 49 + w * 16 * 196  # project, two ConvTs
    d = w * 16 * 196 + w * 2 * w * 16 * 49 + 2 * w * 49  # two convs, the head
    return g, d


def setup(quick=False, sides=("manabu", "torch")):
    import manabu
    from manabu import nn, optim, train
    from manabu.models.gan import DCGANDiscriminator, DCGANGenerator

    from bench.common import mnist_train

    steps = 2 if quick else STEPS
    x, _ = mnist_train(flatten=False, limit=BATCH * steps)
    real = [np.ascontiguousarray(2 * x[i * BATCH:(i + 1) * BATCH] - 1) for i in range(steps)]
    rng = np.random.default_rng(0)
    noise = [rng.standard_normal((2, BATCH, LATENT)).astype(np.float32) for _ in range(steps)]
    manabu.manual_seed(0)
    G, D = DCGANGenerator(LATENT, width=WIDTH), DCGANDiscriminator(width=WIDTH)
    g_opt = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    run_torch = None
    if "torch" in sides:
        import torch
        import torch.nn.functional as TF

        from manabu.models.gan_torch import torch_dcgan_discriminator, torch_dcgan_generator

        tG = nn.copy_to_torch(G, torch_dcgan_generator(G))
        tD = nn.copy_to_torch(D, torch_dcgan_discriminator(D))
        tg_opt = torch.optim.Adam(tG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        td_opt = torch.optim.Adam(tD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        t_real = [torch.from_numpy(b) for b in real]
        t_noise = [torch.from_numpy(z) for z in noise]

        def run_torch():
            for xb, z in zip(t_real, t_noise):
                with torch.no_grad():
                    fake = tG(z[0])
                d_loss = TF.softplus(-tD(xb)).mean() + TF.softplus(tD(fake)).mean()
                td_opt.zero_grad()
                d_loss.backward()
                td_opt.step()
                g_loss = TF.softplus(-tD(tG(z[1]))).mean()
                tg_opt.zero_grad()
                g_loss.backward()
                tg_opt.step()
            return g_loss.item()

    m_real = [manabu.Tensor(b) for b in real]
    m_noise = [(manabu.Tensor(z[0]), manabu.Tensor(z[1])) for z in noise]

    def run_manabu():
        for xb, (z_d, z_g) in zip(m_real, m_noise):
            with manabu.no_grad():
                fake = G(z_d)
            d_loss = train.discriminator_loss("non-saturating", D(xb), D(fake))
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            g_loss = train.generator_loss("non-saturating", D(G(z_g)))
            g_opt.zero_grad()
            g_loss.backward()
            g_opt.step()
        return float(g_loss.data)

    g, d = multiply_adds_per_image()
    # per step: G forward (no grad) + D on 2 batches (x3 for backward) + G and D forward,
    # backward through both for the G step
    flops = 2 * BATCH * steps * (g + 3 * 2 * d + 3 * (g + d))
    return run_manabu, run_torch, flops
