"""HRED and VHRED on the toy dialogues: data layout, masking of missing turns, decoding,
the Gaussian KL against PyTorch, save/load, and training that needs the first turn."""

import numpy as np
import pytest

import manabu
from manabu import optim
from manabu.data.datasets.corpora import toy_dialogues
from manabu.models.hred import (
    HRED, VHRED, dialogue_pairs, gaussian_kl, kl_annealing,
)
from manabu.models.seq2seq import beam_decode
from manabu.optim import clip_grad_norm_


@pytest.fixture(scope="module")
def data():
    dialogues, vocab = toy_dialogues(n=6, turns=5, seed=0)
    return dialogues, vocab, dialogue_pairs(dialogues, vocab, response_turns=(2, 4))


def small(cls=HRED, seed=0, **options):
    manabu.manual_seed(seed)
    _, vocab = toy_dialogues(n=1)
    return cls(len(vocab), embed_dim=8, utterance_dim=6, context_dim=7, decoder_dim=5,
               **options)


def test_dialogue_pairs_layout(data):
    dialogues, vocab, (context, r_in, r_out) = data
    assert context.shape[:2] == (12, 4) and r_in.shape == r_out.shape
    # example 1 is dialogue 0's answer at turn 4: the context holds turns 0-3
    first = dialogues[0]
    for k in (0, 3):
        utterance = vocab.decode(context[1, k])
        assert utterance[:len(first[k]) + 1] == first[k] + ["<eos>"]
        assert set(utterance[len(first[k]) + 1:]) <= {"<pad>"}
    assert vocab.decode(r_in[1])[:len(first[4]) + 1] == ["<bos>"] + first[4]
    assert vocab.decode(r_out[1])[:len(first[4]) + 1] == first[4] + ["<eos>"]
    # example 0 answers turn 2: turns 2 and 3 of its context are missing (all padding)
    assert (context[0, 2:] == vocab.pad_id).all() and (context[0, :2, 0] != vocab.pad_id).all()
    last_only, _, _ = dialogue_pairs(dialogues, vocab, (4,), max_context=1)
    assert last_only.shape[1] == 1
    assert vocab.decode(last_only[0, 0], stop_at_eos=True) == first[3]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional, pooling",
                         [(True, "mean"), (True, "last"), (False, "last"), (False, "mean")])
def test_shapes_and_missing_turns_are_skipped(data, cell, bidirectional, pooling):
    _, vocab, (context, r_in, _) = data
    model = small(cell=cell, bidirectional=bidirectional, pooling=pooling)
    logits = model(context, r_in)
    assert logits.shape == r_in.shape + (len(vocab),)
    # example 0 has two real turns: dropping the two empty ones changes nothing
    short = model(context[:1, :2], r_in[:1]).numpy()
    np.testing.assert_allclose(logits.numpy()[:1], short, atol=1e-6)
    assert model.encode(context).shape == (len(context), 7)


@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_utterance_vectors_by_hand(data, pooling):
    _, vocab, (context, _, _) = data
    model = small(pooling=pooling)
    ids = context[:3, 0]  # (3, L) introductions of different lengths
    vectors = model.encode_utterances(ids).numpy()
    assert vectors.shape == (3, 12)  # both directions of 6 units
    for row, utterance in zip(vectors, ids):
        tokens = utterance[utterance != vocab.pad_id][None]  # (1, length): no padding
        outputs, h_n = model.utterance_encoder(model.embed(tokens))
        if pooling == "mean":
            expected = outputs.numpy()[0].mean(axis=0)
        else:
            expected = np.concatenate([h_n.numpy()[0, 0], h_n.numpy()[1, 0]])
        np.testing.assert_allclose(row, expected, atol=1e-6)


@pytest.mark.parametrize("cls", [HRED, VHRED])
def test_teacher_forcing_equals_step_by_step(data, cls):
    _, _, (context, r_in, _) = data
    model = small(cls)
    condition, _ = model.condition(context, sample=False)
    full, _ = model.decode(r_in, model.start_state(condition))
    state = model.start_state(condition)
    steps = []
    for t in range(r_in.shape[1]):
        logits, state, _ = model._step(r_in[:, t], state)
        steps.append(logits.numpy()[:, None])
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full.numpy(), atol=1e-5)


def test_generate_greedy_beam_and_end_token(data):
    _, vocab, (context, _, _) = data
    model = small(seed=2)
    ids = model.generate(context, max_len=6)
    assert ids.shape == (12, 6)
    for row in ids:
        ends = np.flatnonzero(row == vocab.eos_id)
        if ends.size:
            assert (row[ends[0] + 1:] == vocab.pad_id).all()
    condition, _ = model.condition(context)
    beam = beam_decode(model._step, model.start_state(condition), vocab.bos_id, 12, 6, 1,
                       vocab.eos_id, vocab.pad_id)
    np.testing.assert_array_equal(beam, ids)
    assert model.generate(context[:2], max_len=6, beam_width=3).shape == (2, 6)


def test_gaussian_kl_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    mu_q, lv_q, mu_p, lv_p = (rng.normal(size=(3, 4)) for _ in range(4))
    kl = gaussian_kl(*(manabu.Tensor(a) for a in (mu_q, lv_q, mu_p, lv_p))).numpy()
    q = torch.distributions.Normal(torch.tensor(mu_q), torch.tensor(np.exp(0.5 * lv_q)))
    p = torch.distributions.Normal(torch.tensor(mu_p), torch.tensor(np.exp(0.5 * lv_p)))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1).numpy()
    np.testing.assert_allclose(kl, expected, rtol=1e-10)
    same = gaussian_kl(*(manabu.Tensor(a) for a in (mu_q, lv_q, mu_q, lv_q))).numpy()
    np.testing.assert_allclose(same, 0.0, atol=1e-12)


def test_vhred_kl_sampling_and_loss(data):
    _, _, (context, r_in, r_out) = data
    model = small(VHRED, latent_dim=3)
    logits, kl = model(context, r_in, r_out)
    assert kl.shape == (12,) and np.isfinite(kl.numpy()).all() and (kl.numpy() > 0).all()
    _, none = model(context, r_in)
    assert none is None
    mean_a = model.condition(context, sample=False)[0].numpy()
    mean_b = model.condition(context, sample=False)[0].numpy()
    np.testing.assert_array_equal(mean_a, mean_b)
    manabu.manual_seed(3)
    draw_a = model.condition(context)[0].numpy()
    manabu.manual_seed(3)
    np.testing.assert_array_equal(model.condition(context)[0].numpy(), draw_a)
    assert not np.allclose(draw_a, mean_a)
    manabu.manual_seed(4)
    out = model.loss(context, r_in, r_out, kl_weight=0.5)
    tokens = int((r_out != 0).sum())
    assert out.loss.shape == ()
    assert out.kl > 0 and out.reconstruction > 0
    assert float(out.loss.data) == pytest.approx(out.reconstruction + 0.5 * out.kl * 12 / tokens,
                                                 rel=1e-5)


def test_kl_annealing_schedule():
    assert [kl_annealing(s, 4) for s in (0, 1, 2, 4, 9)] == [0.0, 0.25, 0.5, 1.0, 1.0]
    assert kl_annealing(0, 0) == 1.0


@pytest.mark.parametrize("cls", [HRED, VHRED])
def test_save_load_round_trip(data, cls, tmp_path):
    _, _, (context, r_in, r_out) = data
    model = small(cls, cell="lstm")
    loaded = manabu.load(manabu.save(model, str(tmp_path / cls.__name__)))
    assert type(loaded) is cls and loaded.config == model.config
    np.testing.assert_array_equal(loaded.generate(context, max_len=5, sample=False),
                                  model.generate(context, max_len=5, sample=False))


def train(model, context, r_in, r_out, epochs, lr=0.005, warmup=0, seed=0):
    """Mini-batch Adam; returns the DialogueLoss of every step."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(context))
        for start in range(0, len(context), 64):
            rows = order[start:start + 64]
            out = model.loss(context[rows], r_in[rows], r_out[rows],
                             kl_weight=kl_annealing(len(history), warmup))
            optimizer.zero_grad()
            out.loss.backward()
            clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            history.append(out)
    return history


def exact_match(model, context, r_out):
    ids = model.generate(context, max_len=r_out.shape[1], sample=False)
    return float((ids == r_out).all(axis=1).mean())


@pytest.mark.slow
def test_hred_learns_replies_that_need_the_first_turn():
    """Every answer recalls a fact of turn 0; the baseline sees only the question."""
    dialogues, vocab = toy_dialogues(n=6000, turns=3, seed=0)
    test_dialogues, _ = toy_dialogues(n=300, turns=3, seed=1)
    c, r_in, r_out = dialogue_pairs(dialogues, vocab, (2,))
    c_test, _, r_test = dialogue_pairs(test_dialogues, vocab, (2,))
    manabu.manual_seed(0)
    hred = HRED(len(vocab))
    history = train(hred, c, r_in, r_out, epochs=6)
    manabu.manual_seed(0)
    baseline = HRED(len(vocab))
    train(baseline, c[:, -1:], r_in, r_out, epochs=2)
    first = np.mean([h.reconstruction for h in history[:10]])
    last = np.mean([h.reconstruction for h in history[-10:]])
    assert last < 0.1 * first
    hred_acc = exact_match(hred, c_test, r_test)
    base_acc = exact_match(baseline, c_test[:, -1:], r_test)
    assert hred_acc >= 0.9
    assert base_acc <= 0.35
    assert hred_acc > base_acc + 0.5


@pytest.mark.slow
def test_vhred_trains_with_a_finite_positive_kl():
    dialogues, vocab = toy_dialogues(n=3000, turns=3, seed=0)
    c, r_in, r_out = dialogue_pairs(dialogues, vocab, (2,))
    manabu.manual_seed(0)
    model = VHRED(len(vocab), utterance_dim=64, context_dim=64, decoder_dim=64)
    history = train(model, c, r_in, r_out, epochs=3, warmup=50)
    kls = np.array([h.kl for h in history])
    assert np.isfinite(kls).all() and (kls > 0).all()
    first = np.mean([h.reconstruction for h in history[:10]])
    last = np.mean([h.reconstruction for h in history[-10:]])
    assert last < 0.6 * first
