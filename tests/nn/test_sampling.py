"""greedy, sample (temperature, top-k, top-p), greedy_search and beam_search: exact values
on hand-made models, frequencies against the softmax, exhaustive search as the oracle."""

import itertools

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu import nn

START, A, B, END = 0, 1, 2, 3
# a Markov model over (<s>, A, B, </s>): greedy takes A (0.5) and then ends (A </s>: 0.225);
# the most probable sequence starts with the less likely B (B </s>: 0.36)
TRANSITIONS = np.array([
    [0.0, 0.5, 0.4, 0.1],   # after <s>
    [0.0, 0.3, 0.25, 0.45],  # after A
    [0.0, 0.05, 0.05, 0.9],  # after B
    [0.0, 0.0, 0.0, 1.0],   # after </s> (never used)
])


def markov_step(table):
    with np.errstate(divide="ignore"):
        log_table = np.log(table)  # log 0 = -inf: an impossible token

    def step_fn(tokens, state):
        return log_table[tokens], state

    return step_fn


def test_greedy_picks_the_largest_score_on_the_last_axis():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 2.9]])
    np.testing.assert_array_equal(nn.greedy(logits), [1, 0])
    np.testing.assert_array_equal(nn.greedy(manabu.Tensor(logits[None])), [[1, 0]])


def test_sample_frequencies_follow_the_softmax_and_the_seed():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    rows = np.tile(logits, (40000, 1))  # (40000, 4): one draw per row
    ids = nn.sample(rows, generator=np.random.default_rng(0))
    assert ids.shape == (40000,)
    np.testing.assert_allclose(np.bincount(ids, minlength=4) / 40000, [0.1, 0.2, 0.3, 0.4],
                               atol=0.01)
    again = nn.sample(rows, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(ids, again)
    manabu.manual_seed(5)
    first = nn.sample(rows[:50])
    manabu.manual_seed(5)
    np.testing.assert_array_equal(first, nn.sample(rows[:50]))


def test_temperature_sharpens_and_flattens():
    logits = np.tile(np.log(np.array([0.1, 0.2, 0.3, 0.4])), (20000, 1))
    rng = np.random.default_rng(1)
    cold = nn.sample(logits, temperature=0.01, generator=rng)
    assert (cold == 3).all()
    hot = nn.sample(logits, temperature=100.0, generator=rng)
    np.testing.assert_allclose(np.bincount(hot, minlength=4) / 20000, 0.25, atol=0.015)
    half = nn.sample(logits, temperature=0.5, generator=rng)  # p ** 2, renormalised
    expected = np.array([1, 4, 9, 16]) / 30
    np.testing.assert_allclose(np.bincount(half, minlength=4) / 20000, expected, atol=0.012)


def test_top_k_and_top_p_keep_only_the_best_tokens():
    p = np.array([0.05, 0.5, 0.15, 0.3])
    logits = np.tile(np.log(p), (20000, 1))
    rng = np.random.default_rng(2)
    np.testing.assert_array_equal(nn.sample(logits[:100], top_k=1, generator=rng), 1)
    top2 = nn.sample(logits, top_k=2, generator=rng)
    np.testing.assert_allclose(np.bincount(top2, minlength=4) / 20000,
                               [0, 0.5 / 0.8, 0, 0.3 / 0.8], atol=0.012)
    nucleus = nn.sample(logits, top_p=0.75, generator=rng)  # 0.5 + 0.3 reach 0.75
    np.testing.assert_allclose(np.bincount(nucleus, minlength=4) / 20000,
                               [0, 0.5 / 0.8, 0, 0.3 / 0.8], atol=0.012)
    wider = nn.sample(logits, top_p=0.85, generator=rng)  # needs the third token too
    assert set(np.unique(wider)) == {1, 2, 3}


def test_sample_never_draws_impossible_tokens_and_rejects_bad_settings():
    logits = np.array([[-np.inf, 0.0, -np.inf, 1.0]] * 5000)
    ids = nn.sample(manabu.Tensor(logits), generator=np.random.default_rng(3))
    assert set(np.unique(ids)) == {1, 3}
    with pytest.raises(ValueError, match="greedy"):
        nn.sample(logits, temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        nn.sample(logits, top_k=0)
    with pytest.raises(ValueError, match="top_p"):
        nn.sample(logits, top_p=0.0)


def test_beam_search_finds_the_sequence_greedy_misses():
    step_fn = markov_step(TRANSITIONS)
    greedy = nn.greedy_search(step_fn, None, START, END, max_len=10)
    assert greedy.tokens == [A, END]
    assert greedy.log_prob == pytest.approx(np.log(0.5 * 0.45))
    beams = nn.beam_search(step_fn, None, START, END, beam_width=2, max_len=10)
    assert beams[0].tokens == [B, END]
    assert beams[0].log_prob == pytest.approx(np.log(0.4 * 0.9))
    assert beams[1].tokens == [A, END]
    assert [h.score for h in beams] == sorted((h.score for h in beams), reverse=True)
    assert nn.beam_search(step_fn, None, START, END, beam_width=1)[0].tokens != [B, END]


def exhaustive(table, max_len, length_penalty):
    """The best sequence by brute force: every finished sequence up to max_len, and every
    unfinished one of length max_len."""
    log_table = np.log(table)
    best = None
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(table.shape[1]), repeat=length):
            if END in seq[:-1] or (seq[-1] != END and length < max_len):
                continue
            prev = (START,) + seq[:-1]
            log_prob = sum(log_table[a, b] for a, b in zip(prev, seq))
            score = log_prob / length ** length_penalty
            if best is None or score > best[1]:
                best = (list(seq), score)
    return best


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wide_beam_equals_exhaustive_search(seed, length_penalty):
    table = np.random.default_rng(seed).dirichlet(np.ones(4) * 0.7, size=4)  # (4, 4)
    beams = nn.beam_search(markov_step(table), None, START, END, beam_width=100, max_len=4,
                           length_penalty=length_penalty)
    tokens, score = exhaustive(table, 4, length_penalty)
    assert beams[0].tokens == tokens
    assert beams[0].score == pytest.approx(score)


def test_beam_search_stops_once_no_live_beam_can_win():
    table = np.full((4, 4), 0.02)
    table[:, END] = 0.94
    calls = []

    def step_fn(tokens, state):
        calls.append(len(tokens))
        return np.log(table[tokens]), state

    beams = nn.beam_search(step_fn, None, START, END, beam_width=2, max_len=30)
    assert beams[0].tokens == [END]
    assert len(beams) == 2 and len(calls) < 5


def test_states_are_reordered_with_their_beams():
    """A second-order Markov model whose previous token lives only in the state: the search
    is right only if each kept beam gets its parent's state (beams on axis 1, as in an
    nn.LSTM's (L, B, H) state)."""
    table = np.random.default_rng(4).dirichlet(np.ones(4) * 0.7, size=(4, 4))  # (4, 4, 4)
    log_table = np.log(table)  # [previous token, token, next token]

    def step_fn(tokens, state):
        prev, history, settings = state
        assert settings == "kept as is" and prev.shape == (1, len(tokens))
        np.testing.assert_array_equal(history.numpy()[0, :, -1], prev[0])
        grown = np.concatenate([history.numpy(), tokens[None, :, None]], axis=2)  # (1, B, t)
        return log_table[prev[0], tokens], (tokens[None], manabu.Tensor(grown), settings)

    start = (np.array([[START]]), manabu.Tensor(np.array([[[START]]])), "kept as is")
    beams = nn.beam_search(step_fn, start, START, END, beam_width=100, max_len=4,
                           state_axis=1)
    best, best_score = None, -np.inf
    for length in range(1, 5):
        for seq in itertools.product(range(4), repeat=length):
            if END in seq[:-1] or (seq[-1] != END and length < 4):
                continue
            full = (START, START) + seq
            score = sum(log_table[full[k], full[k + 1], full[k + 2]] for k in range(length))
            if score > best_score:
                best, best_score = list(seq), score
    assert beams[0].tokens == best
    assert beams[0].log_prob == pytest.approx(best_score)


def test_seq2seq_style_decoder_hypotheses_score_their_own_tokens():
    """beam_search driving an Embedding + LSTMCell + Linear decoder: every hypothesis's
    log_prob equals the decoder's log-probability of its tokens under teacher forcing."""
    manabu.manual_seed(0)
    V, E, Hd = 6, 5, 7
    emb = nn.Embedding(V, E, dtype=np.float64)
    cell = nn.LSTMCell(E, Hd, dtype=np.float64)
    head = nn.Linear(Hd, V, dtype=np.float64)

    def step_fn(tokens, state):
        h, c = cell(emb(tokens), state)
        return F.log_softmax(head(h), axis=-1), (h, c)

    rng = np.random.default_rng(0)
    start = tuple(manabu.Tensor(rng.standard_normal((1, Hd))) for _ in range(2))
    beams = nn.beam_search(step_fn, start, 0, 5, beam_width=3, max_len=6)
    assert 1 <= len(beams) <= 3
    for hyp in beams:
        inputs = np.array([0] + hyp.tokens[:-1])
        state, total = start, 0.0
        for token_in, token_out in zip(inputs, hyp.tokens):
            log_probs, state = step_fn(np.array([token_in]), state)
            total += log_probs.numpy()[0, token_out]
        assert hyp.log_prob == pytest.approx(total, abs=1e-10)
        assert len(hyp.tokens) <= 6


def test_search_errors_explain_the_fix():
    with pytest.raises(ValueError, match="log-probabilities"):
        nn.beam_search(lambda t, s: (np.ones((len(t), 4)), s), None, 0, 3)
    with pytest.raises(ValueError, match=r"shape \(B, V\)"):
        nn.greedy_search(lambda t, s: (np.zeros(4), s), None, 0, 3)
    with pytest.raises(ValueError, match="beam_width"):
        nn.beam_search(markov_step(TRANSITIONS), None, 0, 3, beam_width=0)
    with pytest.raises(ValueError, match="max_len"):
        nn.beam_search(markov_step(TRANSITIONS), None, 0, 3, max_len=0)


def test_without_an_end_the_search_returns_max_len_tokens():
    table = np.full((4, 4), 0.25)
    beams = nn.beam_search(markov_step(table), None, START, None, beam_width=3, max_len=5)
    assert len(beams) == 3 and all(len(h.tokens) == 5 for h in beams)
    assert beams[0].log_prob == pytest.approx(5 * np.log(0.25))
    greedy = nn.greedy_search(markov_step(table), None, START, None, max_len=5)
    assert greedy.tokens == [0] * 5  # ties go to the smallest id
