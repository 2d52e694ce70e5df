"""Vector quantization (functional/vector_quantize.py): the nearest code against brute
force, the straight-through estimator against PyTorch's ``z + (q - z).detach()``, the
VQ-VAE losses and every gradient against a PyTorch re-implementation in float64, central
differences where the function is differentiable, and the errors."""

import numpy as np
import pytest
import torch

import manabu
from manabu.functional.vector_quantize import (
    nearest_code, squared_distances, straight_through, vector_quantize,
)
from manabu.gradcheck import gradcheck
from tests.oracle import check_op


def brute_force_nearest(z, codebook):
    """argmin_k |z - e_k| by a Python loop over the vectors."""
    flat = z.reshape(-1, z.shape[-1])
    out = [int(np.argmin([np.sum((v - e) ** 2) for e in codebook])) for v in flat]
    return np.array(out).reshape(z.shape[:-1])


def torch_vector_quantize(z, codebook, beta=0.25):
    """The VQ-VAE bottleneck written in PyTorch with detach: (z_q, codebook loss, commitment)."""
    d = (z ** 2).sum(-1, keepdim=True) - 2 * z @ codebook.T + (codebook ** 2).sum(-1)
    q = codebook[d.argmin(-1)]
    codebook_loss = ((z.detach() - q) ** 2).mean()
    commitment = beta * ((z - q.detach()) ** 2).mean()
    return z + (q - z).detach(), codebook_loss, commitment


def separated(rng, num_codes=5, dim=3, n=(4, 6), noise=0.2):
    """A codebook of well separated codes and z's near them: no ties within 1e-6."""
    codebook = 3.0 * rng.standard_normal((num_codes, dim))
    which = rng.integers(0, num_codes, n)
    z = codebook[which] + noise * rng.standard_normal(n + (dim,))
    return z, codebook


@pytest.mark.parametrize("shape", [(7, 4), (2, 3, 5, 4), (1, 4)])
def test_nearest_code_is_the_brute_force_argmin(shape):
    rng = np.random.default_rng(0)
    z, codebook = rng.standard_normal(shape), rng.standard_normal((9, shape[-1]))
    idx = nearest_code(z, codebook)
    assert idx.shape == shape[:-1] and idx.dtype == np.int64
    np.testing.assert_array_equal(idx, brute_force_nearest(z, codebook))
    np.testing.assert_array_equal(nearest_code(manabu.tensor(z), manabu.tensor(codebook)), idx)


def test_squared_distances_are_the_pairwise_ones():
    rng = np.random.default_rng(1)
    z, codebook = rng.standard_normal((6, 3)), rng.standard_normal((4, 3))
    expected = ((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(squared_distances(z, codebook), expected, atol=1e-12)


def test_straight_through_is_torchs_detach_formulation():
    # forward value q, gradient gy to z and nothing to q (q is a constant of the detach)
    check_op(lambda z, q: z + (q - z).detach(), straight_through, shapes=[(3, 4), (3, 4)],
             atol=1e-12, gradcheck_tol=None)


def test_straight_through_sends_nothing_to_q():
    z = manabu.tensor(np.ones((2, 3)), requires_grad=True)
    q = manabu.tensor(np.zeros((2, 3)), requires_grad=True)
    y = straight_through(z, q)
    (2 * y).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.full((2, 3), 2.0))
    assert q.grad is None or not np.any(q.grad.numpy())
    np.testing.assert_array_equal(y.numpy(), q.numpy())


@pytest.mark.parametrize("beta", [0.25, 1.0])
def test_vector_quantize_values_and_gradients_match_pytorch(beta):
    rng = np.random.default_rng(2)
    z, codebook = separated(rng, n=(3, 4, 2))  # (N, H, W, D) with the code axis last
    outputs = (0, 2, 3)  # z_q and the two losses (the indices are not differentiable)
    check_op(lambda z, e: torch_vector_quantize(z, e, beta),
             lambda z, e: tuple(vector_quantize(z, e, beta)[i] for i in outputs),
             arrays=[z, codebook], atol=1e-10, gradcheck_tol=None)
    _, idx, _, _ = vector_quantize(manabu.tensor(z), manabu.tensor(codebook), beta)
    np.testing.assert_array_equal(idx, brute_force_nearest(z, codebook))


def test_codebook_gets_the_codebook_loss_and_z_the_commitment_plus_the_decoder():
    rng = np.random.default_rng(3)
    z, codebook = separated(rng, n=(6,))
    t_z, t_e = (torch.tensor(a, requires_grad=True) for a in (z, codebook))
    m_z, m_e = (manabu.tensor(a, requires_grad=True) for a in (z, codebook))
    t_q, t_cb, t_cm = torch_vector_quantize(t_z, t_e)
    m_q, _, m_cb, m_cm = vector_quantize(m_z, m_e)
    g = rng.standard_normal(z.shape)  # a decoder's gradient
    ((t_q * torch.tensor(g)).sum() + t_cb + t_cm).backward()
    ((m_q * manabu.tensor(g)).sum() + m_cb + m_cm).backward()
    np.testing.assert_allclose(m_z.grad.numpy(), t_z.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(m_e.grad.numpy(), t_e.grad.numpy(), atol=1e-12)
    # by hand: the encoder gets g + beta 2 (z - q) / (n D); unused codes get nothing
    q = codebook[brute_force_nearest(z, codebook)]
    np.testing.assert_allclose(m_z.grad.numpy(), g + 0.25 * 2 * (z - q) / z.size, atol=1e-12)
    unused = np.setdiff1d(np.arange(len(codebook)), brute_force_nearest(z, codebook))
    assert not np.any(m_e.grad.numpy()[unused])


def test_gradcheck_where_differentiable():
    rng = np.random.default_rng(4)
    z, codebook = separated(rng, n=(3, 5))
    z_const, book_const = manabu.tensor(z), manabu.tensor(codebook)
    book = manabu.tensor(codebook, requires_grad=True)
    zt = manabu.tensor(z, requires_grad=True)
    assert gradcheck(lambda e: vector_quantize(z_const, e)[2], book)  # codebook loss wrt E
    assert gradcheck(lambda v: vector_quantize(v, book_const, 0.5)[3], zt)  # commitment wrt z


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    z, codebook = (a.astype(np.float32) for a in separated(rng, n=(4,)))
    z_q, idx, cb, cm = vector_quantize(manabu.tensor(z, requires_grad=True),
                                       manabu.tensor(codebook, requires_grad=True))
    assert z_q.dtype == cb.dtype == cm.dtype == np.float32
    assert idx.dtype == np.int64


def test_errors_name_the_problem():
    z = manabu.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="a codebook needs at least 2 codes"):
        vector_quantize(z, manabu.tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match=r"z \(4, 3\) must end with the code size D = 5.*"
                                         r"\(6, 5\).*transpose"):
        vector_quantize(z, manabu.tensor(np.zeros((6, 5))))
    with pytest.raises(ValueError, match="matrix"):
        nearest_code(np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="beta"):
        vector_quantize(z, manabu.tensor(np.zeros((6, 3))), beta=-1.0)
    with pytest.raises(ValueError, match="same shape"):
        straight_through(z, np.zeros((4, 2)))
