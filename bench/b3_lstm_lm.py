"""B3: LSTM language model, vocabulary 1,000, embedding 128, hidden 256, T=35, batch 20,
SGD (lr 20) with gradient clipping 0.25, one epoch over a 200,000-token Zipf stream."""

import numpy as np

VOCAB, EMBED, HIDDEN, STEPS, BATCH, TOKENS, LR, CLIP = 1000, 128, 256, 35, 20, 200_000, 20.0, 0.25


def zipf_stream(n=TOKENS, vocab=VOCAB, seed=0):
    """Token ids with p(rank k) proportional to 1/k, as word frequencies roughly are."""
    p = 1.0 / np.arange(1, vocab + 1)
    return np.random.default_rng(seed).choice(vocab, size=n, p=p / p.sum())


def initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(HIDDEN)

    def uniform(shape, b):
        return rng.uniform(-b, b, size=shape).astype(np.float32)

    return {
        "embedding": uniform((VOCAB, EMBED), 0.1),
        "weight_ih": uniform((4 * HIDDEN, EMBED), bound),
        "weight_hh": uniform((4 * HIDDEN, HIDDEN), bound),
        "bias_ih": uniform((4 * HIDDEN,), bound),
        "bias_hh": uniform((4 * HIDDEN,), bound),
        "decoder_weight": uniform((VOCAB, HIDDEN), 0.1),
        "decoder_bias": np.zeros(VOCAB, dtype=np.float32),
    }


def batches(stream, quick):
    """(inputs, targets) windows of a (BATCH, L) grid of parallel streams."""
    length = len(stream) // BATCH
    grid = stream[: BATCH * length].reshape(BATCH, length)  # (N, L)
    limit = 10 if quick else (length - 1) // STEPS
    return [(grid[:, i * STEPS:(i + 1) * STEPS], grid[:, i * STEPS + 1:(i + 1) * STEPS + 1])
            for i in range(limit)]


def _manabu_side(weights, data):
    import manabu
    from manabu import functional as F
    from manabu import nn, optim

    params = {k: nn.Parameter(v.copy()) for k, v in weights.items()}
    opt = optim.SGD(list(params.values()), lr=LR)
    m_data = [(manabu.Tensor(x), manabu.Tensor(t)) for x, t in data]
    state = {}

    def run():
        h = manabu.Tensor(np.zeros((BATCH, HIDDEN), dtype=np.float32))
        c = manabu.Tensor(np.zeros((BATCH, HIDDEN), dtype=np.float32))
        total = 0.0
        for x, t in m_data:
            emb = F.embedding(x, params["embedding"])  # (N, T, E)
            out, h, c = F.lstm(emb, h, c, params["weight_ih"], params["weight_hh"],
                               params["bias_ih"], params["bias_hh"])
            logits = F.linear(out, params["decoder_weight"], params["decoder_bias"])  # (N, T, V)
            loss = F.cross_entropy(logits.reshape(-1, VOCAB), t.reshape(-1))
            opt.zero_grad()
            loss.backward()
            optim.clip_grad_norm_(list(params.values()), CLIP)
            opt.step()
            h, c = h.detach(), c.detach()  # truncated BPTT: the state goes on, the graph not
            total += float(loss.data)
        state["loss"] = total / len(m_data)
        return state["loss"]

    return run


def _torch_side(weights, data):
    import torch

    embedding = torch.nn.Embedding(VOCAB, EMBED)
    lstm = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
    decoder = torch.nn.Linear(HIDDEN, VOCAB)
    with torch.no_grad():
        embedding.weight.copy_(torch.from_numpy(weights["embedding"]))
        lstm.weight_ih_l0.copy_(torch.from_numpy(weights["weight_ih"]))
        lstm.weight_hh_l0.copy_(torch.from_numpy(weights["weight_hh"]))
        lstm.bias_ih_l0.copy_(torch.from_numpy(weights["bias_ih"]))
        lstm.bias_hh_l0.copy_(torch.from_numpy(weights["bias_hh"]))
        decoder.weight.copy_(torch.from_numpy(weights["decoder_weight"]))
        decoder.bias.copy_(torch.from_numpy(weights["decoder_bias"]))
    params = list(embedding.parameters()) + list(lstm.parameters()) + list(decoder.parameters())
    opt = torch.optim.SGD(params, lr=LR)
    t_data = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in data]

    def run():
        h = torch.zeros(1, BATCH, HIDDEN)
        c = torch.zeros(1, BATCH, HIDDEN)
        total = 0.0
        for x, t in t_data:
            out, (h, c) = lstm(embedding(x), (h, c))
            logits = decoder(out)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), t.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP)
            opt.step()
            h, c = h.detach(), c.detach()
            total += loss.item()
        return total / len(t_data)

    return run


def setup(quick=False, sides=("manabu", "torch")):
    weights = initial_weights()
    data = batches(zipf_stream(), quick)
    run_manabu = _manabu_side(weights, data) if "manabu" in sides else None
    run_torch = _torch_side(weights, data) if "torch" in sides else None
    tokens = len(data) * BATCH * STEPS
    per_token = 4 * HIDDEN * (EMBED + HIDDEN) + VOCAB * HIDDEN  # multiply-adds, forward
    return run_manabu, run_torch, 3 * 2 * per_token * tokens
