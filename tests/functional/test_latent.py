"""The latent-variable ops (functional/latent.py) against PyTorch and central differences:
the reparameterised sample, the Gaussian KL (to N(0, I) and to a Gaussian prior), and the
sparse autoencoder's KL and L1 penalties."""

import numpy as np
import pytest
import torch

import manabu
from manabu import functional as F
from tests.oracle import check_op

EPS = np.random.default_rng(7).standard_normal((5, 3))


def torch_kl_sparsity(h, rho):
    rho_hat = h.mean(dim=0)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def test_reparameterize_matches_pytorch_and_central_differences():
    check_op(lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.from_numpy(EPS),
             lambda mu, lv: F.reparameterize(mu, lv, eps=EPS), shapes=[(5, 3), (5, 3)])


def test_reparameterize_draws_from_the_generator_and_has_the_right_moments():
    mu = manabu.tensor(np.full((20000, 2), 3.0))
    logvar = manabu.tensor(np.full((20000, 2), np.log(4.0)))
    z = F.reparameterize(mu, logvar, generator=np.random.default_rng(0)).numpy()
    again = F.reparameterize(mu, logvar, generator=np.random.default_rng(0)).numpy()
    np.testing.assert_array_equal(z, again)
    np.testing.assert_allclose(z.mean(axis=0), 3.0, atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), 2.0, atol=0.05)


def test_standard_normal_kl_matches_pytorch_distributions():
    def torch_kl(mu, lv):
        q = torch.distributions.Normal(mu, torch.exp(0.5 * lv))
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        return torch.distributions.kl_divergence(q, p).sum(-1)

    check_op(torch_kl, lambda mu, lv: F.gaussian_kl(mu, lv), shapes=[(4, 3), (4, 3)])


def test_gaussian_kl_to_a_learned_prior_matches_pytorch():
    def torch_kl(mu_q, lv_q, mu_p, lv_p):
        q = torch.distributions.Normal(mu_q, torch.exp(0.5 * lv_q))
        p = torch.distributions.Normal(mu_p, torch.exp(0.5 * lv_p))
        return torch.distributions.kl_divergence(q, p).sum(-1)

    check_op(torch_kl, F.gaussian_kl, shapes=[(4, 3)] * 4)


def test_kl_to_the_standard_prior_is_the_general_formula_with_a_zero_prior():
    rng = np.random.default_rng(1)
    mu, lv = (manabu.tensor(rng.standard_normal((3, 4))) for _ in range(2))
    zero = manabu.tensor(np.zeros((3, 4)))
    np.testing.assert_allclose(F.gaussian_kl(mu, lv).numpy(),
                               F.gaussian_kl(mu, lv, zero, zero).numpy(), rtol=1e-12)
    assert np.all(F.gaussian_kl(zero, zero).numpy() == 0)


def test_kl_sparsity_matches_pytorch_and_central_differences():
    check_op(lambda h: torch_kl_sparsity(h, 0.1), lambda h: F.kl_sparsity(h, rho=0.1),
             shapes=[(6, 4)], low=0.05, high=0.9)


def test_kl_sparsity_is_zero_at_the_target_and_positive_elsewhere():
    at_target = manabu.tensor(np.full((8, 5), 0.2))
    assert F.kl_sparsity(at_target, rho=0.2).item() == pytest.approx(0.0, abs=1e-12)
    busy = manabu.tensor(np.full((8, 5), 0.6))
    assert F.kl_sparsity(busy, rho=0.2).item() > 0.1


def test_l1_activity_matches_pytorch():
    check_op(lambda h: h.abs().sum() / h.shape[0], F.l1_activity, shapes=[(5, 7)])


def test_latent_op_errors_name_the_op_and_the_fix():
    h = manabu.tensor(np.full((4, 3), 0.5))
    with pytest.raises(ValueError, match="rho must be in"):
        F.kl_sparsity(h, rho=1.5)
    with pytest.raises(ValueError, match="sigmoid"):
        F.kl_sparsity(manabu.tensor(np.full((4, 3), 2.0)))
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        F.kl_sparsity(manabu.tensor(np.full((4,), 0.5)))
    with pytest.raises(ValueError, match="same shape"):
        F.reparameterize(manabu.tensor(np.zeros((2, 3))), manabu.tensor(np.zeros((2, 4))))
    with pytest.raises(ValueError, match="both mu_p and logvar_p"):
        F.gaussian_kl(h, h, mu_p=h)
