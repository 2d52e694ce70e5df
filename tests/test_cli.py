"""The `manabu` command: train writes a run folder; evaluate and predict read it back."""

import json
import os

import numpy as np

from manabu.cli import main
from manabu.data.datasets import load_digits


def _train(tmp_path, *extra):
    assert main(["train", "--epochs", "3", "--out", str(tmp_path), "--quiet", *extra]) == 0
    (folder,) = [tmp_path / name for name in os.listdir(tmp_path)]
    return folder


def test_train_writes_run_folder_and_reports_accuracy(tmp_path, capsys):
    folder = _train(tmp_path)
    out = capsys.readouterr().out
    assert "test accuracy" in out and str(folder) in out
    for name in ("model.safetensors", "model.json", "metrics.json", "curves.png", "history.csv"):
        assert (folder / name).stat().st_size > 0, name
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.85  # 3 epochs on digits; the default 30 reach ~99%
    assert len(metrics["epochs"]) == 3


def test_evaluate_and_predict_a_saved_run(tmp_path, capsys):
    folder = _train(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(folder)]) == 0
    assert "digits test accuracy" in capsys.readouterr().out
    x, y = load_digits()
    np.save(tmp_path / "five.npy", x[:5])
    assert main(["predict", str(folder), str(tmp_path / "five.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    predicted = [int(line.split("class ")[1].split()[0]) for line in lines]
    assert len(predicted) == 5 and sum(p == t for p, t in zip(predicted, y[:5])) >= 4


def test_unknown_dataset_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--dataset", "cifar-1000", "--out", str(tmp_path)]) == 2
    assert "unknown data set 'cifar-1000'" in capsys.readouterr().err


def test_plot_activations_writes_png(tmp_path, capsys):
    path = tmp_path / "act.png"
    assert main(["plot", "activations", "--out", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
