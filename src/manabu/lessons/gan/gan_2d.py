"""A GAN on the 8-Gaussian ring (敵対的生成ネットワーク): the generator must find all eight
modes of a 2-D mixture, and whether it does is counted, not guessed.

The real data (``data.gaussian_ring``): eight Gaussians of standard deviation 0.05 on the
unit circle. A generator (an MLP 2-64-64-2 fed z ~ N(0, I)) and a discriminator (2-64-64-1)
train in turns with ``train.fit_gan`` under three losses: the original minimax game, the
non-saturating generator loss (the same game, a stronger gradient for G early on) and the
Wasserstein loss with a gradient penalty (WGAN-GP: five critic steps per generator step,
lambda 0.1 as in Gulrajani et al.'s toy experiments). After every epoch, 2,000 samples are
scored by ``train.mode_coverage``: a sample within 3 standard deviations of a mode is a
high-quality one, and a mode is covered when at least 1% of the samples are high-quality
samples of it.

Figures: samples (blue) over the real data (grey) for each loss at four moments of
training, and the modes covered per epoch.

Expect (full: 4,096 points, 200 epochs of batches of 128, Adam 1e-3 with betas (0.5, 0.9);
measured 41 s on one core): modes covered / high-quality rate at the end: minimax 8/8 /
0.709, non-saturating 8/8 / 0.703, WGAN-GP 8/8 / 0.727. With networks this small and
balanced, all three find every mode; WGAN-GP's samples leave the ring least (the figure).
WGAN-GP gives G one step in five, so it starts slower: in quick mode (2,048 points, 60
epochs, 7 s) minimax 8/8 / 0.445, non-saturating 8/8 / 0.361, WGAN-GP 7/8 / 0.171.
"""

import os

import numpy as np

import manabu
from manabu import data, nn, optim, plot, train
from manabu.autograd import Tensor, no_grad

LOSSES = {  # name -> fit_gan options
    "minimax": {"loss": "minimax"},
    "non-saturating": {"loss": "non-saturating"},
    "WGAN-GP": {"loss": "wasserstein", "n_critic": 5, "gp_weight": 0.1},
}


def mlp(inputs, outputs, width=64):
    return nn.Sequential(nn.Linear(inputs, width), nn.ReLU(), nn.Linear(width, width),
                         nn.ReLU(), nn.Linear(width, outputs))


def train_on_ring(x, centres, epochs, snapshot_epochs, options):
    """Train one GAN; return (modes covered per epoch, high-quality rate per epoch,
    {epoch: samples})."""
    manabu.manual_seed(0)
    G, D = mlp(2, 2), mlp(2, 1)
    z = np.random.default_rng(1).standard_normal((2000, 2)).astype(np.float32)
    modes, quality, snapshots = [], [], {}

    def measure(epoch, history):
        with no_grad():
            samples = G(Tensor(z)).numpy()
        coverage = train.mode_coverage(samples, centres, std=0.05)
        modes.append(coverage["modes_covered"])
        quality.append(coverage["high_quality"])
        if epoch in snapshot_epochs:
            snapshots[epoch] = samples

    train.fit_gan(G, D, optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.9)),
                  optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.9)), x, latent_dim=2,
                  epochs=epochs, batch_size=128, verbose=0, on_epoch_end=measure, **options)
    return modes, quality, snapshots


def scatter_grid(x, runs, snapshot_epochs, path):
    plt = plot.pyplot()
    fig, axes = plt.subplots(len(runs), len(snapshot_epochs),
                             figsize=(2.6 * len(snapshot_epochs), 2.6 * len(runs)),
                             squeeze=False)
    for row, (name, (_, _, snapshots)) in enumerate(runs.items()):
        for col, epoch in enumerate(snapshot_epochs):
            ax = axes[row, col]
            ax.scatter(x[:1000, 0], x[:1000, 1], s=2, c="lightgrey")
            ax.scatter(snapshots[epoch][:, 0], snapshots[epoch][:, 1], s=2, c="tab:blue")
            ax.set_xlim(-1.6, 1.6)
            ax.set_ylim(-1.6, 1.6)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}, epoch {epoch}", fontsize=8)
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    n, epochs = (2048, 60) if quick else (4096, 200)
    x, centres = data.gaussian_ring(n, std=0.05)
    snapshot_epochs = [max(1, epochs // 20), epochs // 4, epochs // 2, epochs]
    runs = {name: train_on_ring(x, centres, epochs, snapshot_epochs, options)
            for name, options in LOSSES.items()}
    result = {}
    for name, (modes, quality, _) in runs.items():
        result[name] = {"modes_covered": modes[-1], "high_quality": quality[-1]}
        print(f"{name:15s} modes covered {modes[-1]}/8, high-quality samples {quality[-1]:.3f}")
    os.makedirs(out, exist_ok=True)
    figures = [
        scatter_grid(x, runs, snapshot_epochs, os.path.join(out, "gan_2d_samples.png")),
        plot.curves({name: modes for name, (modes, _, _) in runs.items()},
                    os.path.join(out, "gan_2d_modes.png"), ylabel="modes covered (of 8)",
                    title="8-Gaussian ring"),
    ]
    print("figures: " + ", ".join(figures))
    return {"coverage": result, "figures": figures}
