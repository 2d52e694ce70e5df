"""`manabu train --model dcgan|cgan|wgan-gp` and `manabu sample`: a run folder with both
networks, a checkpoint, a sample grid per epoch and the MNIST-FID; exact resume, training
on to more epochs; clear errors for labels and folders that do not fit."""

import json
import os
import re

import numpy as np
import pytest

import manabu
from manabu.cli import main


def _train(out, model, *extra):
    assert main(["train", "--model", model, "--dataset", "digits", "--out", str(out),
                 "--quiet", *extra]) == 0
    (folder,) = [out / name for name in os.listdir(out)]
    return folder


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("runs"), "cgan", "--epochs", "2")


def test_train_writes_a_gan_run(cgan_run):
    for name in ("generator.safetensors", "discriminator.safetensors", "args.json",
                 "checkpoint.safetensors", "history.csv", "metrics.json", "curves.png",
                 "samples/epoch-001.png", "samples/epoch-002.png"):
        assert (cgan_run / name).is_file(), name
    metrics = json.loads((cgan_run / "metrics.json").read_text())
    assert np.isfinite(metrics["d_loss"]) and metrics["epochs"] == 2
    assert "fid" not in metrics  # 8x8 digits: the MNIST-FID is for 28x28 images
    G = manabu.load(cgan_run / "generator.safetensors")
    assert G.num_classes == 10 and G.config["image_size"] == 8


@pytest.mark.parametrize("model", ["dcgan", "wgan-gp"])
def test_resume_continues_exactly(tmp_path, model):
    straight = _train(tmp_path / "straight", model, "--epochs", "2")
    resumed = _train(tmp_path / "resumed", model, "--epochs", "1")
    assert main(["train", "--resume", str(resumed), "--epochs", "2", "--quiet"]) == 0
    a = manabu.load(straight / "generator.safetensors").state_dict()
    b = manabu.load(resumed / "generator.safetensors").state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert (resumed / "samples" / "epoch-002.png").is_file()
    assert json.loads((resumed / "args.json").read_text())["epochs"] == 2


def test_sample_draws_the_digit_asked_for(cgan_run, tmp_path, capsys):
    out = tmp_path / "threes.png"
    assert main(["sample", str(cgan_run), "--n", "12", "--label", "3", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "12 images" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--label", "10"], r"--label must be in \[0, 10\)"),
    (["--n", "0"], r"--n must be at least 1"),
])
def test_sample_refuses_bad_options(cgan_run, tmp_path, capsys, args, message):
    assert main(["sample", str(cgan_run), "--out", str(tmp_path / "x.png"), *args]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_sample_and_train_name_what_does_not_fit(tmp_path, capsys):
    dcgan = _train(tmp_path / "d", "dcgan", "--epochs", "1")
    assert main(["sample", str(dcgan), "--label", "1", "--out", str(tmp_path / "x.png")]) == 2
    assert "unconditional generator; --label needs a run of --model cgan" in \
        capsys.readouterr().err
    assert main(["sample", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    assert "has no generator.safetensors" in capsys.readouterr().err
    assert main(["train", "--model", "dcgan", "--hidden", "8", "--out", str(tmp_path)]) == 2
    assert "--hidden does not apply to --model dcgan" in capsys.readouterr().err
    assert main(["train", "--model", "dcgan", "--dataset", "spiral", "--out",
                 str(tmp_path)]) == 2
    assert "square images" in capsys.readouterr().err
    assert main(["train", "--no-fid", "--out", str(tmp_path)]) == 2
    assert "--no-fid applies to the GANs only" in capsys.readouterr().err
    assert main(["train", "--resume", str(dcgan), "--lr", "0.1"]) == 2
    assert "leave out --lr" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_on_mnist_reports_its_fid_and_floor(tmp_path):
    assert main(["train", "--model", "dcgan", "--dataset", "mnist-10k", "--epochs", "1",
                 "--quiet", "--out", str(tmp_path)]) == 0
    (folder,) = list(tmp_path.iterdir())
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["fid_floor"] < metrics["fid"] and metrics["fid_floor"] < 20
