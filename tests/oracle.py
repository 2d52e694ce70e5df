"""One-line op tests: manabu against float64 central differences and against PyTorch.

    check_op(torch_fn, manabu_fn, shapes=[(3, 4), (4,)])

draws fresh random inputs (the seed is printed on failure), compares forward values and
every input's gradient with PyTorch in float64, then runs gradcheck.
"""

import os

import numpy as np

import manabu
from manabu.gradcheck import gradcheck


def seed_for_run():
    """A fresh seed per run, fixed by MANABU_TEST_SEED to reproduce a failure."""
    if "MANABU_TEST_SEED" in os.environ:
        return int(os.environ["MANABU_TEST_SEED"])
    return int(np.random.SeedSequence().entropy % (2**31))


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def compare_with_torch(torch_fn, manabu_fn, arrays, atol=1e-8, rtol=1e-6, grad=True, seed=None):
    """Forward values and gradients of both libraries on the same float64 arrays."""
    import torch

    requires = [a.dtype.kind == "f" for a in arrays]
    m_in = [manabu.Tensor(a.copy(), requires_grad=r and grad) for a, r in zip(arrays, requires)]
    t_in = [torch.tensor(a.copy(), requires_grad=r and grad) for a, r in zip(arrays, requires)]
    m_out = _as_tuple(manabu_fn(*m_in))
    t_out = _as_tuple(torch_fn(*t_in))
    assert len(m_out) == len(t_out), f"{len(m_out)} outputs vs PyTorch's {len(t_out)}"
    context = f"(seed {seed}, shapes {[a.shape for a in arrays]})"
    for m, t in zip(m_out, t_out):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"forward differs from PyTorch {context}")
    if not grad:
        return
    rng = np.random.default_rng(0)
    projections = [rng.standard_normal(t.shape) for t in t_out]
    m_loss = sum((m * manabu.Tensor(p)).sum() for m, p in zip(m_out, projections) if m.requires_grad)
    t_loss = sum((t * torch.tensor(p)).sum() for t, p in zip(t_out, projections) if t.requires_grad)
    m_loss.backward()
    t_loss.backward()
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        if not m.requires_grad:
            continue
        t_grad = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        m_grad = np.zeros(m.shape) if m.grad is None else m.grad.numpy()
        np.testing.assert_allclose(m_grad, t_grad, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i} differs from PyTorch {context}")


def check_op(torch_fn, manabu_fn, shapes=None, arrays=None, low=-2.0, high=2.0,
             atol=1e-8, rtol=1e-6, check_grad=True, gradcheck_tol=(1e-5, 1e-3)):
    """Oracle test (values + gradients vs PyTorch) and gradcheck on random float64 inputs.

    Give ``shapes`` for uniform random inputs in [low, high), or ``arrays`` explicitly.
    """
    seed = seed_for_run()
    rng = np.random.default_rng(seed)
    if arrays is None:
        arrays = [rng.uniform(low, high, size=s) for s in shapes]
    arrays = [np.asarray(a) for a in arrays]
    compare_with_torch(torch_fn, manabu_fn, arrays, atol=atol, rtol=rtol, grad=check_grad,
                       seed=seed)
    if check_grad:
        inputs = [manabu.Tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
        gradcheck(manabu_fn, *inputs, atol=gradcheck_tol[0], rtol=gradcheck_tol[1], seed=seed)
    return seed
