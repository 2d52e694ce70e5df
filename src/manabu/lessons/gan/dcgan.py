"""DCGAN on MNIST (Radford et al., 2016): a generator of transposed convolutions learns to
draw digits against a convolutional discriminator, and the result is measured, not just
looked at.

The pair is ``models.DCGANGenerator`` / ``models.DCGANDiscriminator`` (width 32, z of 100,
batch norm), trained by ``train.fit_gan`` with the non-saturating loss, Adam 2e-4 with
betas (0.5, 0.999), batches of 64. After every epoch, 2,000 samples are scored by an
MNIST-FID (``models.MNISTFID``: the features of a SimpleCNN trained on the same digits,
against the test digits), printed beside its floor: the FID of 2,000 real training digits,
which no generator can be expected to beat.

The same networks in PyTorch (``models.gan_torch``, weights copied at the start, the same
shuffles and the same z drawn from the same generator) are trained the same way, for three
seeds each in full mode: the two FIDs should agree within 20% (medians).

Figures: a row of samples (the same z) per epoch, the FID per epoch for both, and a grid
of 64 final samples.

Expect (full: mnist-10k's 8,000 training digits, 15 epochs, 3 seeds; measured 13 min on 2
cores): median FID manabu 47.85, PyTorch 47.92 (0.1% apart), floor 8.17; the FID falls from
343 after one epoch and levels off near 48 from epoch 11. Quick mode (2 epochs, one seed,
30 s) stops at blurry strokes, FID about 256.
"""

import os
import time

import numpy as np

import manabu
from manabu import models, nn, optim, plot, train
from manabu.lessons.gan.common import (
    EpochTracker, fid_judge, mnist_digits, sample_rows_figure, torch_fit_gan, torch_sampler,
)

WIDTH, LATENT, BATCH, LR, BETAS = 32, 100, 64, 2e-4, (0.5, 0.999)


def train_both(x, judge, epochs, seed):
    """One seed: manabu's DCGAN and its PyTorch twin from the same start; their trackers
    and seconds."""
    from manabu.models.gan_torch import torch_dcgan_discriminator, torch_dcgan_generator

    manabu.manual_seed(seed)
    G, D = models.DCGANGenerator(LATENT, width=WIDTH), models.DCGANDiscriminator(width=WIDTH)
    tG = nn.copy_to_torch(G, torch_dcgan_generator(G))
    tD = nn.copy_to_torch(D, torch_dcgan_discriminator(D))
    ours = EpochTracker(judge, lambda n, s: models.sample_generator(G, n, seed=s))
    started = time.perf_counter()
    train.fit_gan(G, D, optim.Adam(G.parameters(), LR, betas=BETAS),
                  optim.Adam(D.parameters(), LR, betas=BETAS), x, epochs=epochs,
                  batch_size=BATCH, loss="non-saturating", seed=seed, verbose=0,
                  on_epoch_end=ours)
    seconds = time.perf_counter() - started
    theirs = EpochTracker(judge, torch_sampler(tG, LATENT))
    started = time.perf_counter()
    torch_fit_gan(tG, tD, x, epochs, BATCH, LR, BETAS, seed, theirs)
    return G, ours, theirs, seconds, time.perf_counter() - started


def run(quick=False, out="lessons-output"):
    epochs, seeds = (2, [0]) if quick else (15, [0, 1, 2])
    (x, y), test = mnist_digits()
    judge = fid_judge((x, y), test)
    print(f"FID classifier: test accuracy {judge.accuracy:.3f}; FID floor (real vs real, "
          f"{judge.n} digits) {judge.floor:.2f}")
    runs = [train_both(x, judge, epochs, seed) for seed in seeds]
    for seed, (_, ours, theirs, s_ours, s_theirs) in zip(seeds, runs):
        print(f"seed {seed}: FID manabu {ours.fids[-1]:.2f} ({s_ours:.0f} s), PyTorch "
              f"{theirs.fids[-1]:.2f} ({s_theirs:.0f} s)")
    fid_ours = float(np.median([r[1].fids[-1] for r in runs]))
    fid_theirs = float(np.median([r[2].fids[-1] for r in runs]))
    gap = abs(fid_theirs - fid_ours) / fid_ours
    print(f"median FID: manabu {fid_ours:.2f}, PyTorch {fid_theirs:.2f} ({100 * gap:.1f}% "
          f"apart; floor {judge.floor:.2f})")
    os.makedirs(out, exist_ok=True)
    G, ours, theirs = runs[0][:3]
    curves = {"manabu": ours.fids, "PyTorch": theirs.fids}
    figures = [
        sample_rows_figure(ours.rows, os.path.join(out, "dcgan_samples_per_epoch.png")),
        plot.curves(curves, os.path.join(out, "dcgan_fid.png"), ylabel="MNIST-FID",
                    title="DCGAN: FID per epoch (seed 0)",
                    reference=(judge.floor, "floor (real vs real)")),
        plot.image_grid((models.sample_generator(G, 64, seed=3) + 1) / 2,
                        os.path.join(out, "dcgan_final_samples.png")),
    ]
    print("figures: " + ", ".join(figures))
    return {"fid_manabu": fid_ours, "fid_pytorch": fid_theirs, "relative_gap": gap,
            "floor": judge.floor, "fid_per_epoch": ours.fids,
            "classifier_accuracy": judge.accuracy, "figures": figures}
