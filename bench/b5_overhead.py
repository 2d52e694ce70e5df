"""B5: per-op overhead: forward + backward of a 4x4 add, microseconds per op."""

import numpy as np

OPS = 2000


def setup(quick=False, sides=("manabu", "torch")):
    import torch

    import manabu

    n = 200 if quick else OPS
    a_np = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    m_a = manabu.Tensor(a_np.copy(), requires_grad=True)
    m_b = manabu.Tensor(a_np.copy(), requires_grad=True)
    t_a = torch.tensor(a_np, requires_grad=True)
    t_b = torch.tensor(a_np, requires_grad=True)
    m_ones = np.ones((4, 4), dtype=np.float32)
    t_ones = torch.ones(4, 4)

    def run_manabu():
        for _ in range(n):
            (m_a + m_b).backward(m_ones)
        return float(m_a.grad.data[0, 0])

    def run_torch():
        for _ in range(n):
            (t_a + t_b).backward(t_ones)
        return float(t_a.grad[0, 0])

    return run_manabu, run_torch, 0.0, n
