"""models.RNNLM (言語モデル): shapes, weight tying, generation, save/load, perplexity, and
PyTorch as an oracle for the forward pass and the gradients."""

import math

import numpy as np
import pytest

import manabu
from manabu import nn
from manabu.models.language import RNNLM, evaluate_lm, lm_loss, perplexity

torch = pytest.importorskip("torch")

V, E, H = 11, 8, 12


def ids_batch(n=3, t=5, seed=0):
    return np.random.default_rng(seed).integers(0, V, size=(n, t))


class TorchLM(torch.nn.Module):
    """The same three layers in PyTorch, under the same attribute names."""

    def __init__(self, cell, embed_dim, hidden_dim, num_layers=1, tie=False):
        super().__init__()
        layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.embedding = torch.nn.Embedding(V, embed_dim)
        self.rnn = layer(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True)
        self.decoder = torch.nn.Linear(hidden_dim, V)
        if tie:
            self.decoder.weight = self.embedding.weight

    def forward(self, ids):
        h, _ = self.rnn(self.embedding(ids))
        return self.decoder(h)


def torch_twin(model, tie=False):
    c = model.config
    twin = TorchLM(c["cell"], c["embed_dim"], c["hidden_dim"], c["num_layers"], tie).double()
    twin.load_state_dict({k: torch.from_numpy(v.astype(np.float64))
                          for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2])
def test_shapes_and_state(cell, layers):
    manabu.manual_seed(0)
    model = RNNLM(V, E, H, num_layers=layers, cell=cell)
    logits, state = model(ids_batch(3, 5))
    assert logits.shape == (3, 5, V)
    states = state if cell == "lstm" else (state,)
    assert len(states) == (2 if cell == "lstm" else 1)
    for s in states:
        assert s.shape == (layers, 3, H)
    assert model.config == {"vocab_size": V, "embed_dim": E, "hidden_dim": H,
                            "num_layers": layers, "cell": cell, "dropout": 0.0,
                            "tie_weights": False}


def test_state_carries_a_stream_across_windows():
    manabu.manual_seed(1)
    model = RNNLM(V, E, H)
    ids = ids_batch(2, 10)
    whole, _ = model(ids)
    first, state = model(ids[:, :4])
    second, _ = model(ids[:, 4:], nn.detach_state(state))
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()], axis=1),
                               whole.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_forward_and_gradients_match_pytorch(cell):
    manabu.manual_seed(2)
    model = RNNLM(V, E, H, num_layers=2, cell=cell).double()
    twin = torch_twin(model)
    ids = ids_batch(4, 7, seed=3)
    targets = ids_batch(4, 7, seed=4)
    logits, _ = model(ids)
    loss = lm_loss(logits, targets)
    loss.backward()
    t_logits = twin(torch.from_numpy(ids))
    t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, V),
                                               torch.from_numpy(targets).reshape(-1))
    t_loss.backward()
    np.testing.assert_allclose(logits.numpy(), t_logits.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    t_params = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_initialisation_follows_pytorch_word_language_model():
    manabu.manual_seed(5)
    model = RNNLM(200, 64, 64)
    emb = model.embedding.weight.numpy()
    assert np.abs(emb).max() <= 0.1 and np.abs(emb).max() > 0.09
    assert np.all(model.decoder.bias.numpy() == 0)
    bound = 1 / math.sqrt(64)
    w = model.rnn.weight_hh_l0.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_tied_weights_share_one_parameter_and_match_pytorch():
    manabu.manual_seed(6)
    tied = RNNLM(V, H, H, tie_weights=True).double()
    untied = RNNLM(V, H, H)
    assert tied.decoder.weight is tied.embedding.weight
    count = sum(p.size for p in tied.parameters())
    assert count == sum(p.size for p in untied.parameters()) - V * H
    twin = torch_twin(tied, tie=True)
    ids, targets = ids_batch(3, 6, seed=7), ids_batch(3, 6, seed=8)
    logits, _ = tied(ids)
    lm_loss(logits, targets).backward()
    t_loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(ids)).reshape(-1, V),
                                               torch.from_numpy(targets).reshape(-1))
    t_loss.backward()
    # the one matrix gets the gradient of both uses: the lookup and the output layer
    np.testing.assert_allclose(tied.embedding.weight.grad.numpy(),
                               twin.embedding.weight.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_tying_needs_equal_sizes():
    with pytest.raises(ValueError, match="embed_dim must equal hidden_dim.*embed_dim=8"):
        RNNLM(V, 8, 12, tie_weights=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"cell": "transformer"}, "cell must be one of"),
    ({"dropout": 1.0}, "dropout must be in"),
    ({"num_layers": 0}, "num_layers must be a positive integer"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RNNLM(V, E, H, **kwargs)


def test_bad_ids_are_explained():
    model = RNNLM(V, E, H)
    with pytest.raises(ValueError, match=r"\(N, T\).*ids\[None\]"):
        model(np.arange(5))
    with pytest.raises(TypeError, match="integers"):
        model(np.zeros((2, 3)))
    logits, _ = model(ids_batch())
    with pytest.raises(ValueError, match="targets must have shape"):
        lm_loss(logits, ids_batch(3, 4))


def test_dropout_acts_in_training_only():
    manabu.manual_seed(9)
    model = RNNLM(V, E, H, num_layers=2, dropout=0.5)
    ids = ids_batch()
    a, _ = model(ids)
    b, _ = model(ids)
    assert not np.allclose(a.numpy(), b.numpy())
    model.eval()
    c, _ = model(ids)
    d, _ = model(ids)
    np.testing.assert_array_equal(c.numpy(), d.numpy())


def test_generate_is_reproducible_with_a_generator():
    manabu.manual_seed(10)
    model = RNNLM(V, E, H)
    prefix = np.array([1, 2, 3])
    a = model.generate(prefix, 20, generator=np.random.default_rng(0))
    b = model.generate(prefix, 20, generator=np.random.default_rng(0))
    c = model.generate(prefix, 20, generator=np.random.default_rng(1))
    assert a.shape == (23,) and a.dtype == np.int64
    np.testing.assert_array_equal(a[:3], prefix)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() < V
    manabu.manual_seed(3)
    d = model.generate(prefix, 20)
    manabu.manual_seed(3)
    np.testing.assert_array_equal(model.generate(prefix, 20), d)  # the global generator
    assert model.training  # generate switches to eval and back


def test_generate_greedy_follows_the_argmax_chain():
    manabu.manual_seed(11)
    model = RNNLM(V, E, H, cell="gru")
    out = model.generate(np.array([[4, 5], [6, 7]]), 6, temperature=0)
    assert out.shape == (2, 8)
    for row in out:  # each new token is the argmax after reading everything before it
        for t in range(2, 8):
            with manabu.no_grad():
                logits, _ = model(row[None, :t])
            assert row[t] == int(np.argmax(logits.numpy()[0, -1]))
    top1 = model.generate(np.array([[4, 5], [6, 7]]), 6, top_k=1,
                          generator=np.random.default_rng(0))
    np.testing.assert_array_equal(top1, out)


def test_save_load_round_trip(tmp_path):
    manabu.manual_seed(12)
    model = RNNLM(V, H, H, num_layers=2, cell="gru", dropout=0.1, tie_weights=True)
    ids = ids_batch()
    model.eval()
    expected, _ = model(ids)
    manabu.save(model, str(tmp_path / "lm"))
    loaded = manabu.load(str(tmp_path / "lm"))
    assert isinstance(loaded, RNNLM) and loaded.config == model.config
    assert loaded.decoder.weight is loaded.embedding.weight  # still tied
    loaded.eval()
    got, _ = loaded(ids)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    model = RNNLM(V, E, H)
    nn.init.zeros_(model.decoder.weight)  # every score 0: p = 1/V for every token
    ids = np.random.default_rng(13).integers(0, V, size=1001)
    assert evaluate_lm(model, ids, batch_size=4) == pytest.approx(math.log(V), rel=1e-6)
    assert perplexity(model, ids, batch_size=4, seq_len=50) == pytest.approx(V, rel=1e-5)


def test_evaluate_lm_is_the_mean_loss_over_windows():
    manabu.manual_seed(14)
    model = RNNLM(V, E, H)
    ids = np.random.default_rng(15).integers(0, V, size=401)
    # 4 rows of 100 tokens in windows of 25, the state carried along each row
    rows_in = ids[:400].reshape(4, 100)
    rows_out = ids[1:401].reshape(4, 100)
    with manabu.no_grad():
        logits, _ = model(rows_in)
    log_p = logits.numpy() - np.log(np.exp(logits.numpy()).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, rows_out[..., None], axis=-1).mean()
    assert evaluate_lm(model, ids, batch_size=4, seq_len=25) == pytest.approx(expected,
                                                                              rel=1e-5)
    assert model.training
