"""Data augmentation (データ拡張, データの水増し): more training images from the ones we have.

First a gallery: each transform of ``manabu.data.transforms`` applied to the same MNIST
digits (rotation, scaling, translation, crop with padding, random erasing and cutout (the
notes' 虫食い画像), noise, brightness/contrast, a horizontal flip, mixup). Not all of them
suit digits: a flipped 2 or 3 is no longer a digit, so flips are left out of the training
below.

Then the point of it: with little data (500 training images of mnist-10k) the simple CNN
learns its training set by heart and generalises poorly. Training the same network the
same number of steps on randomly turned (up to 15 degrees), scaled (0.9-1.1), shifted (up
to 10%) and partly erased versions of the same 500 images, drawn afresh every epoch
(``TransformDataset`` over the ``TensorDataset``, batch by batch, vectorised), raises the
test accuracy on the 2,000 test images. Each setting is trained from 2 seeds and the
accuracies averaged.

Expect (full run: 500 images, 60 epochs of batches of 50, Adam lr 0.001, about 35 s on one
core): test accuracy 0.924 without augmentation (training accuracy 1.000: learnt by heart)
and 0.959 with it (seeds 0.955 and 0.964; training accuracy on the augmented images 0.94).
Quick mode (200 images, 20 epochs, 1 seed, 300 test images): 0.847 and 0.917.
"""

import os

import numpy as np

import manabu
from manabu import nn, optim, plot, train
from manabu.data import (
    ColorJitter, Compose, Cutout, GaussianNoise, RandomAffine, RandomCrop, RandomErasing,
    RandomHorizontalFlip, RandomRotation, TensorDataset, TransformDataset, load_mnist_10k,
    mixup,
)
from manabu.models import SimpleCNN


def gallery_transforms():
    """(name, transform) pairs for the gallery, strong enough to be seen."""
    return [
        ("rotation 30", RandomRotation(30)),
        ("scale 0.7-1.3", RandomAffine(scale=(0.7, 1.3))),
        ("shift 15%", RandomAffine(translate=(0.15, 0.15))),
        ("crop, pad 4", RandomCrop(28, padding=4)),
        ("random erasing", RandomErasing(p=1.0, scale=(0.05, 0.2))),
        ("cutout 10", Cutout(10)),
        ("noise 0.2", GaussianNoise(0.2, clip=(0.0, 1.0))),
        ("brightness, contrast", ColorJitter(brightness=0.5, contrast=0.5)),
        ("h. flip (wrong here)", RandomHorizontalFlip(p=1.0)),
    ]


def training_transform():
    """The augmentation used for training: mild, label-preserving."""
    return Compose([
        RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1)),
        RandomErasing(p=0.5, scale=(0.02, 0.15)),
    ])


def gallery(x, y, out, columns=6):
    """The figure: one row per transform over the same ``columns`` digits."""
    digits = []
    for d in range(columns):
        digits.append(int(np.flatnonzero(y == d)[0]))  # one example each of 0, 1, 2, ...
    originals = x[digits]  # (columns, 1, 28, 28)
    rows = [("original", originals)]
    for name, transform in gallery_transforms():
        rows.append((name, transform(originals)))
    onehot = np.eye(10, dtype=x.dtype)[y[digits]]
    mixed, _ = mixup(originals, onehot, alpha=1.0)
    rows.append(("mixup", mixed))
    images = np.concatenate([row for _, row in rows])  # (rows*columns, 1, 28, 28)
    # as RGB, which is drawn on the absolute 0..1 scale (grey levels are rescaled per
    # image, which would hide the brightness and contrast changes)
    images = np.clip(images, 0.0, 1.0).repeat(3, axis=1)  # (rows*columns, 3, 28, 28)
    labels = []
    for name, _ in rows:
        labels += [name] + [""] * (columns - 1)
    return plot.image_grid(images, os.path.join(out, "augmentation_gallery.png"),
                           labels=labels, columns=columns)


class TestEvery(train.Callback):
    """Test accuracy every ``every`` epochs (testing after each one would cost more than
    training on 500 images)."""

    def __init__(self, test, every):
        self.test, self.every = test, every
        self.accuracies = []

    def on_epoch_end(self, run, logs):
        if run.epoch % self.every == 0:
            result = train.evaluate(run.model, nn.CrossEntropyLoss(), self.test)
            self.accuracies.append(result["accuracy"])


def train_once(x, y, test, augment, epochs, seed, every):
    """Train a SimpleCNN; returns (training accuracy per epoch, test accuracy per ``every``
    epochs)."""
    manabu.manual_seed(seed)
    model = SimpleCNN()
    data = TensorDataset(x, y)
    if augment:
        data = TransformDataset(data, training_transform())
    tester = TestEvery(test, every)
    history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                        data, epochs=epochs, batch_size=50, seed=seed, callbacks=[tester],
                        verbose=0)
    return history["accuracy"], tester.accuracies


def run(quick=False, out="lessons-output"):
    (x_train, y_train), (x_test, y_test) = load_mnist_10k()  # (N, 1, 28, 28) in [0, 1]
    manabu.manual_seed(0)
    gallery_path = gallery(x_test, y_test, out)
    n_train, n_test, epochs, every, seeds = ((200, 300, 20, 20, (0,)) if quick
                                             else (500, 2000, 60, 5, (0, 1)))
    x, y = x_train[:n_train], y_train[:n_train]
    test = (x_test[:n_test], y_test[:n_test])
    print(f"MNIST: {n_train} training images, {n_test} test images; SimpleCNN, Adam lr 0.001, "
          f"{epochs} epochs of batches of 50; seeds {list(seeds)}")

    curves, results = {}, {}
    for augment in (False, True):
        name = "with augmentation" if augment else "without augmentation"
        runs = [train_once(x, y, test, augment, epochs, seed, every) for seed in seeds]
        train_curve = np.mean([train_accuracy for train_accuracy, _ in runs], axis=0)
        test_curve = np.mean([test_accuracy for _, test_accuracy in runs], axis=0)
        finals = [test_accuracy[-1] for _, test_accuracy in runs]
        curves[f"{name}: train"] = train_curve[every - 1::every]  # the epochs tested
        curves[f"{name}: test"] = test_curve
        results[name] = {"test_accuracy": float(test_curve[-1]),
                         "train_accuracy": float(train_curve[-1]),
                         "test_accuracy_per_seed": finals}
        print(f"{name:22s} training accuracy {train_curve[-1]:.3f}, test accuracy "
              f"{test_curve[-1]:.3f} (seeds: " + ", ".join(f"{a:.3f}" for a in finals) + ")")

    curves_path = plot.curves(curves, os.path.join(out, "augmentation_accuracy.png"),
                              xlabel=f"epoch / {every}", ylabel="accuracy",
                              title=f"{n_train} MNIST images: without and with augmentation")
    print(f"figures: {gallery_path}, {curves_path}")
    gain = (results["with augmentation"]["test_accuracy"]
            - results["without augmentation"]["test_accuracy"])
    return {"runs": results, "test_accuracy_gain": gain,
            "figures": [gallery_path, curves_path]}
