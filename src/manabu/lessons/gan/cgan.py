"""A conditional GAN (cGAN; Mirza & Osindero, 2014): the digit to draw is a vector inserted
into the generator, so the output can be asked for.

The pair is DCGAN's (``models.DCGANGenerator`` / ``models.DCGANDiscriminator`` with
``num_classes=10``). G receives z and a learned embedding of the label y, concatenated;
D takes y by projection (Miyato & Koyama, 2018): its score is w^T phi(x) + e(y)^T phi(x),
so it rejects a convincing 3 that was supposed to be a 7. ``train.fit_gan`` gets
``(digits, labels)`` and generates each batch's fakes for that batch's own labels.

Then 100 digits are requested of each class and read back by a SimpleCNN trained on real
digits (the one behind the MNIST-FID). The share it recognises as the requested digit is
the cGAN's recognition rate; the FID of all 1,000 is printed beside its floor.

Figures: a grid with one row per requested digit (the same ten z in every row, so a
column keeps its style: slant, thickness), and the recognition rate per digit.

Expect (full: 8,000 digits, 15 epochs, 4 min on 2 cores): 0.937 recognised (per digit 0.56
for the 8s to 1.00), FID 39.7 for the 1,000. Quick mode (3 epochs): about 0.9 already,
FID about 112; one digit (the 9s) may still be drawn as another.
"""

import os

import numpy as np

import manabu
from manabu import models, optim, plot, train
from manabu.lessons.gan.common import fid_judge, mnist_digits

WIDTH, LATENT, BATCH, LR, BETAS, PER_DIGIT = 32, 100, 64, 2e-4, (0.5, 0.999), 100


def per_digit_bars(per_digit, path):
    plt = plot.pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(range(10), per_digit, color="tab:blue")
    ax.axhline(0.9, color="grey", linestyle="--", label="90%")
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit asked for")
    ax.set_ylabel("recognised as asked")
    ax.legend()
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    epochs = 3 if quick else 15
    (x, y), test = mnist_digits()
    judge = fid_judge((x, y), test)
    manabu.manual_seed(0)
    G = models.DCGANGenerator(LATENT, width=WIDTH, num_classes=10)
    D = models.DCGANDiscriminator(width=WIDTH, num_classes=10)
    train.fit_gan(G, D, optim.Adam(G.parameters(), LR, betas=BETAS),
                  optim.Adam(D.parameters(), LR, betas=BETAS), (x, y), epochs=epochs,
                  batch_size=BATCH, loss="non-saturating", verbose=0)
    asked = np.repeat(np.arange(10), PER_DIGIT)  # digit-major
    images = models.sample_generator(G, len(asked), labels=asked, seed=1)
    hits = judge.fid.classify(np.clip((images + 1) / 2, 0, 1)) == asked
    per_digit = hits.reshape(10, PER_DIGIT).mean(axis=1)
    rate = float(hits.mean())
    fid = judge.score(images)
    floor = judge.fid.floor((x + 1) / 2, test[0], len(asked))  # at the same sample size
    print(f"classifier test accuracy {judge.accuracy:.3f}")
    print(f"generated digits recognised as the one asked for: {rate:.3f} (per digit "
          + " ".join(f"{d}:{r:.2f}" for d, r in enumerate(per_digit)) + ")")
    print(f"FID of the 1,000: {fid:.2f} (floor {floor:.2f}: 1,000 real digits)")
    os.makedirs(out, exist_ok=True)
    styles = np.random.default_rng(2).standard_normal((10, LATENT)).astype(np.float32)
    G.eval()
    with manabu.no_grad():
        rows = G(manabu.tensor(np.tile(styles, (10, 1))), np.repeat(np.arange(10), 10)).numpy()
    G.train()
    figures = [
        plot.image_grid((rows + 1) / 2, os.path.join(out, "cgan_one_row_per_digit.png"),
                        labels=[f"asked {d}" if i == 0 else "" for d in range(10)
                                for i in range(10)], columns=10),
        per_digit_bars(per_digit, os.path.join(out, "cgan_recognised_per_digit.png")),
    ]
    print("figures: " + ", ".join(figures))
    return {"recognition_rate": rate, "per_digit": per_digit.tolist(), "fid": fid,
            "floor": floor, "classifier_accuracy": judge.accuracy, "figures": figures}
