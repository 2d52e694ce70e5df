"""Issue goal: SimpleCNN (conv16-pool-conv32-pool-fc128-fc10, the benchmark's B2 network)
trained on mnist-10k for 5 epochs with Adam (lr 1e-3, batch 64) reaches the test accuracy of
the same network trained in PyTorch (same data, initial weights, batch order and
hyper-parameters) within 0.5 points."""

import time

import numpy as np
import pytest
import torch

import manabu
from manabu import nn, optim, train
from manabu.data import DataLoader, TensorDataset
from manabu.data.datasets import load_mnist_10k
from manabu.models import SimpleCNN

EPOCHS, BATCH, LR = 5, 64, 1e-3
tnn = torch.nn


class _TorchSimpleCNN(tnn.Module):
    """SimpleCNN written in torch.nn, with the same child names so state_dicts match."""

    def __init__(self):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        )
        self.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(32 * 7 * 7, 128), tnn.ReLU(),
                                         tnn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def _torch_accuracy(model, x, y):
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(x[i:i + 500])) for i in range(0, len(x), 500)])
    return float((logits.argmax(1).numpy() == y).mean())


@pytest.mark.slow
def test_simple_cnn_on_mnist_10k_matches_pytorch(mnist_root):
    (x_train, y_train), (x_test, y_test) = load_mnist_10k(root=mnist_root, flatten=False)
    assert x_train.shape == (8000, 1, 28, 28)
    manabu.manual_seed(0)
    model = SimpleCNN(input_shape=(1, 28, 28), num_classes=10)
    reference = _TorchSimpleCNN()
    reference.load_state_dict({k: torch.from_numpy(v.copy())
                               for k, v in model.state_dict().items()})

    started = time.perf_counter()
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH, shuffle=True, seed=0)
    train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=LR), loader,
              epochs=EPOCHS, verbose=0)
    ours = train.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))["accuracy"]
    manabu_seconds = time.perf_counter() - started

    started = time.perf_counter()
    torch_optimizer = torch.optim.Adam(reference.parameters(), lr=LR)
    order_source = DataLoader(TensorDataset(np.arange(len(x_train))), batch_size=BATCH,
                              shuffle=True, seed=0)  # the same batch order as manabu's loader
    for _ in range(EPOCHS):
        for (index,) in order_source:
            idx = index.numpy()
            loss = tnn.functional.cross_entropy(reference(torch.from_numpy(x_train[idx])),
                                                torch.from_numpy(y_train[idx]))
            torch_optimizer.zero_grad()
            loss.backward()
            torch_optimizer.step()
    theirs = _torch_accuracy(reference, x_test, y_test)
    torch_seconds = time.perf_counter() - started
    print(f"mnist-10k SimpleCNN test accuracy after {EPOCHS} epochs: manabu {100 * ours:.2f}% "
          f"({manabu_seconds:.0f}s), PyTorch {100 * theirs:.2f}% ({torch_seconds:.0f}s)")
    assert ours > 0.96
    assert abs(ours - theirs) <= 0.005
