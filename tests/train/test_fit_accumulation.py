"""Gradient accumulation in fit (k micro-batches train as one batch of k times the size),
step counting for schedules, and perplexity in the logs of language-model training."""

import math

import numpy as np
import pytest

import manabu
from manabu import backend, models, nn, optim, train
from manabu.data import DataLoader, TensorDataset


@pytest.fixture
def float64():
    backend.set_default_dtype(np.float64)
    yield
    backend.set_default_dtype(np.float32)


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 5))
    return x, x @ rng.standard_normal((5, 2)) + 0.1 * rng.standard_normal((n, 2))


def _trained(make_model, make_optimizer, batch_size, accumulation_steps, epochs=3,
             max_grad_norm=None):
    manabu.manual_seed(0)
    model = make_model()
    x, y = _data()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)  # the same order
    train.fit(model, nn.MSELoss(), make_optimizer(model), loader, epochs=epochs,
              accumulation_steps=accumulation_steps, max_grad_norm=max_grad_norm, verbose=0)
    return [p.numpy() for p in model.parameters()]


@pytest.mark.parametrize("make_model", [
    lambda: nn.Linear(5, 2),
    lambda: models.MLP(in_features=5, hidden_sizes=(8,), out_features=2),
])
@pytest.mark.parametrize("make_optimizer", [
    lambda m: optim.SGD(m.parameters(), lr=0.1), lambda m: optim.Adam(m.parameters(), lr=0.01),
])
def test_four_micro_batches_of_8_equal_one_batch_of_32(float64, make_model, make_optimizer):
    whole = _trained(make_model, make_optimizer, batch_size=32, accumulation_steps=1)
    accumulated = _trained(make_model, make_optimizer, batch_size=8, accumulation_steps=4)
    for a, b in zip(whole, accumulated):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_gradients_are_clipped_once_per_optimizer_step(float64):
    # the norm of the accumulated (mean) gradient is clipped, as for the batch of 32
    make_model = lambda: models.MLP(in_features=5, hidden_sizes=(8,), out_features=2)  # noqa: E731
    sgd = lambda m: optim.SGD(m.parameters(), lr=0.1)  # noqa: E731
    whole = _trained(make_model, sgd, batch_size=32, accumulation_steps=1, max_grad_norm=0.05)
    accumulated = _trained(make_model, sgd, batch_size=8, accumulation_steps=4,
                           max_grad_norm=0.05)
    unclipped = _trained(make_model, sgd, batch_size=32, accumulation_steps=1)
    for a, b in zip(whole, accumulated):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert not np.allclose(whole[0], unclipped[0])  # the clipping did change the steps


def test_a_short_last_group_is_averaged_over_its_own_size(float64):
    # 32 examples in batches of 8 with k = 3: groups of 3 and 1 batch; the last group's
    # step is the plain gradient of its one batch (as a batch of 8 on its own)
    sgd = lambda m: optim.SGD(m.parameters(), lr=0.1)  # noqa: E731
    manabu.manual_seed(0)
    model = nn.Linear(5, 2)
    start = [p.numpy().copy() for p in model.parameters()]
    x, y = _data()
    train.fit(model, nn.MSELoss(), sgd(model), DataLoader(TensorDataset(x, y), batch_size=8),
              accumulation_steps=3, verbose=0)
    manabu.manual_seed(0)
    reference = nn.Linear(5, 2)
    for p, s in zip(reference.parameters(), start):
        p.data[...] = s
    opt = sgd(reference)
    for rows in (slice(0, 24), slice(24, 32)):
        loss = nn.MSELoss()(reference(manabu.tensor(x[rows])), manabu.tensor(y[rows]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-10)


def test_schedules_and_step_callbacks_count_optimizer_steps():
    model = nn.Linear(5, 2)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    steps = []

    class Steps(train.Callback):
        def on_step_end(self, run, loss):
            steps.append(run.step)

    history = train.fit(model, nn.MSELoss(), optimizer, _data(), batch_size=4, epochs=2,
                        accumulation_steps=4, log_every_step=True, verbose=0,
                        callbacks=[train.LRScheduler(schedule, interval="step"), Steps()])
    assert steps == [1, 2, 3, 4]  # 8 batches an epoch, 2 optimizer steps an epoch
    assert [s["step"] for s in history.steps] == steps
    assert optimizer.param_groups[0]["lr"] == 0.5 ** 4


def _accumulated_run(folder, epochs, resume=False):
    """Noam per optimizer step, k = 3 over 8 batches (steps of 3, 3 and 2 batches), Adam,
    shuffled: a checkpoint after each epoch, named by its step count."""
    manabu.manual_seed(0)
    model = models.MLP(in_features=5, hidden_sizes=(8,), out_features=2)
    optimizer = optim.Adam(model.parameters(), lr=1.0)
    schedule = optim.lr_scheduler.NoamLR(optimizer, d_model=8, warmup_steps=4)
    loader = DataLoader(TensorDataset(*_data()), batch_size=4, shuffle=True, seed=3)
    save = train.ModelCheckpoint(folder / "step{step}.safetensors")
    saved = sorted(folder.glob("*.safetensors"), key=lambda p: int(p.stem[len("step"):]))
    start = saved[-1] if resume else None  # the latest checkpoint
    history = train.fit(model, nn.MSELoss(), optimizer, loader, epochs=epochs,
                        accumulation_steps=3, resume_from=start, verbose=0,
                        callbacks=[train.LRScheduler(schedule, interval="step"), save])
    return history, model, schedule


def test_resume_with_accumulation_continues_exactly(tmp_path):
    full_history, full_model, full_schedule = _accumulated_run(tmp_path / "full", epochs=4)
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == [
        "step12.safetensors", "step3.safetensors", "step6.safetensors", "step9.safetensors"]
    assert full_schedule.last_epoch == 12  # 3 optimizer steps an epoch
    _accumulated_run(tmp_path / "split", epochs=2)  # "killed" after epoch 2 (step 6)
    manabu.manual_seed(999)  # the checkpoint restores the global generator
    history, model, schedule = _accumulated_run(tmp_path / "split", epochs=4, resume=True)
    assert history["loss"] == full_history["loss"] and history["lr"] == full_history["lr"]
    assert schedule.last_epoch == 12
    assert (tmp_path / "split" / "step12.safetensors").exists()  # run.step went on from 6
    for key, value in full_model.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value)


def test_history_and_epoch_line_report_unscaled_losses(capsys):
    manabu.manual_seed(0)
    model = nn.Linear(5, 2)
    x, y = _data()
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    history = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.0), loader,
                        accumulation_steps=4, log_every_step=True, verbose=1,
                        metrics=("perplexity",))
    # lr = 0: the weights stay, so the losses can be recomputed afterwards
    mse = nn.MSELoss()
    losses = [float(mse(model(manabu.tensor(x[i:i + 8])), manabu.tensor(y[i:i + 8])).data)
              for i in range(0, 32, 8)]
    assert history["loss"][0] == pytest.approx(np.mean(losses))
    assert [s["loss"] for s in history.steps] == pytest.approx([np.mean(losses)])
    line = capsys.readouterr().out
    assert f"loss {np.mean(losses):.4g}" in line
    assert f"perplexity {math.exp(np.mean(losses)):.4g}" in line


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_accumulation_steps_are_checked(k):
    model = nn.Linear(5, 2)
    with pytest.raises(ValueError, match="accumulation_steps must be a whole number"):
        train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), _data(),
                  accumulation_steps=k, verbose=0)


def test_a_nan_loss_stops_before_the_group_is_applied():
    model = nn.Linear(5, 2)
    before = [p.numpy().copy() for p in model.parameters()]
    x, y = _data()
    x[10] = np.nan  # in the third batch (rows 8-11) of the first group of 4
    with pytest.raises(train.NonFiniteLossError, match="step 1 .batch 3 of 8"):
        train.fit(model, nn.MSELoss(), optim.SGD(model.parameters()), (x, y), batch_size=4,
                  accumulation_steps=4, shuffle=False, verbose=0)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_perplexity_is_the_exponential_of_the_loss():
    manabu.manual_seed(0)
    model = models.GPT(models.GPTConfig(vocab_size=7, block_size=6, n_layer=1, n_head=2,
                                        n_embd=8))
    ids = np.arange(200) % 7
    x = np.stack([ids[i:i + 6] for i in range(0, 180, 3)])
    y = np.stack([ids[i + 1:i + 7] for i in range(0, 180, 3)])
    history = train.fit(model, models.lm_loss, optim.AdamW(model.parameters(), lr=3e-3),
                        (x, y), val_data=(x[:10], y[:10]), epochs=2, batch_size=10,
                        metrics=("perplexity", "accuracy"), verbose=0)
    for record in history.epochs:
        assert record["perplexity"] == pytest.approx(math.exp(record["loss"]))
        assert record["val_perplexity"] == pytest.approx(math.exp(record["val_loss"]))
        assert 0 <= record["accuracy"] <= 1  # next-token accuracy
    assert history["perplexity"][-1] < 7  # better than guessing among 7 tokens
    result = train.evaluate(model, models.lm_loss, (x, y), metrics=("perplexity",))
    assert set(result) == {"loss", "perplexity"}
    with pytest.raises(ValueError, match="metrics must be a tuple of accuracy, perplexity"):
        train.evaluate(model, models.lm_loss, (x, y), metrics=("bleu",))


class _Flat(nn.Module):
    """Logits (N * T, V): the rows of (N, T) targets, flattened (no per-token accuracy)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, ids):
        logits = self.inner(ids)  # (N, T, V)
        return logits.reshape(-1, logits.shape[-1])  # (N*T, V)


def test_next_token_accuracy_of_lm_logits_and_a_clean_skip_otherwise():
    manabu.manual_seed(0)
    table = nn.Embedding(5, 5)  # a bigram model: logits (N, T, V) of ids (N, T)
    x = np.random.default_rng(1).integers(0, 5, size=(6, 4))
    y = np.roll(x, -1, axis=1)
    result = train.evaluate(table, models.lm_loss, (x, y), metrics=("accuracy", "perplexity"))
    predicted = table.weight.numpy()[x].argmax(axis=-1)  # (N, T)
    assert result["accuracy"] == pytest.approx((predicted == y).mean())  # over all N * T
    assert result["perplexity"] == pytest.approx(math.exp(result["loss"]))
    flat_loss = lambda logits, t: models.lm_loss(logits.reshape(6, 4, 5), t)  # noqa: E731
    flat = train.evaluate(_Flat(table), flat_loss, (x, y), batch_size=6)
    assert set(flat) == {"loss"}  # shapes that do not line up: no accuracy, no error
    assert flat["loss"] == pytest.approx(result["loss"])
