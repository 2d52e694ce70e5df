"""B7: one training step of the gpt-shakespeare lesson's GPT (4 layers, 4 heads, n_embd 128,
vocab 65, no biases): forward, loss, backward, gradient clipping, AdamW, repeated; batch 12 x
64 tokens (the lesson's) and 32 x 128 (a larger context)."""

import numpy as np

STEPS = 20


def setup(quick=False, sides=("manabu", "torch"), batch=12, block=64):
    import manabu
    from manabu import nn, optim
    from manabu.models import GPT, GPTConfig, gpt_param_groups

    steps = 2 if quick else STEPS
    config = GPTConfig(vocab_size=65, block_size=block, n_layer=4, n_head=4, n_embd=128,
                       bias=False)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 65, (batch, block)), rng.integers(0, 65, (batch, block))
    manabu.manual_seed(0)
    model = GPT(config)
    m_opt = optim.AdamW(gpt_param_groups(model, 0.1), lr=1e-3, betas=(0.9, 0.99))
    run_torch = None
    if "torch" in sides:
        import torch

        from manabu.models.gpt_torch import torch_gpt, torch_param_groups

        twin = nn.copy_to_torch(model, torch_gpt(config))
        t_opt = torch.optim.AdamW(torch_param_groups(model, twin, 0.1), lr=1e-3,
                                  betas=(0.9, 0.99))
        t_x, t_y = torch.from_numpy(x), torch.from_numpy(y)

        def run_torch():
            for _ in range(steps):
                _, loss = twin(t_x, t_y)
                t_opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
                t_opt.step()
            return loss.item()

    def run_manabu():
        for _ in range(steps):
            _, loss = model(x, y)
            m_opt.zero_grad()
            loss.backward()
            optim.clip_grad_norm_(model.parameters(), 1.0)
            m_opt.step()
        return float(loss.data)

    tokens, e = batch * block, 128
    # multiply-adds per step: the 4 Linears of each block, attention, the tied output layer
    per_step = tokens * (4 * (12 * e * e + 2 * block * e) + e * 65)
    return run_manabu, run_torch, 3 * 2 * per_step * steps


def setup_large(quick=False, sides=("manabu", "torch")):
    return setup(quick=quick, sides=sides, batch=32, block=128)
