"""B2: CNN conv(1->16,3x3,pad 1)-ReLU-maxpool 2-conv(16->32,3x3,pad 1)-ReLU-maxpool 2-
linear(1568->128)-ReLU-linear(128->10), Adam, batch 64, one epoch of mnist-10k."""

from bench.common import batches, copy_into_torch, manabu_epoch, mnist_train, torch_epoch


NEEDS = "nn.Conv2d and nn.MaxPool2d"


def available():
    from manabu import nn

    return hasattr(nn, "Conv2d") and hasattr(nn, "MaxPool2d")


def _manabu_model(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128, init="torch"), nn.ReLU(),
        nn.Linear(128, 10, init="torch"),
    )


def _torch_model(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def setup(quick=False, sides=("manabu", "torch")):
    import manabu
    from manabu import functional as F
    from manabu import nn, optim

    x, y = mnist_train(flatten=False, limit=512 if quick else None)
    data = batches(x, y, 64)
    manabu.manual_seed(0)
    m_model = _manabu_model(nn)
    m_opt = optim.Adam(m_model.parameters(), lr=1e-3)
    m_data = [(manabu.Tensor(a), manabu.Tensor(b)) for a, b in data]
    run_torch = None
    if "torch" in sides:
        import torch

        t_model = _torch_model(torch)
        copy_into_torch(m_model, t_model)
        t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)
        t_data = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in data]

        def run_torch():
            return torch_epoch(t_model, t_opt, t_data, torch.nn.functional.cross_entropy)

    def run_manabu():
        return manabu_epoch(m_model, m_opt, m_data, F.cross_entropy)

    # multiply-adds per image: conv1 16*9*784, conv2 32*16*9*196, fc 1568*128 + 128*10
    per_image = 16 * 9 * 784 + 32 * 16 * 9 * 196 + 1568 * 128 + 128 * 10
    return run_manabu, run_torch, 3 * 2 * per_image * len(x)
