"""Utilities that change how a layer computes its parameters (as torch.nn.utils):
spectral normalisation."""

from manabu.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm

__all__ = ["remove_spectral_norm", "spectral_norm"]
