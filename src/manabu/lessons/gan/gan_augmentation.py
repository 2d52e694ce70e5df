"""Training a GAN on 1,000 digits: D memorises them, and augmentation is the cure.

With only 1,000 training images, D soon recognises each of them: its scores of real
images go to "certainly real", it stops generalising, and G's samples degrade. The same
DCGAN (width 32, non-saturating loss, Adam 2e-4) is trained five ways (``train.gan_augment``):

    none         plain
    DiffAugment  colour, translation and cutout on every image D sees, real and fake
    ADA          the same transformations with a probability p steered by
                 r_t = E[sign(D(real))] toward 0.6 (p rises as D overfits)
    bCR          no augmentation in D's game, a consistency penalty
                 10 |D(x) - D(T(x))|^2 on real and fake images
    APA          real images replaced by generated ones shown as real, with an adaptive p

Each is scored by the MNIST-FID of 2,000 samples against the test digits (the classifier
is trained on all 8,000 training digits, the GAN sees only the first 1,000).

Figures: the FID per epoch of each variant, and ADA's and APA's p over training.

Expect (full: 60 epochs = 960 steps, 20 min on 2 cores; quick: 4): measured FIDs after
60 epochs: none 61.5, DiffAugment 73.0, ADA 79.3 (p 1.0), bCR 329.1, APA 72.5 (p 0.54);
floor 8.17. D does overfit (ADA's r_t stays above 0.6 and drives p from 0 to 1 by epoch
25; APA's p settles near 0.65), but within this budget the plain GAN is still improving and
the augmented ones, whose D faces a harder task, trail it; the papers' gains come from
far longer runs, where the plain FID turns back up. bCR with this strong policy (cutout,
colour) pulls D's scores together so hard that G learns slowly.
"""

import os
import time

import numpy as np

import manabu
from manabu import models, optim, plot, train
from manabu.lessons.gan.common import EpochTracker, fid_judge, mnist_digits

WIDTH, LATENT, BATCH, LR, BETAS, SUBSET = 32, 100, 64, 2e-4, (0.5, 0.999), 1000


def variants():
    return {
        "none": {},
        "DiffAugment": {"augment": train.DiffAugment()},
        "ADA": {"augment": train.ADA()},
        "bCR": {"augment": train.DiffAugment(), "consistency_weight": 10.0},
        "APA": {"apa": train.APA()},
    }


def run(quick=False, out="lessons-output"):
    epochs = 4 if quick else 60
    (x_all, y_all), test = mnist_digits()
    judge = fid_judge((x_all, y_all), test)
    x = x_all[:SUBSET]
    fids, ps, table = {}, {}, {}
    for name, options in variants().items():
        manabu.manual_seed(0)
        G, D = models.DCGANGenerator(LATENT, width=WIDTH), models.DCGANDiscriminator(width=WIDTH)
        tracker = EpochTracker(judge, lambda n, s, G=G: models.sample_generator(G, n, seed=s))
        started = time.perf_counter()
        history = train.fit_gan(G, D, optim.Adam(G.parameters(), LR, betas=BETAS),
                                optim.Adam(D.parameters(), LR, betas=BETAS), x,
                                epochs=epochs, batch_size=BATCH, verbose=0,
                                on_epoch_end=tracker, **options)
        fids[name] = tracker.fids
        if not np.isnan(history["p"][-1]):
            ps[name] = history["p"]
        table[name] = {"fid": tracker.fids[-1], "best_fid": min(tracker.fids),
                       "p": history["p"][-1], "seconds": time.perf_counter() - started}
        print(f"{name:12s} FID {tracker.fids[-1]:7.2f} (best {min(tracker.fids):7.2f})"
              + (f"  p {history['p'][-1]:.3f}" if name in ps else "")
              + f"  {table[name]['seconds']:.0f} s")
    print(f"FID floor (real vs real, {judge.n} digits): {judge.floor:.2f}")
    os.makedirs(out, exist_ok=True)
    figures = [
        plot.curves(fids, os.path.join(out, "gan_augmentation_fid.png"), ylabel="MNIST-FID",
                    title=f"DCGAN on {SUBSET} digits", logy=True,
                    reference=(judge.floor, "floor (real vs real)")),
        plot.curves(ps, os.path.join(out, "gan_augmentation_p.png"), ylabel="p",
                    title="Adaptive probabilities over training"),
    ]
    print("figures: " + ", ".join(figures))
    return {"variants": table, "floor": judge.floor,
            "p_per_epoch": {k: list(map(float, v)) for k, v in ps.items()},
            "figures": figures}
