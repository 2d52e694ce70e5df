"""Tests for word2vec: the fused embedding_dot op, negative sampling, CBOW and skip-gram."""

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu import optim
from manabu.data import Vocabulary
from manabu.data.datasets import TOY_SYNONYMS, toy_corpus
from manabu.models.word2vec import (
    CBOW, SkipGram, UnigramSampler, analogy, contexts_targets, most_similar,
    negative_sampling_loss,
)
from oracle import check_op

# --------------------------------------------------------------------------- embedding_dot


def _torch_embedding_dot(idx):
    def fn(h, w):
        rows = w[idx]  # (N, D) or (N, K, D)
        return (h * rows).sum(-1) if idx.ndim == 1 else (h[:, None, :] * rows).sum(-1)
    return fn


@pytest.mark.parametrize("idx", [
    np.array([0, 3, 3, 1, 5, 3]),  # (N,), with a repeated row
    np.array([[0, 2, 2], [4, 4, 4], [1, 0, 5], [3, 3, 0], [5, 1, 2], [2, 2, 2]]),  # (N, K)
])
def test_embedding_dot_matches_torch_and_gradcheck(idx):
    check_op(_torch_embedding_dot(idx), lambda h, w: F.embedding_dot(h, w, idx),
             shapes=[(6, 4), (7, 4)])


def test_embedding_dot_values_and_scatter_added_gradient():
    rng = np.random.default_rng(0)
    h = manabu.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    w = manabu.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    idx = np.array([[1, 1], [3, 1], [0, 1]])
    scores = F.embedding_dot(h, w, idx)
    expected = np.einsum("nd,nkd->nk", h.numpy(), w.numpy()[idx])
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-12)
    gy = rng.standard_normal((3, 2))
    (scores * manabu.tensor(gy)).sum().backward()
    gw = np.zeros((4, 2))
    for n in range(3):
        for k in range(2):
            gw[idx[n, k]] += gy[n, k] * h.numpy()[n]
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12)  # row 1 collects 4 terms
    np.testing.assert_allclose(h.grad.numpy(), np.einsum("nk,nkd->nd", gy, w.numpy()[idx]))


def test_embedding_dot_errors_name_the_shapes():
    h, w = manabu.tensor(np.ones((2, 3))), manabu.tensor(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"h \(2, 3\) and W_out \(5, 4\)"):
        F.embedding_dot(h, manabu.tensor(np.ones((5, 4))), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"N = 2 .* idx of shape \(3,\)"):
        F.embedding_dot(h, w, np.array([0, 1, 2]))
    with pytest.raises(IndexError, match="word id 5 is out of range"):
        F.embedding_dot(h, w, np.array([0, 5]))
    with pytest.raises(TypeError, match="integer word ids"):
        F.embedding_dot(h, w, np.array([0.0, 1.0]))


# --------------------------------------------------------------------------- sampling


def test_unigram_sampler_follows_count_to_the_power_075():
    counts = np.array([1, 10, 100, 1000, 0, 40])
    sampler = UnigramSampler(counts, power=0.75, k=5, generator=np.random.default_rng(0))
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(sampler.probabilities, expected)
    negatives = sampler.sample(np.zeros((20000, 2), dtype=np.int64))
    assert negatives.shape == (20000, 2, 5) and negatives.dtype == np.int64
    frequencies = np.bincount(negatives.ravel(), minlength=6) / negatives.size
    np.testing.assert_allclose(frequencies, expected, atol=0.003)
    assert frequencies[4] == 0  # a word never seen is never drawn
    again = UnigramSampler(counts, k=5, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(again.sample(np.zeros((20000, 2), dtype=np.int64)), negatives)


def test_unigram_sampler_can_exclude_the_target():
    sampler = UnigramSampler([5, 5, 5], k=4, generator=np.random.default_rng(1),
                             exclude_target=True)
    target = np.array([0, 1, 2] * 100)
    negatives = sampler.sample(target)
    assert not (negatives == target[:, None]).any()
    assert set(np.unique(negatives[target == 0])) == {1, 2}
    with pytest.raises(ValueError, match="vocab.frequencies"):
        UnigramSampler([0, 0])


# --------------------------------------------------------------------------- models


def test_contexts_targets_you_say_goodbye():
    vocab = Vocabulary.from_texts("you say goodbye and i say hello .", tokenizer=str.split,
                                  pad=None, unk=None, bos=None, eos=None)
    ids = vocab.encode("you say goodbye and i say hello .".split())
    contexts, targets = contexts_targets(ids, window=1)
    assert contexts.shape == (6, 2) and targets.shape == (6,)
    assert vocab.decode(contexts[0]) == ["you", "goodbye"] and vocab.decode(targets[:1]) == ["say"]
    wide, centre = contexts_targets(np.arange(7), window=2)
    assert wide.tolist() == [[0, 1, 3, 4], [1, 2, 4, 5], [2, 3, 5, 6]]
    assert centre.tolist() == [2, 3, 4]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_negative_sampling_loss_value():
    rng = np.random.default_rng(0)
    h, w = rng.standard_normal((3, 4)), rng.standard_normal((6, 4))
    positive, negatives = np.array([1, 2, 3]), np.array([[0, 4], [5, 5], [1, 0]])
    loss = negative_sampling_loss(manabu.tensor(h), manabu.tensor(w), positive, negatives)
    pos = (h * w[positive]).sum(-1)
    neg = np.einsum("nd,nkd->nk", h, w[negatives])
    expected = np.mean(-np.log(_sigmoid(pos)) - np.log(_sigmoid(-neg)).sum(-1))
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-10)


def test_cbow_loss_and_gradients_match_torch():
    import torch

    contexts = np.array([[0, 2, 3, 1], [4, 4, 0, 2], [1, 3, 3, 0]])
    target = np.array([1, 2, 4])
    negatives = np.array([[3, 0], [1, 1], [2, 4]])
    model = CBOW(5, 3, window=2)

    def manabu_fn(w_in, w_out):
        model.W_in.data, model.W_out.data = w_in.data, w_out.data
        h = F.embedding(contexts, w_in).mean(axis=1)
        return negative_sampling_loss(h, w_out, target, negatives)

    def torch_fn(w_in, w_out):
        h = w_in[torch.tensor(contexts)].mean(1)
        words = torch.tensor(np.concatenate([target[:, None], negatives], 1))
        scores = (h[:, None, :] * w_out[words]).sum(-1)
        labels = torch.zeros_like(scores)
        labels[:, 0] = 1
        loss = torch.nn.functional.binary_cross_entropy_with_logits(scores, labels, reduction="sum")
        return loss / len(target)

    check_op(torch_fn, manabu_fn, shapes=[(5, 3), (5, 3)])
    model_loss = model(contexts, target, negatives)
    np.testing.assert_allclose(model_loss.item(), manabu_fn(model.W_in, model.W_out).item())


def test_skip_gram_loss_value():
    model = SkipGram(6, 4)
    contexts, target = np.array([[0, 2], [5, 1]]), np.array([3, 4])
    negatives = np.array([[[1, 1], [0, 4]], [[2, 3], [3, 3]]])  # (N, C, k)
    loss = model(contexts, target, negatives)
    w_in, w_out = model.W_in.numpy().astype(np.float64), model.W_out.numpy().astype(np.float64)
    h = w_in[target]
    pos = np.einsum("nd,ncd->nc", h, w_out[contexts])
    neg = np.einsum("nd,nckd->nck", h, w_out[negatives])
    expected = np.mean((-np.log(_sigmoid(pos)) - np.log(_sigmoid(-neg)).sum(-1)).sum(-1))
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-5)
    assert model.config == {"vocab_size": 6, "dim": 4}
    with pytest.raises(ValueError, match=r"negatives \(N, C, k\).*\(2, 2\)"):
        model(contexts, target, np.zeros((2, 2), dtype=np.int64))


def test_cbow_checks_contexts_and_keeps_its_config(tmp_path):
    model = CBOW(10, 8, window=2)
    assert model.config == {"vocab_size": 10, "dim": 8, "window": 2}
    assert model.word_vectors.shape == (10, 8) and model.word_vectors.dtype == np.float32
    with pytest.raises(ValueError, match=r"\(N, 4\), got \(3, 2\)"):
        model(np.zeros((3, 2), dtype=np.int64), np.zeros(3, dtype=np.int64),
              np.zeros((3, 5), dtype=np.int64))
    manabu.save(model, str(tmp_path / "cbow"))
    loaded = manabu.load(str(tmp_path / "cbow"))
    assert isinstance(loaded, CBOW) and loaded.window == 2
    np.testing.assert_array_equal(loaded.word_vectors, model.word_vectors)


def _full_loss(model, contexts, targets, negatives):
    with manabu.no_grad():
        return model(contexts, targets, negatives).item()


def _train(model, ids, vocab, window, epochs=6, batch_size=100):
    """(loss before, loss after) on the whole corpus with one fixed draw of negatives."""
    contexts, targets = contexts_targets(ids, window)
    sampler = UnigramSampler(vocab.frequencies(), k=5, generator=np.random.default_rng(0))
    is_cbow = isinstance(model, CBOW)
    fixed = sampler.sample(targets if is_cbow else contexts)
    before = _full_loss(model, contexts, targets, fixed)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(targets))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            positives = targets[batch] if is_cbow else contexts[batch]
            loss = model(contexts[batch], targets[batch], sampler.sample(positives))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return before, _full_loss(model, contexts, targets, fixed)


@pytest.mark.parametrize("name", ["cbow", "skip-gram"])
def test_training_makes_planted_synonyms_most_similar(name):
    manabu.manual_seed(0)
    ids, vocab = toy_corpus(n_sentences=600, seed=0)
    model = CBOW(len(vocab), 16, window=2) if name == "cbow" else SkipGram(len(vocab), 16)
    before, after = _train(model, ids, vocab, window=2)
    chance = (1 + 5) * np.log(2) * (1 if name == "cbow" else 4)  # all scores 0: 4 contexts
    assert before == pytest.approx(chance, rel=1e-3)
    floor = 0.25 if name == "cbow" else 0.45  # skip-gram's 4 contexts cross sentences: noisier
    assert after < floor * before, (before, after)
    for a, b in TOY_SYNONYMS:
        (best, cosine), (_, runner_up) = most_similar(a, vocab, model.word_vectors, top=2)
        assert best == b and cosine > 0.95 and cosine - runner_up > 0.05, (a, best, cosine)


def test_most_similar_and_analogy_on_planted_vectors():
    vocab = Vocabulary(["man", "woman", "king", "queen", "apple"], unk=None, bos=None, eos=None)
    vectors = np.array([
        [9.0, 9.0, 9.0],  # <pad> (special: never returned)
        [1.0, 0.0, 0.1],  # man
        [1.0, 1.0, 0.1],  # woman
        [1.0, 0.0, 1.0],  # king
        [1.0, 1.0, 1.0],  # queen
        [-1.0, 0.2, -0.5],  # apple
    ])
    result = analogy("man", "king", "woman", vocab, vectors, top=2)
    assert result[0][0] == "queen" and result[0][1] > 0.9
    assert [w for w, _ in result] == ["queen", "apple"]  # a, b, c themselves left out
    similar = most_similar("king", vocab, manabu.tensor(vectors), top=10)
    assert [w for w, _ in similar] == ["queen", "man", "woman", "apple"]
    np.testing.assert_allclose(similar[0][1], 2 / np.sqrt(2) / np.sqrt(3))
    with pytest.raises(KeyError, match="'prince'"):
        most_similar("prince", vocab, vectors)
