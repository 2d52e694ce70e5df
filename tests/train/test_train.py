"""The fit loop: history, metrics, callbacks, NaN stop, exact resume."""

import json
import math
import os

import numpy as np
import pytest

import manabu
from manabu import nn, optim, train
from manabu.data import DataLoader, TensorDataset
from manabu.data.datasets import spiral


def _spiral_data():
    x, y = spiral(n_per_class=60, seed=1)
    return x, y


def _model():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))


def test_fit_learns_spiral_and_records_history():
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.02),
                        (x, y), val_data=(x, y), epochs=40, batch_size=30, seed=0, verbose=0)
    assert len(history) == 40
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert set(history.keys()) >= {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"}


def test_evaluate_and_predict_use_eval_mode_and_restore_it():
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    model.train()
    first = train.predict(model, x)
    second = train.predict(model, x)
    np.testing.assert_array_equal(first, second)  # dropout off while predicting
    assert model.training
    result = train.evaluate(model, nn.CrossEntropyLoss(), (x, y))
    assert 0.0 <= result["accuracy"] <= 1.0 and result["loss"] > 0
    assert first.shape == (len(x), 3)


def test_nan_loss_stops_with_epoch_step_and_last_finite_loss():
    manabu.manual_seed(0)
    x, y = _spiral_data()
    x = x.copy()
    x[100] = np.nan  # the batch holding example 100 (unshuffled: batch 4 of size 30) is bad
    model = _model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(train.NonFiniteLossError) as error:
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0),
                  (x, y), epochs=2, batch_size=30, shuffle=False, verbose=0)
    message = str(error.value)
    assert "epoch 1, step 4" in message and "batch 4 of 6" in message
    assert "last finite loss: 1." in message or "last finite loss: 0." in message
    for key, value in model.state_dict().items():
        assert np.all(np.isfinite(value)), f"{key} was updated with the NaN loss"
        np.testing.assert_array_equal(value, before[key])  # lr=0: nothing moved


def _run(tmp_path, epochs, resume=False):
    """A run with dropout, shuffling, momentum and a schedule: everything must resume."""
    manabu.manual_seed(123)
    x, y = _spiral_data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    schedule = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=7)
    path = str(tmp_path / "ckpt.safetensors")
    callbacks = [train.LRScheduler(schedule), train.ModelCheckpoint(path)]
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs,
                        callbacks=callbacks, resume_from=path if resume else None, verbose=0,
                        log_every_step=True)
    return history, model


def test_resume_from_checkpoint_continues_exactly(tmp_path):
    full_history, full_model = _run(tmp_path / "full", epochs=5)
    _run(tmp_path / "split", epochs=3)  # "killed" after epoch 3
    manabu.manual_seed(999)  # a different global state: the checkpoint must restore it
    resumed_history, resumed_model = _run(tmp_path / "split", epochs=5, resume=True)
    assert [r["loss"] for r in resumed_history.steps] == [r["loss"] for r in full_history.steps]
    assert resumed_history["loss"] == full_history["loss"]
    assert resumed_history["lr"] == full_history["lr"]
    for key, value in full_model.state_dict().items():
        np.testing.assert_array_equal(resumed_model.state_dict()[key], value)


def test_early_stopping_stops_and_restores_best(tmp_path):
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    stopper = train.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # a huge learning rate makes validation loss worse after the first epochs
    history = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0),
                        (x, y), val_data=(x, y), epochs=30, callbacks=[stopper], verbose=0)
    assert len(history) < 30
    assert stopper.stopped_epoch == len(history)
    best = min(history["val_loss"])
    restored = train.evaluate(model, nn.CrossEntropyLoss(), (x, y))["loss"]
    assert math.isclose(restored, best, rel_tol=1e-5)


def test_csv_and_json_loggers(tmp_path):
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    csv_path, json_path = tmp_path / "h.csv", tmp_path / "h.json"
    train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (x, y), epochs=3,
              callbacks=[train.CSVLogger(str(csv_path)), train.JSONLogger(str(json_path))],
              verbose=0)
    rows = csv_path.read_text().strip().splitlines()
    assert rows[0].startswith("epoch,loss,accuracy") and len(rows) == 4
    assert [r["epoch"] for r in json.loads(json_path.read_text())["epochs"]] == [1, 2, 3]


def test_reduce_on_plateau_through_callback():
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.0)  # no progress: a plateau by construction
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, (x, y), val_data=(x, y), epochs=3,
                        callbacks=[train.LRScheduler(plateau)], verbose=0)
    assert history["lr"][0] == 0.0 and len(history) == 3


def test_metrics_match_hand_counts():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 1.0, 2.0], [5.0, 0.0, 1.0]])
    labels = np.array([0, 2, 2, 1])
    assert train.accuracy(logits, labels) == 0.5
    assert train.top_k_accuracy(logits, labels, k=2) == 0.75
    counts = train.confusion_matrix(logits, labels)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [1, 0, 0], [0, 1, 1]])
    scores = train.precision_recall_f1(logits, labels)
    # class 0: P 1/2, R 1; class 1: P 0, R 0; class 2: P 1, R 1/2
    assert math.isclose(scores["precision"], (0.5 + 0 + 1) / 3)
    assert math.isclose(scores["recall"], (1 + 0 + 0.5) / 3)


def test_fit_rejects_unbatchable_data():
    model = _model()
    with pytest.raises(TypeError, match="DataLoader, a Dataset or an"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters()), 42, verbose=0)


def test_checkpoint_file_is_written_atomically(tmp_path, monkeypatch):
    """A crash in the middle of writing leaves the previous checkpoint intact."""
    from manabu import io

    path = str(tmp_path / "c.safetensors")
    io.save_checkpoint(path, {"w": np.ones(3, dtype=np.float32)}, {"epoch": 1})

    def crash(*args, **kwargs):  # the temporary file is complete; the rename never happens
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        io.save_checkpoint(path, {"w": np.zeros(3, dtype=np.float32)}, {"epoch": 2})
    monkeypatch.undo()
    arrays, state = io.load_checkpoint(path)
    assert state["epoch"] == 1 and arrays["w"].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ["c.safetensors"]  # no temporary file left behind


# ---------------------------------------------------------------------------- issue 10, item 4:
# checkpoint paths and resuming into a different optimizer (appended as one block)
@pytest.mark.parametrize("path, message", [
    ("ckpt_{val_loss}.safetensors", r"has the field \{val_loss\}.*allowed are \{epoch\}, "
                                    r"\{step\}"),
    ("ckpt_{}.safetensors", r"has the field \{\}"),
    ("ckpt_{epoch.real}", r"has the field \{epoch\.real\}"),
    ("ckpt_{epoch", r"not a valid format string.*literal brace as \{\{"),
    ("ckpt_{epoch:s}", r"cannot be formatted with integer fields.*Unknown format code 's'"),
])
def test_model_checkpoint_checks_its_path_template_when_made(path, message):
    with pytest.raises(ValueError, match="ModelCheckpoint: path .*" + message):
        train.ModelCheckpoint(path)


def test_model_checkpoint_fills_epoch_and_step(tmp_path):
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    checkpoint = train.ModelCheckpoint(str(tmp_path / "e{epoch:02d}_s{step}.safetensors"))
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
              epochs=2, batch_size=60, shuffle=False, callbacks=[checkpoint], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["e01_s3.safetensors", "e02_s6.safetensors"]


def _checkpoint_of(tmp_path, make_optimizer, schedule=None):
    """A one-epoch run saved to a checkpoint; returns its path."""
    manabu.manual_seed(0)
    x, y = _spiral_data()
    model = _model()
    opt = make_optimizer(model.parameters())
    path = str(tmp_path / "ckpt.safetensors")
    callbacks = [train.ModelCheckpoint(path)]
    if schedule is not None:
        callbacks.insert(0, train.LRScheduler(schedule(opt)))
    train.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=1, batch_size=60,
              callbacks=callbacks, verbose=0)
    return path


def test_resuming_into_another_optimizer_is_refused(tmp_path):
    path = _checkpoint_of(tmp_path, lambda p: optim.Adam(p, lr=0.01))
    model = _model()
    with pytest.raises(ValueError, match=r"the checkpoint holds Adam state, this optimizer is "
                                         r"SGD; build the same optimizer to resume"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01),
                  _spiral_data(), epochs=2, batch_size=60, resume_from=path, verbose=0)


def test_resuming_warns_only_when_the_checkpoint_replaces_a_given_hyper_parameter(tmp_path):
    import warnings

    path = _checkpoint_of(tmp_path / "adam", lambda p: optim.Adam(p, lr=0.01))
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.1, betas=(0.8, 0.99))
    with pytest.warns(UserWarning, match=r"lr 0\.01 \(checkpoint\) instead of 0\.1 \(given\).*"
                                         r"betas \(0\.9, 0\.999\) \(checkpoint\) instead of "
                                         r"\(0\.8, 0\.99\).*resumes exactly.*"
                                         r"param_groups\[i\]\['lr'\]"):
        train.state.load_training_state(path, model, opt)
    assert opt.param_groups[0]["lr"] == 0.01  # PyTorch's rule: the saved lr, an exact resume

    def schedule(opt):
        return optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)  # lr moves each epoch

    path = _checkpoint_of(tmp_path / "sgd", lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                          schedule)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with warnings.catch_warnings():  # the same run resumed: the schedule's lr is no surprise
        warnings.simplefilter("error", UserWarning)
        train.state.load_training_state(path, model, opt, schedule(opt))
    assert opt.param_groups[0]["lr"] == 0.05
