"""Measuring generators. For 2-D mixtures (``data.gaussian_ring``) the modes are known, so
mode collapse can be counted (Srivastava et al., 2017; Metz et al., 2017):

    high-quality sample   within 3 standard deviations of its nearest mode
    mode covered          at least ``min_share`` of the samples are high-quality samples of it
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["mode_coverage"]


def mode_coverage(samples: Any, centres: Any, std: float, min_share: float = 0.01
                  ) -> dict[str, Any]:
    """How many modes the samples reach, and how many samples are good ones.

    Args:
        samples: generated points (N, D)
        centres: the modes (K, D)
        std: the modes' standard deviation (a sample within 3 std is high-quality)
        min_share: the fraction of all samples a mode needs to count as covered.
            Default: 0.01

    Returns:
        {"modes_covered": int, "num_modes": K, "high_quality": fraction of the samples,
        "per_mode": the fraction of the samples that are high-quality samples of each mode}

    Example:
        >>> centres = np.array([[0.0, 0.0], [5.0, 5.0]])
        >>> samples = np.array([[0.01, 0.0], [0.0, -0.02], [9.0, 9.0]])
        >>> result = train.mode_coverage(samples, centres, std=0.05)
        >>> result["modes_covered"], round(result["high_quality"], 3)
        (1, 0.667)
    """
    samples, centres = np.asarray(samples, np.float64), np.asarray(centres, np.float64)
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"mode_coverage: samples (N, D) and centres (K, D) must share D, got "
                         f"{samples.shape} and {centres.shape}")
    distance = np.linalg.norm(samples[:, None] - centres[None], axis=2)  # (N, K)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] < 3 * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    per_mode = counts / max(len(samples), 1)
    return {"modes_covered": int((per_mode >= min_share).sum()), "num_modes": len(centres),
            "high_quality": float(good.mean()) if len(samples) else 0.0,
            "per_mode": per_mode.tolist()}
