"""GPT: the same logits, loss and gradients as its PyTorch twin (float64, copied weights),
a KV cache that changes nothing but the speed, sampling options, parameter groups, saving."""

import numpy as np
import pytest
import torch

import manabu
from manabu import backend, nn, optim
from manabu.models import GPT, GPTConfig, gpt_param_groups
from manabu.models.gpt_torch import torch_gpt

SMALL = dict(vocab_size=11, block_size=16, n_layer=2, n_head=2, n_embd=8)


@pytest.fixture
def float64():
    backend.set_default_dtype(np.float64)
    yield
    backend.set_default_dtype(np.float32)


def _pair(**options):
    config = GPTConfig(**{**SMALL, **options})
    manabu.manual_seed(0)
    model = GPT(config)
    for p in model.parameters():  # move LayerNorms and biases off 1 / 0 so that they show
        p.data += 0.05 * np.random.default_rng(p.size).standard_normal(p.shape)
    twin = torch_gpt(config).double()
    return model, nn.copy_to_torch(model, twin)


@pytest.mark.parametrize("bias", [True, False])
def test_logits_loss_and_gradients_equal_torch(float64, bias):
    model, twin = _pair(bias=bias)
    rng = np.random.default_rng(1)
    idx, targets = rng.integers(0, 11, (3, 16)), rng.integers(0, 11, (3, 16))
    logits, loss = model(idx, targets)
    t_logits, t_loss = twin(torch.from_numpy(idx), torch.from_numpy(targets))
    np.testing.assert_allclose(logits.numpy(), t_logits.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    loss.backward()
    t_loss.backward()
    theirs = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), atol=1e-12,
                                   err_msg=name)


def test_a_torch_state_dict_of_arrays_loads(float64):
    config = GPTConfig(**SMALL)
    torch.manual_seed(3)
    twin = torch_gpt(config).double()
    model = GPT(config)
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    assert model.lm_head.weight is model.wte.weight  # still tied after loading
    idx = np.arange(10).reshape(2, 5)
    np.testing.assert_allclose(model(idx).numpy(), twin(torch.from_numpy(idx)).detach().numpy(),
                               atol=1e-12)


def test_tied_head_and_initialisation():
    manabu.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=50, block_size=32, n_layer=4, n_head=4, n_embd=64))
    assert model.lm_head.weight is model.wte.weight
    names = [name for name, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and "lm_head.weight" in model.state_dict()
    assert abs(model.wte.weight.numpy().std() - 0.02) < 0.002
    assert abs(model.h[0].attn.c_proj.weight.numpy().std() - 0.02 / np.sqrt(8)) < 0.001
    assert not model.h[0].c_fc.bias.numpy().any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cached_greedy_generation_equals_recomputing(dtype):
    backend.set_default_dtype(dtype)
    try:
        manabu.manual_seed(2)
        model = GPT(GPTConfig(vocab_size=13, block_size=16, n_layer=2, n_head=2, n_embd=16))
        prompt = np.array([[1, 5, 3, 7, 2], [0, 0, 4, 4, 9]])
        cached = model.generate(prompt, 40, temperature=0)  # 45 tokens: past block_size
        recomputed = model.generate(prompt, 40, temperature=0, use_cache=False)
    finally:
        backend.set_default_dtype(np.float32)
    assert cached.shape == (2, 45) and cached.dtype == np.int64
    np.testing.assert_array_equal(cached[:, :5], prompt)
    np.testing.assert_array_equal(cached, recomputed)


def test_one_cached_step_gives_the_full_forward_logits(float64):
    model, _ = _pair()
    ids = np.random.default_rng(4).integers(0, 11, (2, 9))
    caches = [{} for _ in model.h]
    with manabu.no_grad():
        model(ids[:, :8], caches=caches)
        step = model(ids[:, 8:], caches=caches)
        full = model(ids)
    assert caches[0]["k"].shape == (2, 2, 9, 4)  # (N, H, T, Dh)
    np.testing.assert_allclose(step.numpy()[:, 0], full.numpy()[:, -1], atol=1e-12)


def test_sampling_is_seeded_and_filtered():
    manabu.manual_seed(0)
    model = GPT(GPTConfig(**SMALL))
    prompt = np.array([[1, 2, 3]])
    manabu.manual_seed(7)
    first = model.generate(prompt, 30, temperature=1.0)
    manabu.manual_seed(7)
    np.testing.assert_array_equal(model.generate(prompt, 30, temperature=1.0), first)
    greedy = model.generate(prompt, 30, temperature=0)
    np.testing.assert_array_equal(model.generate(prompt, 30, top_k=1), greedy)
    np.testing.assert_array_equal(model.generate(prompt, 30, top_p=1e-9), greedy)
    assert model.generate(np.array([1, 2]), 0).shape == (1, 2)  # one sequence, nothing new


def test_top_k_and_top_p_keep_the_right_tokens():
    from manabu.models.gpt import _sample

    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    rng = np.random.default_rng(0)
    draws = lambda **kw: {int(_sample(logits, 1.0, generator=rng, **kw)[0, 0])  # noqa: E731
                          for _ in range(400)}
    assert draws(top_k=2, top_p=None) == {0, 1}
    assert draws(top_k=None, top_p=0.79) == {0, 1}  # 0.5 + 0.3 reaches 0.79
    assert draws(top_k=None, top_p=0.81) == {0, 1, 2}
    assert draws(top_k=None, top_p=None) == {0, 1, 2, 3}


@pytest.mark.parametrize("options, match", [
    ({"temperature": -1}, "temperature"), ({"top_k": 0}, "top_k"), ({"top_p": 0}, "top_p"),
    ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"), ({"max_new_tokens": -1}, "max_new_tokens"),
])
def test_generate_refuses_bad_options(options, match):
    model = GPT(GPTConfig(**SMALL))
    with pytest.raises(ValueError, match=match):
        model.generate(np.array([[1]]), **{"max_new_tokens": 3, **options})


def test_bad_inputs_and_configs_are_clear_errors():
    model = GPT(GPTConfig(**SMALL))
    with pytest.raises(ValueError, match=r"block_size=16.*shape \(1, 17\)"):
        model(np.zeros((1, 17), int))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 11\)"):
        model(np.array([[3, 11]]))
    with pytest.raises(ValueError, match="integer ids"):
        model(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_head .3. must divide n_embd .8."):
        GPTConfig(n_head=3, n_embd=8)
    with pytest.raises(ValueError, match="dropout"):
        GPTConfig(dropout=1.0)
    with pytest.raises(TypeError, match="GPTConfig or a dict"):
        GPT(3)


def test_param_groups_decay_only_linear_weights():
    model = GPT(GPTConfig(**SMALL))
    decay, rest = gpt_param_groups(model, 0.1)
    names = {id(p): name for name, p in model.named_parameters()}
    decayed = sorted(names[id(p)] for p in decay["params"])
    assert all(n.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")) for n in decayed)
    assert len(decayed) == 8  # 4 Linears in each of 2 blocks
    kept = {names[id(p)] for p in rest["params"]}
    assert {"wte.weight", "wpe.weight", "ln_f.weight", "h.0.ln_1.bias"} <= kept
    assert len(decay["params"]) + len(rest["params"]) == len(list(model.parameters()))
    optimizer = optim.AdamW([decay, rest], lr=1e-3)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1, 0.0]


def test_save_and_load_give_the_same_model(tmp_path):
    manabu.manual_seed(5)
    model = GPT(GPTConfig(**SMALL, dropout=0.1))
    path = manabu.save(model, str(tmp_path / "gpt"))
    loaded = manabu.load(path)
    assert loaded.gpt_config == model.gpt_config and loaded.lm_head.weight is loaded.wte.weight
    model.eval()
    loaded.eval()
    idx = np.array([[1, 2, 3, 4]])
    np.testing.assert_array_equal(loaded(idx).numpy(), model(idx).numpy())


def test_a_few_steps_learn_a_repeating_text():
    manabu.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=5, block_size=8, n_layer=1, n_head=2, n_embd=16))
    optimizer = optim.AdamW(gpt_param_groups(model, 0.1), lr=1e-2)
    ids = np.arange(40) % 5
    x, y = ids[None, :8].repeat(4, 0), ids[None, 1:9].repeat(4, 0)
    for _ in range(60):
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    np.testing.assert_array_equal(model.generate(np.array([[0, 1]]), 8, temperature=0)[0],
                                  np.arange(10) % 5)


def test_torch_param_groups_mirror_ours_by_name():
    from manabu.models.gpt_torch import torch_param_groups

    model = GPT(GPTConfig(**SMALL))
    twin = torch_gpt(model.gpt_config)
    ours = gpt_param_groups(model, 0.1)
    theirs = torch_param_groups(model, twin, 0.1)
    name_of = {id(p): n for n, p in model.named_parameters()}
    twin_name_of = {id(p): n for n, p in twin.named_parameters()}
    for mine, other in zip(ours, theirs):
        assert mine["weight_decay"] == other["weight_decay"]
        assert sorted(name_of[id(p)] for p in mine["params"]) == \
            sorted(twin_name_of[id(p)] for p in other["params"])


def test_generate_never_draws_suppressed_tokens():
    manabu.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=5, block_size=8, n_layer=1, n_head=1, n_embd=8))
    ids = model.generate(np.zeros((20, 1), dtype=np.int64), 12, temperature=2.0,
                         generator=np.random.default_rng(0), suppress_tokens=[0, 3])
    drawn = set(np.unique(ids[:, 1:]).tolist())
    assert drawn and not drawn & {0, 3}
    greedy = model.generate(np.zeros((2, 1), dtype=np.int64), 4, temperature=0)
    top = int(greedy[0, 1])
    again = model.generate(np.zeros((2, 1), dtype=np.int64), 4, temperature=0,
                           suppress_tokens=[top])
    assert top not in again[:, 1:2]
    with pytest.raises(ValueError, match=r"suppress_tokens must be ids in \[0, 5\)"):
        model.generate(np.zeros((1, 1), dtype=np.int64), 1, suppress_tokens=[7])
    with pytest.raises(ValueError, match="no token to draw"):
        model.generate(np.zeros((1, 1), dtype=np.int64), 1, suppress_tokens=range(5))
