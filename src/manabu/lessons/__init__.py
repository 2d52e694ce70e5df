"""Lessons: one runnable page per concept of the notes (`manabu lesson NAME`).

Each lesson module has a docstring saying what it shows and the number to expect, and a
``run(quick=False, out=...)`` that prints its headline numbers, saves its figure(s) in
``out`` and returns the numbers as a dict. ``quick=True`` is a small run for tests.
"""

import importlib

# name -> module; the list is written out so that grep finds every lesson
LESSONS = {
    "activations": "manabu.lessons.activations",
    "forward-pass": "manabu.lessons.forward_pass",
    "regression": "manabu.lessons.regression",
    "sigmoid-vs-relu": "manabu.lessons.sigmoid_vs_relu",
    "optimizers": "manabu.lessons.optimizers",
    "weight-init": "manabu.lessons.weight_init",
    "overfitting": "manabu.lessons.overfitting",
    "batch-norm": "manabu.lessons.batch_norm",
    "im2col": "manabu.lessons.im2col_lesson",
    "cnn-mnist": "manabu.lessons.cnn_mnist",
    "residual": "manabu.lessons.residual",
    "normalization": "manabu.lessons.normalization",
    "augmentation": "manabu.lessons.augmentation",
    "binary-addition": "manabu.lessons.binary_addition",
    "bptt": "manabu.lessons.bptt",
    "lstm-vs-gru": "manabu.lessons.lstm_vs_gru",
    "bidirectional": "manabu.lessons.bidirectional",
    "word2vec": "manabu.lessons.word2vec_lesson",
    "char-lm": "manabu.lessons.char_lm",
    "sin-cos": "manabu.lessons.sin_cos",
    "addition": "manabu.lessons.addition",
    "dates": "manabu.lessons.dates",
    "dialogue": "manabu.lessons.dialogue",
    # the Transformer: recognition, generation, conversion
    "positional-encoding": "manabu.lessons.transformer.positional_encoding",
    "transformer-encoder": "manabu.lessons.transformer.transformer_encoder",
    "gpt-shakespeare": "manabu.lessons.transformer.gpt_shakespeare",
    "kv-cache": "manabu.lessons.transformer.kv_cache",
    "transformer-dates": "manabu.lessons.transformer.transformer_dates",
    # generative models: autoencoders, latent variables
    "autoencoder": "manabu.lessons.generative.autoencoder",
    "denoising": "manabu.lessons.generative.denoising",
    "stacked-pretraining": "manabu.lessons.generative.stacked_pretraining",
    "rbm": "manabu.lessons.generative.rbm",
    "vae": "manabu.lessons.generative.vae",
    "cvae": "manabu.lessons.generative.cvae",
    "vq-vae": "manabu.lessons.generative.vq_vae",
    # generative adversarial networks
    "gan-2d": "manabu.lessons.gan.gan_2d",
    "gan-vanishing-gradient": "manabu.lessons.gan.gan_vanishing_gradient",
    "dcgan": "manabu.lessons.gan.dcgan",
    "cgan": "manabu.lessons.gan.cgan",
    "wgan-spectral-norm": "manabu.lessons.gan.wgan_spectral_norm",
    "gan-augmentation": "manabu.lessons.gan.gan_augmentation",
    "cyclegan": "manabu.lessons.gan.cyclegan",
}

__all__ = ["LESSONS", "catalog", "run"]


def _module(name):
    if name not in LESSONS:
        raise ValueError(f"unknown lesson {name!r}; `manabu lesson --list` shows them all")
    return importlib.import_module(LESSONS[name])


def catalog():
    """(name, first line of the docstring) for every lesson."""
    return [(name, (_module(name).__doc__ or "").strip().split("\n")[0]) for name in LESSONS]


def run(name, quick=False, out="lessons-output"):
    """Run lesson ``name``; returns its headline numbers."""
    return _module(name).run(quick=quick, out=out)
