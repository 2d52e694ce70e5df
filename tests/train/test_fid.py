"""FID: the Frechet distance against its closed form for diagonal covariances and against a
direct eigen-decomposition, and the MNIST-FID: real digits score near the floor, noise and
degraded digits far above it, and bad input is refused."""

import numpy as np
import pytest

from manabu import models, nn, train
from manabu.data import load_mnist_10k


def test_frechet_distance_equals_the_closed_form_for_diagonal_covariances():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 2, 5), rng.uniform(0.1, 2, 5)
    mu1, mu2 = rng.standard_normal(5), rng.standard_normal(5)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert train.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected,
                                                                                     rel=1e-10)


def test_frechet_distance_equals_an_eigendecomposition_for_full_covariances():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 4))
    y = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 4))
    (mu1, c1), (mu2, c2) = train.feature_statistics(x), train.feature_statistics(y)
    # trace((C1 C2)^(1/2)) = sum of sqrt of the eigenvalues of C1^(1/2) C2 C1^(1/2)
    w, v = np.linalg.eigh(c1)
    root1 = v @ np.diag(np.sqrt(w)) @ v.T
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ c2 @ root1), 0, None)).sum()
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * trace_root
    assert train.frechet_distance(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-8)
    assert train.frechet_distance(mu1, c1, mu1, c1) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_survives_singular_covariances_and_checks_shapes():
    x = np.random.default_rng(2).standard_normal((3, 10))  # 3 samples, 10 dimensions
    mu, cov = train.feature_statistics(x)
    assert np.isfinite(train.frechet_distance(mu, cov, mu + 1, cov))
    with pytest.raises(ValueError, match=r"must be \(D,\) and \(D, D\)"):
        train.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match=r"N >= 2"):
        train.feature_statistics(np.zeros((1, 3)))


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_test, y_test) = load_mnist_10k()
    return x[:3000], y[:3000], x_test[:1000], y_test[:1000]


@pytest.mark.slow
def test_mnist_fid_ranks_real_digits_above_degraded_ones(digits, tmp_path):
    x, y, x_test, y_test = digits
    fid = models.MNISTFID.fit(x[:2000], y[:2000], epochs=3)
    assert (fid.classify(x_test) == y_test).mean() > 0.9
    reference = fid.statistics(x_test)
    floor = fid.floor(x, x_test, 1000)
    real = fid.score(x[2000:3000], reference)
    shifted = fid.score(np.roll(x[2000:3000], 6, axis=3), reference)
    noise = fid.score(np.random.default_rng(0).uniform(0, 1, (1000, 1, 28, 28)), reference)
    assert real < 2 * floor + 1e-9 and floor < shifted < noise, (floor, real, shifted, noise)
    fid.save(tmp_path / "fid")
    again = models.MNISTFID.load(tmp_path / "fid")
    assert again.score(x[2000:3000], reference) == pytest.approx(real, rel=1e-6)


def test_mnist_fid_refuses_images_outside_zero_one():
    fid = models.MNISTFID(models.SimpleCNN())
    with pytest.raises(ValueError, match=r"\[0, 1\].*\(x \+ 1\) / 2"):
        fid.features(np.full((2, 1, 28, 28), -1.0))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        fid.features(np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match=r"must be a models.SimpleCNN"):
        models.MNISTFID(nn.Linear(784, 10))
