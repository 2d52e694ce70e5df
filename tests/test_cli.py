"""The `manabu` command: train writes a run folder; evaluate and predict read it back."""

import json
import os

import numpy as np
import pytest

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


# ---------------------------------------------------------------- bad input: one line, exit 2
@pytest.mark.parametrize("flag, value", [("--epochs", "0"), ("--epochs", "-2"),
                                         ("--batch-size", "0"), ("--batch-size", "-5"),
                                         ("--lr", "0"), ("--dropout", "1.5"),
                                         ("--epochs", "two")])
def test_bad_numbers_are_refused_before_any_run_folder(tmp_path, capsys, flag, value):
    out = tmp_path / "runs"
    with pytest.raises(SystemExit) as stop:
        main(["train", flag, value, "--out", str(out)])
    assert stop.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err
    assert not out.exists()


def test_out_that_is_a_file_or_not_writable_is_one_line(tmp_path, capsys, monkeypatch):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["train", "--out", str(afile)]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and err.count("\n") == 1
    assert main(["train", "--out", str(afile / "sub")]) == 2
    assert "cannot create the --out folder" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere: make os.access answer as for a user
        monkeypatch.setattr(os, "access", lambda path, mode: str(path) != str(locked))
    assert main(["train", "--out", str(locked)]) == 2
    assert "cannot write in the --out folder" in capsys.readouterr().err
    assert os.listdir(locked) == []


def test_divergence_exits_non_zero_and_keeps_the_run(tmp_path, capsys):
    with pytest.warns(UserWarning, match="training diverges"):
        code = main(["train", "--lr", "1e6", "--epochs", "2", "--quiet", "--out", str(tmp_path)])
    assert code == 1
    assert "smaller --lr than 1e+06" in capsys.readouterr().err
    (folder,) = os.listdir(tmp_path)
    assert (tmp_path / folder / "metrics.json").exists()


def _planted_run(tmp_path, change):
    from manabu import io
    from manabu.models import MLP

    run = tmp_path / "run"
    path = io.save(MLP(in_features=64, hidden_sizes=(8,), out_features=10),
                   str(run / "model.safetensors"), metadata={"dataset": "digits", "seed": 0})
    arrays, description = io.read_arrays(path)
    change(description)
    io.write_arrays(path, arrays, description)
    return run


@pytest.mark.parametrize("change, message", [
    (lambda d: d["architecture"]["config"].update(in_features="64"), "config.in_features"),
    (lambda d: d["architecture"].update({"class": "NoSuchNet"}), "not a registered model"),
    (lambda d: d.update(architecture=[1, 2]), "entry 'architecture' must be"),
    (lambda d: d.update(metadata={}), "names no data set"),
    (lambda d: d.update(metadata="digits"), "'metadata' must be a JSON object"),
])
def test_broken_run_folders_are_one_line(tmp_path, capsys, change, message):
    run = _planted_run(tmp_path, change)
    assert main(["evaluate", str(run)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_predict_checks_the_input_file(tmp_path, capsys):
    run = _planted_run(tmp_path, lambda d: None)
    np.save(tmp_path / "wrong.npy", np.zeros((3, 5)))
    assert main(["predict", str(run), str(tmp_path / "wrong.npy")]) == 2
    assert "takes examples of shape (64,)" in capsys.readouterr().err
    (tmp_path / "text.npy").write_text("not an array")
    assert main(["predict", str(run), str(tmp_path / "text.npy")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "has no model.safetensors" in capsys.readouterr().err
