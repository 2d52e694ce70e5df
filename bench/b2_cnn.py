"""B2: CNN conv(1->16,3x3,pad 1)-ReLU-maxpool 2-conv(16->32,3x3,pad 1)-ReLU-maxpool 2-
linear(1568->128)-ReLU-linear(128->10), Adam, batch 64, one epoch of mnist-10k."""

from bench.common import classifier_epochs, mnist_train


def _manabu_model():
    from manabu import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128, init="torch"), nn.ReLU(),
        nn.Linear(128, 10, init="torch"),
    )


def _torch_model():
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def setup(quick=False, sides=("manabu", "torch")):
    x, y = mnist_train(flatten=False, limit=512 if quick else None)
    run_manabu, run_torch = classifier_epochs(x, y, 64, _manabu_model, _torch_model, sides)
    # multiply-adds per image: conv1 16*9*784, conv2 32*16*9*196, fc 1568*128 + 128*10
    per_image = 16 * 9 * 784 + 32 * 16 * 9 * 196 + 1568 * 128 + 128 * 10
    return run_manabu, run_torch, 3 * 2 * per_image * len(x)
