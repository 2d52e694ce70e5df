"""B1: MLP 784-256-256-10, ReLU, softmax cross-entropy, Adam, batch 128, one mnist-10k epoch."""

import numpy as np

from bench.common import batches, copy_into_torch, manabu_epoch, mnist_train, torch_epoch

SIZES = (784, 256, 256, 10)


def _manabu_model(nn):
    return nn.Sequential(nn.Linear(784, 256, init="torch"), nn.ReLU(),
                         nn.Linear(256, 256, init="torch"), nn.ReLU(),
                         nn.Linear(256, 10, init="torch"))


def setup(quick=False, sides=("manabu", "torch")):
    import manabu
    from manabu import functional as F
    from manabu import nn, optim

    x, y = mnist_train(flatten=True, limit=1024 if quick else None)
    data = batches(x, y, 128)
    manabu.manual_seed(0)
    m_model = _manabu_model(nn)
    m_opt = optim.Adam(m_model.parameters(), lr=1e-3)
    m_data = [(manabu.Tensor(a), manabu.Tensor(b)) for a, b in data]
    run_torch = None
    if "torch" in sides:
        import torch

        t_model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                      torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                      torch.nn.Linear(256, 10))
        copy_into_torch(m_model, t_model)
        t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)
        t_data = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in data]

        def run_torch():
            return torch_epoch(t_model, t_opt, t_data, torch.nn.functional.cross_entropy)

    def run_manabu():
        return manabu_epoch(m_model, m_opt, m_data, F.cross_entropy)

    multiply_adds = sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:])) * len(x)
    flops = 3 * 2 * multiply_adds  # forward + two GEMMs per layer in backward
    return run_manabu, run_torch, flops
