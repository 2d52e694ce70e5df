"""B4: Transformer encoder layer, d_model 128, 4 heads, FFN 512, sequence 64, batch 32:
100 steps of forward + backward + Adam (dropout 0 so both sides compute the same thing)."""

import numpy as np

D_MODEL, HEADS, FFN, SEQ, BATCH, STEPS = 128, 4, 512, 64, 32, 100


def setup(quick=False, sides=("manabu", "torch")):
    import manabu
    from manabu import functional as F
    from manabu import nn, optim

    steps = 5 if quick else STEPS
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    target = rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    manabu.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=FFN, dropout=0.0)
    m_opt = optim.Adam(layer.parameters(), lr=1e-4)
    m_x, m_target = manabu.Tensor(x), manabu.Tensor(target)
    run_torch = None
    if "torch" in sides:
        import torch

        t_layer = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=FFN,
                                                   dropout=0.0, batch_first=True)
        nn.copy_to_torch(layer, t_layer)
        t_opt = torch.optim.Adam(t_layer.parameters(), lr=1e-4)
        t_x, t_target = torch.from_numpy(x), torch.from_numpy(target)

        def run_torch():
            for _ in range(steps):
                loss = torch.nn.functional.mse_loss(t_layer(t_x), t_target)
                t_opt.zero_grad()
                loss.backward()
                t_opt.step()
            return loss.item()

    def run_manabu():
        for _ in range(steps):
            loss = F.mse_loss(layer(m_x), m_target)
            m_opt.zero_grad()
            loss.backward()
            m_opt.step()
        return float(loss.data)

    tokens = BATCH * SEQ
    # multiply-adds per step: q/k/v/out projections, scores and weighted sum, the FFN
    per_step = tokens * (4 * D_MODEL * D_MODEL + 2 * SEQ * D_MODEL + 2 * D_MODEL * FFN)
    return run_manabu, run_torch, 3 * 2 * per_step * steps
