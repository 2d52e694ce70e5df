"""Greedy layer-wise pre-training (事前学習) and fine-tuning (ファインチューニング): what a deep
sigmoid network gains from first learning the data without labels.

A deep network of sigmoid units trained from random weights learns slowly: the gradient
shrinks at every sigmoid on its way down (勾配消失), so the lower layers barely move, and
with few labels there is little signal to move them. Pre-training gives each layer a
useful start before any label is seen: the first layer learns to rebuild the images, the
next to rebuild the first layer's codes, and so on (Hinton & Salakhutdinov 2006, Bengio
et al. 2007). Two ways to train a layer: as a denoising autoencoder
(``models.StackedAutoencoder``, 30% of its inputs masked) or as an RBM (``models.DBN``,
contrastive divergence). Then the stack becomes an MLP with a new output layer and the
whole network is fine-tuned on the labels (``models.pretrain_and_finetune``).

The task: mnist-10k with only 100 labels (10 a class) for fine-tuning, the 8,000
training images without labels for pre-training, and the 2,000 test images to score
(the first 500 in quick mode). The
network: 784-256-256-256-256-10, sigmoid, Adam. Each method runs with 3 seeds (each seed
draws its own 100 labelled images and initial weights).

Figure: test accuracy per fine-tuning epoch, the mean of the seeds for each start.

Expect (full: 10 pre-training epochs a layer, 60 of fine-tuning, 3 seeds; measured
150 s on one core): test accuracy, mean [min, max]: random start 0.724 [0.705, 0.753],
stacked denoising autoencoder 0.810 [0.787, 0.841], DBN 0.828 [0.806, 0.851]: pre-training
is worth 9 to 10 points. Quick (3 pre-training epochs, 2 seeds, 500 test images, 30 s):
0.724, 0.756 and 0.796.
"""

import os

import numpy as np

import manabu
from manabu import models, nn, optim, plot, train
from manabu.data import load_mnist_10k


def labelled_subset(x, y, per_class, seed):
    """``per_class`` images of each digit, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                             for c in range(10)])
    return x[picked], y[picked]


def from_random_start(sizes, labelled, test, epochs, seed):
    manabu.manual_seed(seed)
    mlp = models.MLP(sizes[0], sizes[1:], 10, activation="sigmoid")
    return train.fit(mlp, nn.CrossEntropyLoss(), optim.Adam(mlp.parameters(), lr=1e-3),
                     labelled, val_data=test, epochs=epochs, batch_size=20, seed=seed,
                     verbose=0)


def pretrained(stack, unlabelled, labelled, test, pretrain_epochs, epochs, seed, **options):
    manabu.manual_seed(seed)
    _, history = models.pretrain_and_finetune(
        stack, unlabelled, labelled, pretrain_epochs=pretrain_epochs, finetune_epochs=epochs,
        batch_size=20, val_data=test, seed=seed, verbose=0, **options)
    return history


def run(quick=False, out="lessons-output"):
    (x, y), test = load_mnist_10k(flatten=True)
    if quick:
        test = (test[0][:500], test[1][:500])
    sizes = (784, 256, 256, 256, 256)
    seeds = (0, 1) if quick else (0, 1, 2)
    pretrain_epochs, epochs = (3, 60) if quick else (10, 60)
    starts = {
        "random start": lambda labelled, seed: from_random_start(sizes, labelled, test,
                                                                 epochs, seed),
        "stacked denoising autoencoder": lambda labelled, seed: pretrained(
            models.StackedAutoencoder(sizes), x, labelled, test, pretrain_epochs, epochs, seed,
            noise=0.3),
        "DBN (stacked RBMs)": lambda labelled, seed: pretrained(
            models.DBN(sizes), x, labelled, test, pretrain_epochs, epochs, seed),
    }
    final, curves = {}, {}
    for name, train_from in starts.items():
        histories = [train_from(labelled_subset(x, y, 10, seed), seed) for seed in seeds]
        accuracies = [h.epochs[-1]["val_accuracy"] for h in histories]
        final[name] = {"mean": float(np.mean(accuracies)), "min": float(min(accuracies)),
                       "max": float(max(accuracies))}
        curves[name] = np.mean([[e["val_accuracy"] for e in h.epochs] for h in histories],
                               axis=0).tolist()
        print(f"{name:30s} test accuracy {final[name]['mean']:.3f} "
              f"[{final[name]['min']:.3f}, {final[name]['max']:.3f}] over {len(seeds)} seeds")
    os.makedirs(out, exist_ok=True)
    figure = plot.curves(curves, os.path.join(out, "stacked_pretraining_accuracy.png"),
                         xlabel="fine-tuning epoch", ylabel="test accuracy",
                         title=f"{'-'.join(map(str, sizes))}-10 sigmoid, 100 labels")
    print(f"figure: {figure}")
    return {"accuracy": final, "figures": [figure]}
