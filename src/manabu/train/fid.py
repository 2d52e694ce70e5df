"""The Frechet distance between two sets of features: the FID (Heusel et al., 2017) when the
features come from a classifier's hidden layer.

Each set is summarised by a Gaussian, its mean mu and covariance S, and

    FID = |mu_1 - mu_2|^2 + trace(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

the 2-Wasserstein distance between the two Gaussians. Lower is better; 0 only for equal
statistics. The score depends on the feature extractor and on the sample size (it is
biased upward for small samples), so it is only compared at equal sample sizes, next to
its floor: the distance between two samples of real data of that size.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["feature_statistics", "frechet_distance"]


def feature_statistics(features: Any) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), covariance (D, D)) of features (N, D), in float64.

    Example:
        >>> mu, cov = train.feature_statistics(np.array([[0.0, 1.0], [2.0, 1.0]]))
        >>> mu.tolist(), cov.tolist()
        ([1.0, 1.0], [[2.0, 0.0], [0.0, 0.0]])
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"feature_statistics: features must be (N, D) with N >= 2, got "
                         f"{features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1: Any, cov1: Any, mu2: Any, cov2: Any, eps: float = 1e-6) -> float:
    """The Frechet distance between N(mu1, cov1) and N(mu2, cov2) (the module docstring).

    The matrix square root is SciPy's ``sqrtm``. When S_1 S_2 is nearly singular (fewer
    samples than dimensions), eps is added to both diagonals first, as the reference
    implementation does; a tiny imaginary part from rounding is dropped.

    Args:
        mu1: mean of the first set (D,)
        cov1: covariance of the first set (D, D)
        mu2: mean of the second set (D,)
        cov2: covariance of the second set (D, D)
        eps: the diagonal offset used for a singular product. Default: 1e-6

    Example:
        >>> mu, cov = np.zeros(2), np.eye(2)
        >>> round(train.frechet_distance(mu, cov, mu + 1, 4 * cov), 6)  # 2 + (1 + 1) * 2
        4.0
    """
    from scipy import linalg  # only when a distance is computed

    mu1, mu2 = (np.atleast_1d(np.asarray(m, np.float64)) for m in (mu1, mu2))
    cov1, cov2 = (np.atleast_2d(np.asarray(c, np.float64)) for c in (cov1, cov2))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != mu1.shape * 2:
        raise ValueError(f"frechet_distance: means {mu1.shape}, {mu2.shape} and covariances "
                         f"{cov1.shape}, {cov2.shape} must be (D,) and (D, D)")
    with warnings.catch_warnings():  # singular products are expected: dead features
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov1 @ cov2)
    if not np.isfinite(root).all():
        offset = np.eye(len(mu1)) * eps
        root = linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    root = np.real(root)  # rounding leaves imaginary parts of ~1e-10
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(root))
