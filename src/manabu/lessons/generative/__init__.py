"""Lessons on generative models: autoencoders, RBMs, VAEs, VQ-VAE."""
