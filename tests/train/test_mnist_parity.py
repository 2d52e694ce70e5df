"""Issue goal: an MLP 784-256-256-10 trained on mnist-10k for 10 epochs with Adam reaches the
test accuracy of the same model trained in PyTorch (same data, initial weights, batch order
and hyper-parameters) within 0.5 points."""

import numpy as np
import pytest
import torch

import manabu
from manabu import nn, optim, train
from manabu.data import DataLoader, TensorDataset
from manabu.data.datasets import load_mnist_10k

EPOCHS, BATCH, LR = 10, 128, 1e-3


def _torch_accuracy(model, x, y):
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


@pytest.mark.slow
def test_mlp_on_mnist_10k_matches_pytorch(mnist_root):
    (x_train, y_train), (x_test, y_test) = load_mnist_10k(root=mnist_root, flatten=True)
    manabu.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10, init="xavier_uniform"))
    reference = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 10))
    reference.load_state_dict({k: torch.from_numpy(v.copy())
                               for k, v in model.state_dict().items()})
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH, shuffle=True, seed=0)
    train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=LR), loader,
              epochs=EPOCHS, verbose=0)
    ours = train.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))["accuracy"]

    torch_optimizer = torch.optim.Adam(reference.parameters(), lr=LR)
    order_source = DataLoader(TensorDataset(np.arange(len(x_train))), batch_size=BATCH,
                              shuffle=True, seed=0)  # the same batch order as manabu's loader
    for _ in range(EPOCHS):
        for (index,) in order_source:
            idx = index.numpy()
            loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x_train[idx])),
                                                     torch.from_numpy(y_train[idx]))
            torch_optimizer.zero_grad()
            loss.backward()
            torch_optimizer.step()
    theirs = _torch_accuracy(reference, x_test, y_test)
    print(f"mnist-10k MLP test accuracy: manabu {100 * ours:.2f}%, PyTorch {100 * theirs:.2f}%")
    assert ours > 0.93
    assert abs(ours - theirs) <= 0.005
