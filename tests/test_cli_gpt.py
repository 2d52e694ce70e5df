"""`manabu train --model gpt` and `manabu generate`: a run folder that holds a language
model, its tokenizer and a checkpoint; exact resume after an interruption; clear errors for
prompts with unknown characters, folders without a language model, bad sampling options."""

import json
import os

import numpy as np
import pytest

import manabu
from manabu import train
from manabu.cli import main
from manabu.data import load_tiny_shakespeare

TINY = ["--max-iters", "40", "--eval-interval", "20", "--n-layer", "1", "--n-embd", "32",
        "--n-head", "2", "--block-size", "16", "--batch-size", "8"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "plays.txt"
    path.write_text(load_tiny_shakespeare()[:50_000], encoding="utf-8")
    return str(path)


def _train(out, corpus, *extra):
    assert main(["train", "--model", "gpt", "--dataset", corpus, "--out", str(out), "--quiet",
                 *TINY, *extra]) == 0
    (folder,) = [out / name for name in os.listdir(out)]
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory, corpus):
    return _train(tmp_path_factory.mktemp("runs"), corpus)


def test_train_writes_a_language_model_run(run, capsys):
    for name in ("model.safetensors", "model.json", "tokenizer.json", "args.json",
                 "checkpoint.safetensors", "metrics.json", "history.csv", "curves.png"):
        assert (run / name).stat().st_size > 0, name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["iterations"] == 40 and len(metrics["epochs"]) == 2
    assert metrics["val_perplexity"] == pytest.approx(np.exp(metrics["val_loss"]))
    assert metrics["val_loss"] < np.log(60)  # better than a uniform guess after 40 steps
    assert type(manabu.load(str(run / "model.safetensors"))).__name__ == "GPT"
    assert main(["evaluate", str(run)]) == 0
    assert f"validation loss {metrics['val_loss']:.4f}" in capsys.readouterr().out


def test_generate_prints_the_prompt_and_its_continuation(run, capsys):
    assert main(["generate", str(run), "--prompt", "ROMEO:", "--tokens", "50", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ROMEO:") and len(text.rstrip("\n")) >= 50
    assert main(["generate", str(run), "--prompt", "ROMEO:", "--tokens", "50", "--seed", "1"]) == 0
    assert capsys.readouterr().out == text  # the same seed, the same text
    greedy = ["generate", str(run), "--tokens", "30", "--temperature", "0"]
    assert main(greedy) == 0
    cached = capsys.readouterr().out
    assert main([*greedy, "--no-cache"]) == 0
    assert capsys.readouterr().out == cached
    assert main(["generate", str(run), "--tokens", "30", "--top-k", "5", "--top-p", "0.9"]) == 0


def test_an_interrupted_run_resumes_exactly(tmp_path, corpus, run, monkeypatch):
    save = train.ModelCheckpoint.on_epoch_end

    def save_then_stop(self, training_run, logs):
        save(self, training_run, logs)
        raise KeyboardInterrupt  # the user presses Ctrl-C after the first evaluation

    monkeypatch.setattr(train.ModelCheckpoint, "on_epoch_end", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, corpus)
    monkeypatch.undo()
    (folder,) = [tmp_path / name for name in os.listdir(tmp_path)]
    assert not (folder / "model.safetensors").exists()
    assert main(["train", "--resume", str(folder), "--quiet"]) == 0
    resumed = manabu.load(str(folder / "model.safetensors"))
    straight = manabu.load(str(run / "model.safetensors"))  # the same options, no stop
    for (name, a), b in zip(resumed.state_dict().items(), straight.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    history = json.loads((folder / "metrics.json").read_text())["epochs"]
    assert len(history) == 2


@pytest.mark.parametrize("args, message", [
    (["--prompt", "ROMEO: Zé"], "characters not in the vocabulary: 'Z', 'é'"),
    (["--prompt", ""], "--prompt is empty"),
])
def test_generate_names_what_is_wrong(run, capsys, args, message):
    vocabulary = set(load_tiny_shakespeare()[:50_000])
    assert "Z" not in vocabulary  # what the first case relies on
    assert main(["generate", str(run), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("flag, value", [("--top-p", "0"), ("--top-p", "1.5"),
                                         ("--top-k", "0"), ("--temperature", "-1"),
                                         ("--tokens", "-3")])
def test_generate_refuses_bad_sampling_options(run, capsys, flag, value):
    with pytest.raises(SystemExit) as stop:
        main(["generate", str(run), flag, value])
    assert stop.value.code == 2 and flag in capsys.readouterr().err


def test_generate_needs_a_language_model_run(tmp_path, run, capsys):
    assert main(["train", "--epochs", "1", "--out", str(tmp_path), "--quiet"]) == 0
    (mlp_run,) = [tmp_path / name for name in os.listdir(tmp_path)]
    assert main(["generate", str(mlp_run)]) == 2
    assert "holds a MLP, not a language model" in capsys.readouterr().err
    assert main(["predict", str(run), str(tmp_path / "x.npy")]) == 2
    assert "holds a language model" in capsys.readouterr().err
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    os.link(run / "model.safetensors", lonely / "model.safetensors")
    assert main(["generate", str(lonely)]) == 2
    assert "has no tokenizer.json" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--model", "gpt", "--epochs", "3"], "--epochs does not apply to --model gpt"),
    (["--model", "gpt", "--optimizer", "sgd"], "trains with AdamW"),
    (["--model", "gpt", "--dataset", "mnist"], "a GPT trains on a text"),
    (["--model", "gpt", "--max-iters", "30", "--eval-interval", "20"], "must divide"),
    (["--max-iters", "100"], "--max-iters applies to --model gpt only"),
])
def test_train_refuses_options_that_do_not_fit(tmp_path, capsys, args, message):
    assert main(["train", "--out", str(tmp_path / "runs"), "--quiet", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not os.listdir(tmp_path / "runs")


def test_resume_takes_a_gpt_run_and_no_other_option(tmp_path, run, capsys):
    assert main(["train", "--resume", str(tmp_path / "nowhere")]) == 2
    assert "nowhere has no args.json" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--lr", "0.1"]) == 2
    assert "leave out --lr" in capsys.readouterr().err
