"""The Transformer lessons: each quick mode runs through `manabu lesson NAME --quick` and
draws its figures, and each checks a property it teaches: the positional encoding's
offset structure, encoder classifiers that learn (one to its full-mode 99%), the PyTorch
twin's equal loss, a KV cache that is faster and changes no token, and the date
Transformer's masks (no peeking ahead, padding that changes nothing)."""

import numpy as np
import pytest

import manabu
from manabu.data.datasets.sequences import date_formats
from manabu.lessons.transformer import positional_encoding, transformer_dates
from manabu.lessons.transformer import transformer_encoder


def test_positional_encoding_depends_on_the_offset_only(run_lesson, assert_png):
    result = run_lesson("positional-encoding")
    assert result["diagonal_spread"] < 1e-10  # PE(p) . PE(p + k) is a function of k
    assert result["shift_fit_residual"] < 1e-10  # PE(p + k) = PE(p) M, one M for all p
    assert result["random_fit_residual"] > 0.5  # not so for a random table
    assert result["rotation_residual"] < 1e-10 and result["rotation_orthogonality"] < 1e-12
    dots = result["dot_by_offset"]
    assert dots["0"] == pytest.approx(32.0) and dots["0"] > dots["5"] > dots["50"]
    for path in result["figures"]:
        assert_png(path)


@pytest.mark.parametrize("d_model, k", [(16, 3), (64, 1), (64, 40)])
def test_offset_map_is_a_rotation(d_model, k):
    m = positional_encoding.offset_map(d_model, k)
    np.testing.assert_allclose(m @ m.T, np.eye(d_model), atol=1e-12)  # orthogonal
    pe = positional_encoding.encoding_table(d_model, 100)
    np.testing.assert_allclose(pe[:-k] @ m, pe[k:], atol=1e-12)
    _, residual = positional_encoding.least_squares_shift(pe, k)
    assert residual < 1e-10


def test_tasks_are_what_they_say():
    x, y = transformer_encoder.sorted_task(200, seed=1)
    is_sorted = (np.diff(x, axis=1) >= 0).all(axis=1)
    np.testing.assert_array_equal(is_sorted, y == 1)
    assert 0.4 < y.mean() < 0.6
    x, y = transformer_encoder.majority_task(100, seed=1)
    counts = np.stack([(x == v).sum(axis=1) for v in range(4)], axis=1)
    np.testing.assert_array_equal(counts.argmax(axis=1), y)
    assert ((counts == counts.max(axis=1, keepdims=True)).sum(axis=1) == 1).all()


def test_encoder_attention_maps_are_distributions():
    manabu.manual_seed(0)
    model = transformer_encoder.EncoderClassifier(vocab=10, classes=2)
    x, _ = transformer_encoder.sorted_task(3)
    for layer in (0, 1):
        weights = model.attention(x, layer=layer)
        assert weights.shape == (3, 12, 12)
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)


def test_transformer_encoder_quick(run_lesson, assert_png):
    result = run_lesson("transformer-encoder")
    assert result["tasks"]["majority"]["accuracy"] > 0.9  # chance: about 0.3
    assert 0.0 <= result["tasks"]["sorted"]["accuracy"] <= 1.0  # still on its plateau
    assert len(result["accuracies"]["sorted"]) == 5
    for path in result["figures"]:
        assert_png(path)


@pytest.mark.slow
def test_encoder_finds_the_unsorted_pair():  # the lesson's full run of *sorted*: ~25 s
    _, accuracy, _, _ = transformer_encoder.train_task("sorted", 18000, 2000, epochs=10)
    assert accuracy[-1] >= 0.99, accuracy
    assert accuracy[0] < 0.8  # the plateau it starts on


def test_gpt_shakespeare_quick_matches_its_pytorch_twin(run_lesson, assert_png, capsys):
    result = run_lesson("gpt-shakespeare")
    assert result["val_loss"] < 2.8  # 100 iterations: far below log 65 = 4.17
    assert result["difference"] < 0.01  # the same weights, data order and schedule
    assert result["sample"].startswith("ROMEO:") and len(result["sample"]) == 306
    assert_png(result["figures"][0])


def test_kv_cache_is_faster_and_changes_nothing(run_lesson, assert_png):
    result = run_lesson("kv-cache")
    assert result["identical"] is True
    assert result["speedup"][-1] > 1.5  # even at 64 tokens and 2 layers
    assert_png(result["figures"][0])


def test_transformer_dates_quick(run_lesson, assert_png):
    result = run_lesson("transformer-dates")
    assert len(result["accuracies"]) == len(result["seq2seq_accuracies"]) == 1
    assert 0 <= result["accuracy"] <= 1 and 0 <= result["seq2seq_accuracy"] <= 1
    assert result["seconds"] > 0 and result["seq2seq_seconds"] > 0
    for path in result["figures"]:
        assert_png(path)


@pytest.fixture
def date_model():
    x, t, vocab = date_formats(n=4, seed=5)
    manabu.manual_seed(0)
    model = transformer_dates.DateTransformer(len(vocab), pad_id=vocab.pad_id)
    model.eval()
    return model, x, t, vocab


def test_date_padding_mask_hides_only_the_trailing_spaces(date_model):
    model, x, _, vocab = date_model
    mask = model.padding_mask(x)
    for row, hidden in zip(x, mask):
        text = vocab.decode_text(row)
        assert (~hidden).sum() == len(text.rstrip())  # a space inside a date is kept
        assert hidden[len(text.rstrip()):].all()


def test_date_transformer_does_not_peek_ahead(date_model):
    model, x, t, _ = date_model
    tgt_in = t[:, :-1].copy()
    with manabu.no_grad():
        before = model(x, tgt_in).numpy()
        tgt_in[:, 6:] = (tgt_in[:, 6:] + 1) % 10 + 2  # other characters from position 6
        after = model(x, tgt_in).numpy()
    np.testing.assert_allclose(after[:, :6], before[:, :6], atol=1e-5)  # the causal mask
    assert np.abs(after[:, 6:] - before[:, 6:]).max() > 1e-3


def test_date_transformer_ignores_extra_padding(date_model):
    model, x, t, vocab = date_model
    longer = np.concatenate([x, np.full((len(x), 7), vocab.pad_id)], axis=1)  # (N, 36)
    with manabu.no_grad():
        logits = model(x, t[:, :-1]).numpy()
        padded = model(longer, t[:, :-1]).numpy()
    np.testing.assert_allclose(padded, logits, atol=1e-5)  # the key padding masks
    assert model.generate(x, start_id=vocab.bos_id, max_len=10).shape == (4, 10)


def test_date_cross_attention_skips_the_padding(date_model):
    model, x, t, _ = date_model
    weights = model.cross_attention(x, t[:, :-1])  # the last layer: (N, T, S)
    assert weights.shape == (4, 10, 29)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    hidden = model.padding_mask(x)  # (N, S)
    assert np.abs(weights.transpose(1, 0, 2)[:, hidden]).max() == 0.0
