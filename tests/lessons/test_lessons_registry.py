"""Every lesson is registered, listed by `manabu lesson --list`, and is a module with a
docstring and a `run`, so that `manabu lesson NAME` can find and run it."""

import importlib

from manabu import cli
from manabu.lessons import LESSONS

# the lessons the other test files run: none may drop out of the registry unnoticed
TESTED = ["forward-pass", "regression", "sigmoid-vs-relu", "optimizers", "weight-init",
          "overfitting", "batch-norm", "im2col", "cnn-mnist", "residual", "normalization",
          "augmentation", "binary-addition", "bptt", "lstm-vs-gru", "bidirectional",
          "word2vec", "char-lm", "sin-cos", "addition", "dates", "dialogue",
          "positional-encoding", "transformer-encoder", "gpt-shakespeare", "kv-cache",
          "transformer-dates", "autoencoder", "denoising", "stacked-pretraining", "rbm",
          "vae", "cvae", "vq-vae", "gan-2d", "gan-vanishing-gradient", "dcgan", "cgan",
          "wgan-spectral-norm", "gan-augmentation", "cyclegan"]


def test_every_lesson_is_registered_listed_and_runnable(capsys):
    assert set(TESTED) <= set(LESSONS)
    assert cli.main(["lesson", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert listed == list(LESSONS)  # one line a lesson, by its whole name, in order
    for name, module_name in LESSONS.items():
        module = importlib.import_module(module_name)
        assert (module.__doc__ or "").strip(), name
        assert callable(getattr(module, "run", None)), name
