"""B1: MLP 784-256-256-10, ReLU, softmax cross-entropy, Adam, batch 128, one mnist-10k epoch."""

from bench.common import classifier_epochs, mnist_train

SIZES = (784, 256, 256, 10)


def _manabu_model():
    from manabu import nn

    return nn.Sequential(nn.Linear(784, 256, init="torch"), nn.ReLU(),
                         nn.Linear(256, 256, init="torch"), nn.ReLU(),
                         nn.Linear(256, 10, init="torch"))


def _torch_model():
    from torch import nn

    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def setup(quick=False, sides=("manabu", "torch")):
    x, y = mnist_train(flatten=True, limit=1024 if quick else None)
    run_manabu, run_torch = classifier_epochs(x, y, 128, _manabu_model, _torch_model, sides)
    multiply_adds = sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:])) * len(x)
    flops = 3 * 2 * multiply_adds  # forward + two GEMMs per layer in backward
    return run_manabu, run_torch, flops
