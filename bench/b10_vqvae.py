"""B10: VQ-VAE training steps on 28x28 digits: the conv encoder (64 channels, 2 residual
blocks, 28 -> 7), a codebook of 64 codes of size 16 learnt by its gradient (the codebook
loss; no EMA, no dead-code restart, so both sides compute the same thing), the
transposed-conv decoder; loss = mse(x_hat, x) + codebook + 0.25 commitment, Adam, batch 64
of mnist-10k, 10 steps. The PyTorch twin has the same module names and copied weights."""

import numpy as np

BATCH, STEPS, HIDDEN, BLOCKS, CODES, CODE_DIM, BETA = 64, 10, 64, 2, 64, 16, 0.25


def _torch_twin():
    """The VQVAE of manabu.models.vq_vae written in PyTorch, under the same state_dict keys."""
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.block = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels // 2, 3, padding=1),
                                       nn.ReLU(), nn.Conv2d(channels // 2, channels, 1))

        def forward(self, x):
            return self.block(x) + x

    class Quantizer(nn.Module):
        def __init__(self):
            super().__init__()
            self.codebook = nn.Parameter(torch.zeros(CODES, CODE_DIM))
            self.register_buffer("cluster_size", torch.ones(CODES))

        def forward(self, z):  # (N, D, H, W)
            z = z.permute(0, 2, 3, 1)  # (N, H, W, D)
            flat = z.reshape(-1, CODE_DIM)
            e = self.codebook
            d = (flat * flat).sum(1, keepdim=True) - 2 * flat @ e.T + (e * e).sum(1)  # (n, K)
            q = e[d.argmin(1)].reshape(z.shape)
            loss = ((z.detach() - q) ** 2).mean() + BETA * ((z - q.detach()) ** 2).mean()
            return (z + (q - z).detach()).permute(0, 3, 1, 2), loss

    class TorchVQVAE(nn.Module):
        def __init__(self):
            super().__init__()
            h = HIDDEN
            self.encoder = nn.Sequential(
                nn.Conv2d(1, h // 2, 4, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(h // 2, h, 4, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(h, h, 3, padding=1), *[Residual(h) for _ in range(BLOCKS)], nn.ReLU(),
                nn.Conv2d(h, CODE_DIM, 1))
            self.quantizer = Quantizer()
            self.decoder = nn.Sequential(
                nn.Conv2d(CODE_DIM, h, 3, padding=1), *[Residual(h) for _ in range(BLOCKS)],
                nn.ReLU(), nn.ConvTranspose2d(h, h // 2, 4, stride=2, padding=1), nn.ReLU(),
                nn.ConvTranspose2d(h // 2, 1, 4, stride=2, padding=1))

        def forward(self, x):
            z_q, vq_loss = self.quantizer(self.encoder(x))
            return self.decoder(z_q), vq_loss

    return TorchVQVAE()


def multiply_adds_per_image():
    """Multiply-adds of one image's forward pass: every convolution, and the distances."""
    h, m = HIDDEN, HIDDEN // 2
    res = BLOCKS * (m * h * 9 + h * m) * 49  # the residual blocks on the 7x7 grid
    encoder = h // 2 * 16 * 196 + h * (h // 2) * 16 * 49 + h * h * 9 * 49 + res + CODE_DIM * h * 49
    decoder = h * CODE_DIM * 9 * 49 + res + h * (h // 2) * 16 * 49 + (h // 2) * 16 * 196
    return encoder + decoder + 49 * CODES * CODE_DIM


def setup(quick=False, sides=("manabu", "torch")):
    import manabu
    from manabu import functional as F
    from manabu import nn, optim
    from manabu.models.vq_vae import VQVAE

    from bench.common import mnist_train

    steps = 2 if quick else STEPS
    x, _ = mnist_train(flatten=False, limit=BATCH * steps)
    data = [np.ascontiguousarray(x[i * BATCH:(i + 1) * BATCH]) for i in range(steps)]
    manabu.manual_seed(0)
    model = VQVAE(hidden_channels=HIDDEN, num_residual_blocks=BLOCKS, num_codes=CODES,
                  code_dim=CODE_DIM, beta=BETA, ema=False, dead_code_threshold=0)
    # codes spread like the encoder's outputs, so that most are in use from the start
    model.quantizer.codebook.data[...] = 0.3 * np.random.default_rng(0).standard_normal(
        (CODES, CODE_DIM)).astype(np.float32)
    m_opt = optim.Adam(model.parameters(), lr=1e-3)
    m_data = [manabu.Tensor(b) for b in data]
    run_torch = None
    if "torch" in sides:
        import torch

        twin = nn.copy_to_torch(model, _torch_twin())
        t_opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
        t_data = [torch.from_numpy(b) for b in data]

        def run_torch():
            for xb in t_data:
                x_hat, vq_loss = twin(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb) + vq_loss
                t_opt.zero_grad()
                loss.backward()
                t_opt.step()
            return loss.item()

    def run_manabu():
        for xb in m_data:
            x_hat, vq_loss, _ = model(xb)
            loss = F.mse_loss(x_hat, xb) + vq_loss
            m_opt.zero_grad()
            loss.backward()
            m_opt.step()
        return float(loss.data)

    return run_manabu, run_torch, 3 * 2 * multiply_adds_per_image() * BATCH * steps
