"""Choosing tokens from a model's scores: greedy decoding, sampling and beam search.

Generating text with a language model or a Seq2Seq decoder means picking one token id
after another from the scores over the vocabulary (logits, (N, V)). None of this is
differentiable: it runs on plain arrays under ``no_grad`` and returns integer ids.

- ``greedy(logits)``: the most likely token (argmax). Deterministic, but a locally best
  token can lead into an unlikely sequence.
- ``sample(logits, temperature, top_k, top_p)``: draw from softmax(logits / temperature),
  optionally from the k most likely tokens only (top-k) or from the smallest set whose
  probability reaches p (nucleus, top-p). A low temperature sharpens the distribution
  (towards greedy), a high one flattens it (more varied, more mistakes).
- ``beam_search(step_fn, ...)`` (ビームサーチ): keep the ``beam_width`` best partial
  sequences at every step instead of one; it finds likelier sequences than greedy.
- ``greedy_search(step_fn, ...)``: the same decoding loop with one greedy choice per step.

Randomness comes from ``generator`` (an ``np.random.Generator``) or, by default, manabu's
global generator, so ``manabu.manual_seed(n)`` repeats a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from manabu import backend
from manabu.autograd import Tensor, no_grad
from manabu.random import get_generator
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike

    # step_fn(tokens (B,), state) -> (log_probs (B, V), new state)
    StepFn = Callable[[np.ndarray, Any], tuple[Any, Any]]

__all__ = ["Hypothesis", "beam_search", "greedy", "greedy_search", "sample"]


class Hypothesis(NamedTuple):
    """One decoded sequence: ``tokens`` (list of ids, without the start token, ending with
    the end token when one was produced), ``log_prob`` (the sum of the log-probabilities of
    its tokens) and ``score`` (log_prob / len(tokens) ** length_penalty, what the search
    ranks by).

    A named tuple: ``tokens, log_prob, score = hypothesis`` works too.

    Args:
        tokens: the generated ids, in order.
        log_prob: the sum of their log-probabilities.
        score: what the search ranks by.

    Example:
        >>> h = nn.Hypothesis([5, 9, 2], log_prob=-1.5, score=-0.5)
        >>> h.tokens, h.score
        ([5, 9, 2], -0.5)
    """

    tokens: list[int]
    log_prob: float
    score: float


def _logits(op, logits):
    array = unwrap(logits)
    xp = backend.get_array_module(array)
    array = xp.asarray(array)
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError(f"{op}: expected logits of shape (N, V) (or (..., V)), got "
                         f"{tuple(array.shape)}")
    return array, xp


def greedy(logits: Tensor | ArrayLike) -> np.ndarray:
    """The id of the largest score on the last axis: (N, V) -> (N,) integers.

    Args:
        logits: scores (N, V), or (..., V); a Tensor or an array.

    Returns:
        The ids, an integer array of shape (N,) (or (...)), on the logits' device.

    Example:
        >>> nn.greedy(np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]]))
        array([1, 0])
    """
    array, xp = _logits("greedy", logits)
    return xp.argmax(array, axis=-1)


def sample(logits: Tensor | ArrayLike, temperature: float = 1.0, top_k: int | None = None,
           top_p: float | None = None, generator: np.random.Generator | None = None,
           ) -> np.ndarray:
    """Draw one token id per row of ``logits`` (N, V) -> (N,) integers.

        p = softmax(logits / temperature)
    restricted to the ``top_k`` largest scores (ties at the k-th score are kept) and then
    to the smallest set of most likely tokens whose probability reaches ``top_p``, and
    renormalised. The draw inverts the cumulative distribution with one uniform number per
    row from ``generator`` (default: manabu's global one).

    Args:
        logits: scores (N, V), or (..., V); a Tensor or an array.
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
            Default: 1.0
        top_k: keep only the k most likely tokens, 1 <= k <= V; None keeps all.
            Default: None
        top_p: keep the smallest set of most likely tokens whose probability reaches p,
            in (0, 1]; None keeps all. Default: None
        generator: the ``np.random.Generator`` to draw from; None uses manabu's global
            one. Default: None

    Returns:
        The drawn ids, an integer array of shape (N,) (or (...)).

    Example:
        >>> logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]])
        >>> nn.sample(logits, top_k=1)  # only the most likely token is left: greedy
        array([1, 0])
        >>> nn.sample(logits, temperature=0.7, generator=np.random.default_rng(0)).shape
        (2,)
    """
    array, xp = _logits("sample", logits)
    if not temperature > 0:
        raise ValueError(f"sample: temperature must be > 0, got {temperature}; for the most "
                         "likely token use greedy(logits)")
    V = array.shape[-1]
    if top_k is not None and not (isinstance(top_k, (int, np.integer)) and 1 <= top_k <= V):
        raise ValueError(f"sample: top_k must be an integer in [1, V={V}], got {top_k!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"sample: top_p must be in (0, 1], got {top_p}")
    batch_shape = array.shape[:-1]
    z = array.reshape(-1, V).astype(np.float64) / temperature  # (N, V), N = prod(batch)
    if top_k is not None and top_k < V:
        kth = xp.partition(z, V - top_k, axis=1)[:, V - top_k:V - top_k + 1]  # (N, 1)
        z = xp.where(z < kth, -np.inf, z)
    p = xp.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    if top_p is not None and top_p < 1:
        order = _stable_argsort(xp, -p)  # (N, V): tokens from the most likely down
        sorted_p = xp.take_along_axis(p, order, axis=1)
        before = xp.cumsum(sorted_p, axis=1) - sorted_p  # probability of the better tokens
        keep_sorted = before < top_p  # the first token is always kept
        rank = xp.argsort(order, axis=1)  # the inverse permutation: each token's rank
        keep = xp.take_along_axis(keep_sorted, rank, axis=1)  # (N, V), vocabulary order
        p = xp.where(keep, p, 0.0)
    cdf = xp.cumsum(p, axis=1)  # (N, V)
    generator = get_generator() if generator is None else generator
    u = xp.asarray(generator.random(cdf.shape[0]))  # one uniform draw per row, (N,)
    r = u[:, None] * cdf[:, -1:]  # (N, 1): scaled by the total, which rounding may move
    ids = (cdf <= r).sum(axis=1)  # token j is drawn when cdf[j - 1] <= r < cdf[j]
    ids = xp.minimum(ids, V - 1)
    return ids.reshape(batch_shape)  # (...,)


def _stable_argsort(xp, a):
    """argsort along the last axis keeping ties in index order (CuPy's is always stable
    and accepts no ``kind``)."""
    return xp.argsort(a, axis=-1, kind="stable") if xp is np else xp.argsort(a, axis=-1)


def _reorder(state, index, axis):
    """Pick the beams ``index`` from every array of a (nested) state, along ``axis``."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        xp = backend.get_array_module(state.data)
        return Tensor(xp.take(state.data, xp.asarray(index), axis=axis))
    if backend.is_array(state):
        xp = backend.get_array_module(state)
        return xp.take(state, xp.asarray(index), axis=axis)
    if isinstance(state, (tuple, list)):
        return type(state)(_reorder(s, index, axis) for s in state)
    if isinstance(state, dict):
        return {k: _reorder(v, index, axis) for k, v in state.items()}
    return state  # anything else (ints, strings, settings) is shared by every beam


def _step(op, step_fn, tokens, state):
    """Call step_fn; returns (log-probabilities as float64 NumPy (B, V), the new state)."""
    log_probs, state = step_fn(tokens, state)
    lp = np.asarray(backend.to_device(unwrap(log_probs), "cpu"), dtype=np.float64)
    if lp.ndim != 2 or lp.shape[0] != tokens.shape[0]:
        raise ValueError(f"{op}: step_fn must return log_probs of shape (B, V) = "
                         f"({tokens.shape[0]}, V) for {tokens.shape[0]} tokens, got "
                         f"{lp.shape}")
    if (lp > 1e-4).any():  # rounding may lift a log-probability of 0 a little
        raise ValueError(f"{op}: step_fn must return log-probabilities (<= 0), e.g. "
                         "F.log_softmax(logits, axis=-1), but got positive values")
    return lp, state


def _check_search(op, max_len, end_token):
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"{op}: max_len must be a positive integer, got {max_len!r}")
    if end_token is not None and not isinstance(end_token, (int, np.integer)):
        raise ValueError(f"{op}: end_token must be an integer id or None, got {end_token!r}")


def greedy_search(step_fn: StepFn, start_state: Any, start_token: int,
                  end_token: int | None, max_len: int = 50) -> Hypothesis:
    """Decode one sequence, taking the most likely token at every step, until
    ``end_token`` or ``max_len`` tokens; returns a Hypothesis (see beam_search for
    ``step_fn``).

    Args:
        step_fn: ``step_fn(tokens, state) -> (log_probs, new_state)``, called with one
            beam: tokens (1,), log_probs (1, V).
        start_state: the decoder's state before the first step (e.g. the encoder's).
        start_token: the id fed at the first step (e.g. <bos>).
        end_token: the id that ends the sequence; None runs max_len steps.
        max_len: the most tokens generated. Default: 50

    Returns:
        A Hypothesis whose score is its log_prob.

    Example:
        >>> table = np.log([[0.05, 0.5, 0.4, 0.05],   # a toy decoder: the next token's
        ...                 [0.1, 0.1, 0.5, 0.3],     # probabilities depend only on the
        ...                 [0.05, 0.05, 0.05, 0.85],  # last token; 3 is the end token
        ...                 [0.25, 0.25, 0.25, 0.25]])
        >>> def step_fn(tokens, state):
        ...     return table[tokens], state  # (B, V) log-probabilities, the state unchanged
        >>> h = nn.greedy_search(step_fn, None, start_token=0, end_token=3)
        >>> h.tokens, round(float(np.exp(h.log_prob)), 4)  # 0.5 * 0.5 * 0.85
        ([1, 2, 3], 0.2125)

    The greedy first choice (1, p 0.5) is a trap; a beam of 2 also keeps 2 (p 0.4):
        >>> best = nn.beam_search(step_fn, None, start_token=0, end_token=3, beam_width=2)[0]
        >>> best.tokens, round(float(np.exp(best.log_prob)), 4)  # 0.4 * 0.85
        ([2, 3], 0.34)
    """
    _check_search("greedy_search", max_len, end_token)
    tokens, log_prob = [], 0.0
    last = np.array([start_token])
    state = start_state
    with no_grad():
        for _ in range(max_len):
            lp, state = _step("greedy_search", step_fn, last, state)
            token = int(np.argmax(lp[0]))
            tokens.append(token)
            log_prob += float(lp[0, token])
            if token == end_token:
                break
            last = np.array([token])
    return Hypothesis(tokens, log_prob, log_prob)


def _normalise(log_prob, length, length_penalty):
    return log_prob / length ** length_penalty


def beam_search(step_fn: StepFn, start_state: Any, start_token: int, end_token: int | None,
                beam_width: int = 5, max_len: int = 50, length_penalty: float = 0.0,
                state_axis: int = 0) -> list[Hypothesis]:
    """ビームサーチ: decode one sequence keeping the ``beam_width`` best partial sequences.

    ``step_fn(tokens, state) -> (log_probs, new_state)`` advances the decoder one step for
    B beams at once: ``tokens`` is a NumPy int array (B,) of each beam's last token,
    ``log_probs`` (B, V) the log-probabilities of the next token (e.g. from
    F.log_softmax). ``state`` is anything the decoder carries (a Tensor, an array, a tuple
    such as an LSTM's (h, c), a dict, or None): every array in it must hold the beams on
    axis ``state_axis`` (0 for cells' (B, H); 1 for nn.LSTM's (L, B, H)), and the search
    reorders them when beams are kept, dropped or copied. ``start_state`` is for one beam.

    Every step scores each beam's continuations by their summed log-probability, moves the
    ones that end in ``end_token`` to the finished list and keeps the ``beam_width`` best
    others. Hypotheses are ranked by  score = log_prob / length ** length_penalty  (length
    counts the generated tokens, end token included): 0 ranks by probability alone, which
    favours short outputs; 0.6 to 1 counters that. The search stops when ``beam_width``
    hypotheses have finished and no live beam can still beat them, or after ``max_len``
    steps (unfinished beams are then returned too). Returns up to ``beam_width``
    Hypothesis(tokens, log_prob, score), best first.

    Args:
        step_fn: ``step_fn(tokens, state) -> (log_probs, new_state)`` for B beams, as above.
        start_state: the decoder's state for one beam.
        start_token: the id fed at the first step (e.g. <bos>).
        end_token: the id that finishes a hypothesis; None runs max_len steps.
        beam_width: how many partial sequences are kept. Default: 5
        max_len: the most tokens generated. Default: 50
        length_penalty: the exponent of the length in the score. Default: 0.0
        state_axis: the axis of the beams in every array of the state. Default: 0

    Returns:
        A list of up to beam_width Hypothesis, best score first.

    Example (a GRUCell decoder, whose state (B, 16) the search reorders as beams are
    kept and copied; greedy_search's example shows a beam finding what greedy misses):
        >>> emb, cell, head = nn.Embedding(6, 8), nn.GRUCell(8, 16), nn.Linear(16, 6)
        >>> def step_fn(tokens, h):  # tokens (B,) ids; h (B, 16), None before the first step
        ...     h = cell(emb(tokens), h)
        ...     return manabu.functional.log_softmax(head(h), axis=-1), h
        >>> beams = nn.beam_search(step_fn, None, start_token=0, end_token=5, beam_width=3,
        ...                        max_len=4)
        >>> len(beams), all(len(h.tokens) <= 4 for h in beams)
        (3, True)
        >>> [h.score for h in beams] == sorted((h.score for h in beams), reverse=True)
        True
    """
    _check_search("beam_search", max_len, end_token)
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_search: beam_width must be a positive integer, got "
                         f"{beam_width!r}")
    seqs = [[]]  # the live beams' tokens
    scores = np.zeros(1)  # their summed log-probabilities
    last = np.array([start_token])
    state = start_state
    finished = []
    with no_grad():
        for step in range(max_len):
            lp, state = _step("beam_search", step_fn, last, state)
            V = lp.shape[1]
            total = (scores[:, None] + lp).ravel()  # (B * V,): every continuation
            k = min(2 * beam_width, total.size)  # 2k: at most B <= k of them end here
            best = np.argpartition(-total, k - 1)[:k]
            best = best[np.lexsort((best, -total[best]))]  # by score, then by index
            parents, tokens, kept = [], [], []
            for c in best:
                if not np.isfinite(total[c]) or len(tokens) == beam_width:
                    break
                parent, token = divmod(int(c), V)
                if token == end_token:
                    score = _normalise(total[c], step + 1, length_penalty)
                    finished.append(Hypothesis(seqs[parent] + [token], total[c], score))
                    continue
                parents.append(parent)
                tokens.append(token)
                kept.append(total[c])
            if not tokens:
                break
            seqs = [seqs[p] + [t] for p, t in zip(parents, tokens)]
            scores = np.array(kept)
            last = np.array(tokens)
            if _done(finished, scores, step + 1, max_len, beam_width, length_penalty):
                break
            if step + 1 < max_len:
                state = _reorder(state, np.array(parents), state_axis)
        else:
            finished += [Hypothesis(s, v, _normalise(v, len(s), length_penalty))
                         for s, v in zip(seqs, scores)]
    finished = [Hypothesis(h.tokens, float(h.log_prob), float(h.score)) for h in finished]
    finished.sort(key=lambda h: -h.score)  # stable: earlier (shorter) hypotheses first
    return finished[:beam_width]


def _done(finished, scores, length, max_len, beam_width, length_penalty):
    """True when beam_width hypotheses have finished and no live beam can beat the worst
    of them: a live beam's log_prob only falls, so its best reachable score is its
    log_prob divided by the longest (penalty >= 0) or next (penalty < 0) length."""
    if len(finished) < beam_width or length >= max_len:
        return False
    worst_kept = sorted(h.score for h in finished)[-beam_width]
    final_length = max_len if length_penalty >= 0 else length + 1
    best_reachable = _normalise(scores.max(), final_length, length_penalty)
    return best_reachable <= worst_kept
