"""What the MNIST GAN lessons share: the digits scaled to [-1, 1], the MNIST-FID with its
floor, a per-epoch tracker (FID and a row of samples), and the PyTorch twin's loop."""

import numpy as np

from manabu import models, plot
from manabu.data import load_mnist_10k

FID_SAMPLES = 2000  # generated digits per FID; the floor is taken at the same size


def mnist_digits(limit=None):
    """((x in [-1, 1], y) training digits, (x in [0, 1], y) test digits) of mnist-10k."""
    (x, y), (x_test, y_test) = load_mnist_10k()
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return (2 * x - 1, y), (x_test, y_test)


class FIDJudge:
    """An MNISTFID trained on the training digits, the test digits' reference statistics
    and the real-vs-real floor at FID_SAMPLES samples."""

    def __init__(self, train_digits, test_digits, epochs=3):
        (x, y), (x_test, y_test) = train_digits, test_digits
        x01 = (x + 1) / 2
        self.fid = models.MNISTFID.fit(x01, y, epochs=epochs)
        self.accuracy = float((self.fid.classify(x_test) == y_test).mean())
        self.reference = self.fid.statistics(x_test)
        n = min(FID_SAMPLES, len(x01), len(x_test))
        self.n = n
        self.floor = self.fid.floor(x01, x_test, n)

    def score(self, images):
        """FID of generated images in [-1, 1]."""
        return self.fid.score(np.clip((images + 1) / 2, 0, 1), self.reference)

    def recognised(self, images, labels):
        """The share of generated images (in [-1, 1]) classified as ``labels``."""
        return float((self.fid.classify(np.clip((images + 1) / 2, 0, 1)) == labels).mean())


_JUDGES = {}


def fid_judge(train_digits, test_digits):
    """A FIDJudge for these digits, trained once per process (lessons run one after
    another in the tests share it)."""
    (x, _), (x_test, _) = train_digits, test_digits
    key = (x.shape, float(x.sum()), x_test.shape, float(x_test.sum()))
    if key not in _JUDGES:
        _JUDGES[key] = FIDJudge(train_digits, test_digits)
    return _JUDGES[key]


class EpochTracker:
    """fit_gan's on_epoch_end: the FID of n samples and a row of 8 fixed samples per epoch."""

    def __init__(self, judge, sample, n=None):
        self.judge, self.sample = judge, sample  # sample(n, seed) -> images in [-1, 1]
        self.n = n or judge.n
        self.fids, self.rows = [], []

    def __call__(self, epoch, history=None):
        self.fids.append(self.judge.score(self.sample(self.n, 1)))
        self.rows.append(self.sample(8, 2))


def sample_rows_figure(rows, path, every=1):
    """One row of samples per epoch (every ``every``-th epoch), labelled."""
    epochs = list(range(every - 1, len(rows), every)) or [len(rows) - 1]
    if epochs[-1] != len(rows) - 1:
        epochs.append(len(rows) - 1)
    images = np.concatenate([rows[e] for e in epochs])
    labels = [f"epoch {e + 1}" if i == 0 else "" for e in epochs for i in range(8)]
    return plot.image_grid((images + 1) / 2, path, labels=labels, columns=8)


def torch_fit_gan(G, D, x, epochs, batch_size, lr, betas, seed, on_epoch_end, labels=None):
    """fit_gan's non-saturating loop in PyTorch, drawing its shuffles and z from the same
    NumPy generator in the same order, so that the two runs differ only by arithmetic."""
    import torch
    import torch.nn.functional as TF

    g_opt = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    d_opt = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    rng = np.random.default_rng(seed)
    latent = G.project.in_features - (G.embed.embedding_dim if labels is not None else 0)
    for epoch in range(1, epochs + 1):
        G.train()
        D.train()
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            y = None if labels is None else torch.from_numpy(labels[index])
            z = torch.from_numpy(rng.standard_normal((len(index), latent)).astype(np.float32))
            with torch.no_grad():
                fake = G(z, y)
            real = torch.from_numpy(x[index])
            d_loss = TF.softplus(-D(real, y)).mean() + TF.softplus(D(fake, y)).mean()
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            z = torch.from_numpy(rng.standard_normal((len(index), latent)).astype(np.float32))
            g_loss = TF.softplus(-D(G(z, y), y)).mean()
            g_opt.zero_grad()
            g_loss.backward()
            g_opt.step()
        on_epoch_end(epoch)


def torch_sampler(G, latent_dim):
    """sample(n, seed) for the PyTorch twin: the same z as models.sample_generator."""
    import torch

    def sample(n, seed, labels=None):
        z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
        G.eval()
        with torch.no_grad():
            y = None if labels is None else torch.from_numpy(np.asarray(labels))
            out = G(torch.from_numpy(z), y).numpy()
        G.train()
        return out

    return sample
