"""Shared set-up for the benchmarks: data, thread counts, copying weights into PyTorch."""

import os

import numpy as np

from manabu.data.datasets import load_mnist_10k

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blas_threads():
    """Threads NumPy's BLAS uses (PyTorch is given the same number)."""
    from threadpoolctl import threadpool_info

    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(counts) if counts else 1


def blas_kernel():
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info["user_api"] == "blas":
            return f"{info['internal_api']} {info.get('version')} ({info.get('architecture')})"
    return "unknown"


def mnist_train(flatten, limit=None):
    """The mnist-10k training part (8,000 images), float32: from $MANABU_DATA when it has
    the files, else the package's embedded copy (never a download)."""
    (x, y), _ = load_mnist_10k(flatten=flatten)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x.astype(np.float32), y


def batches(x, y, batch_size, seed=0):
    """A fixed shuffled list of (x, y) mini-batches, the same for both libraries."""
    order = np.random.default_rng(seed).permutation(len(x))
    return [(np.ascontiguousarray(x[order[i:i + batch_size]]), y[order[i:i + batch_size]])
            for i in range(0, len(x), batch_size)]


def copy_into_torch(manabu_model, torch_model):
    """Copy weights by name: both libraries name and shape them alike."""
    import torch

    state = {k: torch.from_numpy(np.array(v)) for k, v in manabu_model.state_dict().items()}
    torch_model.load_state_dict(state)


def train_epoch(model, optimizer, data, loss_fn):
    """One pass of forward, loss, backward, update over ``data``; the mean loss. The same
    code drives both libraries."""
    total = 0.0
    for xb, yb in data:
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(data)


def classifier_epochs(x, y, batch_size, manabu_model, torch_model, sides):
    """(run_manabu, run_torch): one Adam epoch (lr 1e-3, softmax cross-entropy) over the
    same mini-batches, from the same initial weights, in each library. ``manabu_model()``
    and ``torch_model()`` build the two networks; run_torch is None without "torch" in
    ``sides``."""
    import manabu
    from manabu import functional as F
    from manabu import optim

    data = batches(x, y, batch_size)
    manabu.manual_seed(0)
    m_model = manabu_model()
    m_opt = optim.Adam(m_model.parameters(), lr=1e-3)
    m_data = [(manabu.Tensor(a), manabu.Tensor(b)) for a, b in data]
    run_torch = None
    if "torch" in sides:
        import torch

        t_model = torch_model()
        copy_into_torch(m_model, t_model)
        t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)
        t_data = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in data]

        def run_torch():
            return train_epoch(t_model, t_opt, t_data, torch.nn.functional.cross_entropy)

    def run_manabu():
        return train_epoch(m_model, m_opt, m_data, F.cross_entropy)

    return run_manabu, run_torch
