"""Lessons on generative adversarial networks: losses, Lipschitz critics, augmentation."""
