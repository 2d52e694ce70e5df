"""word2vec: CBOW and skip-gram with negative sampling (負例サンプリング).

word2vec learns a vector per word, its 分散表現 (distributed representation), from the
distributional hypothesis: words that appear in the same contexts mean similar things.
- CBOW (continuous bag-of-words) predicts the target word from the mean of its context
  words' vectors:  h = mean_c W_in[context_c],  score(w) = h . W_out[w].
- skip-gram predicts each context word from the target word:  h = W_in[target].
Instead of a softmax over the whole vocabulary, negative sampling turns the task into
binary classification: the true word (label 1) against k words drawn from the unigram
distribution raised to 0.75 (label 0):

    L = -log sigmoid(h . W_out[w_pos]) - sum_k log sigmoid(-h . W_out[w_neg_k])

averaged over the batch. The learned word vectors are the rows of ``W_in``
(``model.word_vectors``); ``most_similar`` and ``analogy`` query them by cosine similarity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, nn
from manabu import random as _random
from manabu.functional.embedding import embedding
from manabu.functional.loss import binary_cross_entropy_with_logits
from manabu.functional.word2vec import embedding_dot
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from numpy.typing import ArrayLike

    from manabu.autograd import Tensor
    from manabu.data.text import Vocabulary

__all__ = [
    "CBOW", "SkipGram", "UnigramSampler", "analogy", "contexts_targets", "most_similar",
    "negative_sampling_loss",
]


def _cpu_ids(ids: Any) -> np.ndarray:
    """Word ids as a NumPy array, from a Tensor, a NumPy/CuPy array or a list."""
    ids = unwrap(ids)
    if backend.is_array(ids):
        ids = backend.to_device(ids, "cpu")
    return np.asarray(ids)


class UnigramSampler:
    """Negative samples drawn with P(w) = count(w)**power / sum_v count(v)**power.

    power = 0.75 (the word2vec paper's choice) lifts rare words a little: with counts 1
    and 100 the probabilities are 1:31.6 instead of 1:100. ``sample(target)`` returns
    ``target.shape + (k,)`` int64 word ids. With ``exclude_target=True`` a draw equal to
    its row's positive word is drawn again ("Deep Learning from Scratch 2" does this; the
    original C code simply skips such a sample); the default keeps them, which is cheaper
    and, for a vocabulary of any size, nearly the same.

    Args:
        counts: word counts (V,), non-negative with a positive total (e.g.
            ``vocab.frequencies()``)
        power: the exponent on the counts. Default: 0.75
        k: negatives per positive word, >= 1. Default: 5
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None
        exclude_target: redraw negatives equal to their row's positive. Default: False

    Shape:
        - Input: target ids of any shape (...)
        - Output: negatives (..., k), int64, on the target's device

    Example:
        >>> sampler = models.UnigramSampler([1, 100], k=3, generator=np.random.default_rng(0))
        >>> np.round(sampler.probabilities, 3)                        # 1 : 31.6
        array([0.031, 0.969])
        >>> sampler.sample(np.array([0, 1])).shape
        (2, 3)
    """

    def __init__(self, counts: ArrayLike, power: float = 0.75, k: int = 5,
                 generator: np.random.Generator | None = None,
                 exclude_target: bool = False) -> None:
        counts = np.asarray(counts, dtype=np.float64).reshape(-1)
        if counts.size == 0 or (counts < 0).any() or counts.sum() <= 0:
            raise ValueError(
                "UnigramSampler: counts must be non-negative word counts (V,) with a "
                f"positive total, got shape {counts.shape}; use vocab.frequencies()"
            )
        if k < 1:
            raise ValueError(f"UnigramSampler: k (negatives per positive) must be >= 1, got {k}")
        weights = counts ** power
        self.probabilities = weights / weights.sum()  # (V,)
        self._cdf = np.cumsum(self.probabilities)  # (V,): a draw u picks the first cdf > u
        self.power = power
        self.k = int(k)
        self.generator = generator
        self.exclude_target = exclude_target

    def _draw(self, rng: np.random.Generator, shape: Any) -> np.ndarray:
        u = rng.random(shape)
        picks = np.searchsorted(self._cdf, u, side="right")
        return np.minimum(picks, len(self._cdf) - 1)  # guards u >= cdf[-1] by rounding

    def sample(self, target: Any) -> Any:
        """Negatives for each positive id in ``target`` (any shape): target.shape + (k,)."""
        raw = unwrap(target)
        xp = backend.get_array_module(raw)
        target = _cpu_ids(raw)
        rng = _random.get_generator() if self.generator is None else self.generator
        negatives = self._draw(rng, target.shape + (self.k,))
        if self.exclude_target:
            self._redraw_collisions(rng, negatives, target)
        return negatives if xp is np else xp.asarray(negatives)

    def _redraw_collisions(self, rng: np.random.Generator, negatives: np.ndarray,
                           target: np.ndarray) -> None:
        for _ in range(1000):
            clash = negatives == target[..., None]
            if not clash.any():
                return
            negatives[clash] = self._draw(rng, int(clash.sum()))
        raise RuntimeError(
            "UnigramSampler: could not draw negatives different from the target; a word "
            "holds almost all the probability (exclude_target=False avoids this)"
        )


def negative_sampling_loss(h: Tensor, w_out: Tensor, positive: Any, negatives: Any) -> Tensor:
    """Binary cross-entropy of the positive word (label 1) and its negatives (label 0).

    h (N, D), w_out (V, D), positive (N,) and negatives (N, k) ids. One ``embedding_dot``
    scores all 1 + k words per row; the loss is summed over them and averaged over N.

    Args:
        h: the hidden vectors (N, D)
        w_out: the output word vectors (V, D)
        positive: the true word of each row (N,)
        negatives: the sampled words (N, k)

    Returns:
        a scalar Tensor

    Example:
        >>> h = manabu.tensor(np.zeros((2, 4)))
        >>> w_out = manabu.tensor(np.zeros((10, 4)))
        >>> loss = models.negative_sampling_loss(h, w_out, [1, 2], [[3, 4], [5, 6]])
        >>> round(float(loss.item()), 4)                         # 3 words x log 2
        2.0794
    """
    positive = _cpu_ids(positive)
    negatives = _cpu_ids(negatives)
    n = positive.shape[0]
    words = np.concatenate([positive.reshape(n, 1), negatives.reshape(n, -1)], axis=1)
    scores = embedding_dot(h, w_out, words)  # (N, 1 + k) logits
    labels = np.zeros(words.shape, dtype=scores.dtype)  # (N, 1 + k)
    labels[:, 0] = 1
    return binary_cross_entropy_with_logits(scores, labels, reduction="sum") / n


class _Word2Vec(nn.Module):
    """The two weight tables of word2vec, both V x D, drawn from N(0, 0.01**2) as in
    "Deep Learning from Scratch 2"."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("dim", dim)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, "
                                 f"got {value!r}")
        self.vocab_size = int(vocab_size)
        self.dim = int(dim)
        dtype = backend.get_default_dtype()
        self.W_in = nn.Parameter(np.empty((self.vocab_size, self.dim), dtype=dtype))
        self.W_out = nn.Parameter(np.empty((self.vocab_size, self.dim), dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Both tables drawn again from N(0, 0.01**2)."""
        nn.init.normal_(self.W_in, std=0.01)
        nn.init.normal_(self.W_out, std=0.01)

    @property
    def word_vectors(self) -> Any:
        """The learned word vectors (分散表現), W_in as an array (V, D)."""
        return self.W_in.data

    def extra_repr(self) -> str:
        return f"{self.vocab_size}, {self.dim}"


class CBOW(_Word2Vec):
    """CBOW(vocab_size, dim, window): predict the target word from its 2 * window context
    words.

    forward(contexts (N, 2 window), target (N,), negatives (N, k)) -> the scalar negative
    sampling loss, with h = mean of W_in[contexts] (N, D). Draw negatives with
    ``UnigramSampler.sample(target)``; get (contexts, target) pairs from
    ``contexts_targets(ids, window)``.

    Args:
        vocab_size: V, the number of words
        dim: D, the size of a word vector. Default: 100
        window: context words on each side of the target. Default: 1

    Shape:
        - Input: contexts (N, 2 window), target (N,), negatives (N, k), ids
        - Output: a scalar loss

    Example:
        >>> ids, vocab = data.toy_corpus(n_sentences=20)
        >>> contexts, target = models.contexts_targets(ids, window=2)
        >>> sampler = models.UnigramSampler(vocab.frequencies(), k=5)
        >>> model = models.CBOW(len(vocab), dim=16, window=2)
        >>> loss = model(contexts, target, sampler.sample(target))
        >>> loss.shape, model.word_vectors.shape == (len(vocab), 16)
        ((), True)
    """

    def __init__(self, vocab_size: int, dim: int = 100, window: int = 1) -> None:
        super().__init__(vocab_size, dim)
        if not isinstance(window, (int, np.integer)) or window <= 0:
            raise ValueError(f"CBOW: window must be a positive integer, got {window!r}")
        self.window = int(window)
        self.config = {"vocab_size": self.vocab_size, "dim": self.dim, "window": self.window}

    def forward(self, contexts: Any, target: Any, negatives: Any) -> Tensor:
        contexts = _cpu_ids(contexts)
        if contexts.ndim != 2 or contexts.shape[1] != 2 * self.window:
            raise ValueError(
                f"CBOW: contexts must be (N, 2 * window) = (N, {2 * self.window}), got "
                f"{contexts.shape}; make them with contexts_targets(ids, window={self.window})"
            )
        h = embedding(contexts, self.W_in).mean(axis=1)  # (N, 2w, D) -> (N, D)
        return negative_sampling_loss(h, self.W_out, target, negatives)

    def extra_repr(self) -> str:
        return f"{self.vocab_size}, {self.dim}, window={self.window}"


class SkipGram(_Word2Vec):
    """SkipGram(vocab_size, dim): predict each context word from the target word.

    forward(contexts (N, C), target (N,), negatives (N, C, k)) -> the scalar loss, summed
    over the C context positions (each one a positive with its own k negatives) and
    averaged over N; h = W_in[target] (N, D). Draw negatives with
    ``UnigramSampler.sample(contexts)``.

    Args:
        vocab_size: V, the number of words
        dim: D, the size of a word vector. Default: 100

    Shape:
        - Input: contexts (N, C), target (N,), negatives (N, C, k), ids
        - Output: a scalar loss

    Example:
        >>> ids, vocab = data.toy_corpus(n_sentences=20)
        >>> contexts, target = models.contexts_targets(ids, window=1)
        >>> sampler = models.UnigramSampler(vocab.frequencies(), k=3)
        >>> model = models.SkipGram(len(vocab), dim=16)
        >>> import math
        >>> loss = model(contexts, target, sampler.sample(contexts))
        >>> loss.shape, abs(float(loss.item()) - 8 * math.log(2)) < 0.01  # C (1 + k) log 2
        ((), True)
    """

    def __init__(self, vocab_size: int, dim: int = 100) -> None:
        super().__init__(vocab_size, dim)
        self.config = {"vocab_size": self.vocab_size, "dim": self.dim}

    def forward(self, contexts: Any, target: Any, negatives: Any) -> Tensor:
        contexts = _cpu_ids(contexts)
        negatives = _cpu_ids(negatives)
        if contexts.ndim != 2 or negatives.shape[:2] != contexts.shape or negatives.ndim != 3:
            raise ValueError(
                f"SkipGram: contexts must be (N, C) and negatives (N, C, k), got contexts "
                f"{contexts.shape} and negatives {negatives.shape}; draw them with "
                "sampler.sample(contexts)"
            )
        n, c = contexts.shape
        h = embedding(_cpu_ids(target), self.W_in)  # (N, D)
        words = np.concatenate([contexts[:, :, None], negatives], axis=2)  # (N, C, 1 + k)
        scores = embedding_dot(h, self.W_out, words.reshape(n, -1))  # (N, C * (1 + k))
        labels = np.zeros(words.shape, dtype=scores.dtype)  # (N, C, 1 + k)
        labels[:, :, 0] = 1
        labels = labels.reshape(n, -1)  # (N, C * (1 + k))
        return binary_cross_entropy_with_logits(scores, labels, reduction="sum") / n


def contexts_targets(ids: Any, window: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(contexts (N, 2 window), targets (N,))`` from a corpus of ids (L,), N = L - 2
    window: targets[i] = ids[i + window] and its contexts are the ``window`` ids on each
    side, left then right (you say goodbye -> contexts (you, goodbye), target say).

    Example:
        >>> contexts, targets = models.contexts_targets(np.array([0, 1, 2, 3]), window=1)
        >>> contexts.tolist(), targets.tolist()
        ([[0, 2], [1, 3]], [1, 2])
    """
    ids = _cpu_ids(ids).astype(np.int64, copy=False).reshape(-1)
    if window < 1 or len(ids) < 2 * window + 1:
        raise ValueError(
            f"contexts_targets: need window >= 1 and at least 2 * window + 1 ids, got "
            f"window={window} and {len(ids)} ids"
        )
    n = len(ids) - 2 * window
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2w,)
    positions = np.arange(window, window + n)[:, None] + offsets  # (N, 2w)
    return ids[positions], ids[window:window + n]


def _as_matrix(vectors: Any) -> np.ndarray:
    vectors = unwrap(vectors)
    return np.asarray(backend.to_device(vectors, "cpu"), dtype=np.float64)


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-8)


def _ranked(vocab: Vocabulary, query: np.ndarray, unit: np.ndarray, exclude: list[int],
            top: int) -> list[tuple[str, float]]:
    """The ``top`` (token, cosine) pairs closest to the unit vector ``query``."""
    similarity = unit @ query  # (V,)
    for index in exclude:
        similarity[index] = -np.inf
    order = np.argsort(-similarity, kind="stable")[:top]
    return [(vocab.id_to_token(i), float(similarity[i])) for i in order
            if np.isfinite(similarity[i])]


def _ids(vocab: Vocabulary, words: Sequence[str]) -> list[int]:
    missing = [w for w in words if w not in vocab]
    if missing:
        raise KeyError(f"not in the vocabulary: {', '.join(map(repr, missing))}")
    return [vocab.token_to_id(w) for w in words]


def most_similar(word: str, vocab: Vocabulary, vectors: Any,
                 top: int = 5) -> list[tuple[str, float]]:
    """The ``top`` words closest to ``word`` by cosine similarity, as (token, cosine)
    pairs, best first; the word itself and the vocabulary's special tokens are left out.
    vectors: (V, D) word vectors (e.g. ``model.word_vectors``).

    Example:
        >>> vocab = data.Vocabulary(["king", "queen", "apple"], pad=None, unk=None,
        ...                         bos=None, eos=None)
        >>> vectors = np.array([[1.0, 0.1], [0.9, 0.2], [0.0, 1.0]])
        >>> [word for word, cosine in models.most_similar("king", vocab, vectors, top=2)]
        ['queen', 'apple']
    """
    unit = _normalized(_as_matrix(vectors))
    (index,) = _ids(vocab, [word])
    exclude = _ids(vocab, vocab.specials) + [index]
    return _ranked(vocab, unit[index], unit, exclude, top)


def analogy(a: str, b: str, c: str, vocab: Vocabulary, vectors: Any,
            top: int = 5) -> list[tuple[str, float]]:
    """"a is to b as c is to ?" (類推問題): the words closest to b - a + c by cosine
    (man : king = woman : queen), as (token, cosine) pairs; a, b, c and the special
    tokens are left out. The three vectors are normalised first, as in "Deep Learning
    from Scratch 2".

    Example:
        >>> vocab = data.Vocabulary(["man", "king", "woman", "queen", "apple"], pad=None,
        ...                         unk=None, bos=None, eos=None)
        >>> vectors = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, -1, 1.0]])
        >>> models.analogy("man", "king", "woman", vocab, vectors, top=1)[0][0]
        'queen'
    """
    unit = _normalized(_as_matrix(vectors))
    ia, ib, ic = _ids(vocab, [a, b, c])
    query = _normalized(unit[ib] - unit[ia] + unit[ic])
    exclude = _ids(vocab, vocab.specials) + [ia, ib, ic]
    return _ranked(vocab, query, unit, exclude, top)
