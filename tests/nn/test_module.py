"""Module: registration, traversal, modes, state_dict, repr, hooks, containers, summary."""

from collections import OrderedDict

import numpy as np
import pytest

import manabu
from manabu import nn


class MLP(nn.Module):
    def __init__(self, sizes=(4, 8, 3)):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(sizes[1], sizes[2])

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
        self.norm = nn.BatchNorm1d(3)
        self.scale = nn.Parameter(np.ones(1))
        self.register_buffer("steps", manabu.Tensor(np.zeros(1)))
        self.plain = [nn.Linear(2, 2)]  # a Python list hides its modules

    def forward(self, x):
        return self.norm(self.body(x)) * self.scale


def test_assignment_registers_parameters_and_modules():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "norm.weight", "norm.bias"]
    assert [name for name, _ in block.named_buffers()] == [
        "steps", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert list(block.children()) == [block.body, block.norm]
    assert [name for name, _ in block.named_modules()] == ["", "body", "body.0", "body.1", "norm"]
    assert len(list(block.modules())) == 5


def test_shared_parameter_is_listed_once():
    model = MLP((4, 4, 4))
    model.fc2.weight = model.fc1.weight  # tied weights
    params = list(model.parameters())
    assert len(params) == 3
    assert sum(p is model.fc1.weight for p in params) == 1
    shared = nn.Sequential(model.fc1, model.fc1)
    assert len(list(shared.parameters())) == 2
    # like PyTorch, the checkpoint names a tied weight under both of its names
    state = model.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    model.load_state_dict(state)


def test_reassigning_replaces_and_plain_values_stay_plain():
    model = MLP()
    model.fc1 = nn.Identity()
    assert [n for n, _ in model.named_parameters()] == ["fc2.weight", "fc2.bias"]
    model.fc2 = None  # a module slot set to None drops the module
    assert list(model.parameters()) == []
    model.hidden = 5
    assert model.hidden == 5 and "hidden" not in model._modules


def test_parameter_slot_accepts_only_parameters():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"Linear.weight is a parameter.*nn.Parameter"):
        layer.weight = np.zeros((2, 2))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) first in Broken"):
        Broken()


def test_missing_attribute_names_the_class():
    with pytest.raises(AttributeError, match="'MLP' object has no attribute 'fc3'"):
        MLP().fc3


def test_train_eval_propagate_to_every_descendant():
    block = Block()
    assert all(m.training for m in block.modules())
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_zero_grad_and_requires_grad():
    model = MLP()
    model(manabu.Tensor(np.ones((2, 4), np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(float(np.abs(p.grad.numpy()).sum()) == 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_apply_visits_children_then_self():
    visited = []
    MLP().apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Linear", "MLP"]


def test_to_casts_in_place_keeping_identity():
    model = Block()
    weight = model.body[0].weight
    model.double()
    assert model.body[0].weight is weight
    assert weight.dtype == np.float64 and model.norm.running_var.dtype == np.float64
    assert model.norm.num_batches_tracked.dtype == np.int64  # integers are not cast
    model.to("cpu", dtype=np.float32)
    assert weight.dtype == np.float32


def test_state_dict_round_trip():
    manabu.random.manual_seed(0)
    source, target = Block(), Block()
    source.norm(manabu.Tensor(np.random.default_rng(0).standard_normal((5, 3))))
    state = source.state_dict()
    assert list(state) == ["scale", "steps", "body.0.weight", "body.0.bias", "norm.weight",
                           "norm.bias", "norm.running_mean", "norm.running_var",
                           "norm.num_batches_tracked"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    weight = target.body[0].weight
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.body[0].weight is weight  # loaded in place
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    assert int(target.norm.num_batches_tracked.item()) == 1


def test_state_dict_is_a_snapshot():
    model = MLP()
    state = model.state_dict()
    model.fc1.weight.data[...] = 7
    assert not np.any(state["fc1.weight"] == 7)


def test_non_persistent_buffer_is_not_saved():
    model = MLP()
    model.register_buffer("mask", manabu.Tensor(np.ones(3)), persistent=False)
    assert "mask" not in model.state_dict()
    assert any(b is model.mask for b in model.buffers())


def test_load_state_dict_strict_error_lists_everything():
    state = MLP((784, 256, 10)).state_dict()
    del state["fc2.bias"]
    state["fc3.weight"] = np.zeros((2, 2))
    with pytest.raises(RuntimeError) as info:
        MLP((784, 128, 10)).load_state_dict(state)
    message = str(info.value)
    assert "missing keys (in the model, not in the checkpoint): fc2.bias" in message
    assert "unexpected keys (in the checkpoint, not in the model): fc3.weight" in message
    assert "fc1.weight: checkpoint (256, 784) vs model (128, 784)" in message
    assert "fc2.weight: checkpoint (10, 256) vs model (10, 128)" in message


def test_load_state_dict_non_strict_reports_keys_but_not_shapes():
    model = MLP()
    state = model.state_dict()
    state.pop("fc2.bias")
    state["extra"] = np.zeros(1)
    state["fc1.weight"] = state["fc1.weight"] + 1
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.fc1.weight.numpy(), state["fc1.weight"])
    state["fc1.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match=r"fc1.weight: checkpoint \(1, 1\) vs model \(8, 4\)"):
        model.load_state_dict(state, strict=False)


def test_load_state_dict_accepts_torch_tensors():
    import torch

    model = MLP()
    state = {k: torch.full(v.shape, 0.5) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.fc2.bias.numpy(), [0.5, 0.5, 0.5])


def test_repr_is_an_indented_tree():
    expected = "\n".join([
        "Block(",
        "  (body): Sequential(",
        "    (0): Linear(in_features=3, out_features=3, bias=True)",
        "    (1): Tanh()",
        "  )",
        "  (norm): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, "
        "track_running_stats=True)",
        ")",
    ])
    assert repr(Block()) == expected


def test_forward_hooks_run_and_can_be_removed():
    model = MLP()
    seen = []
    handle = model.fc1.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    pre = model.register_forward_pre_hook(lambda m, inputs: seen.append("pre"))
    model(manabu.Tensor(np.ones((2, 4), np.float32)))
    handle.remove()
    pre.remove()
    model(manabu.Tensor(np.ones((2, 4), np.float32)))
    assert seen == ["pre", (2, 8)]


def test_module_without_forward_says_what_to_do():
    with pytest.raises(NotImplementedError, match="define forward"):
        nn.Module()(1)


def test_sequential_indexing_len_append_iteration():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    model.append(nn.Linear(8, 2))
    assert len(model) == 3
    assert isinstance(model[-1], nn.Linear) and model[-1].out_features == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    x = manabu.Tensor(np.ones((5, 4), np.float32))
    np.testing.assert_allclose(model(x).numpy(), model[2](model[1](model[0](x))).numpy())
    with pytest.raises(IndexError, match="index 3 out of range for 3 modules"):
        model[3]
    with pytest.raises(TypeError, match=r"nn.ReLU\(\) rather than F.relu"):
        model.append(manabu.functional.tanh)


def test_sequential_from_ordered_dict_and_deletion():
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert isinstance(model.act, nn.ReLU)
    del model[0]
    assert len(model) == 1 and isinstance(model[0], nn.ReLU)


def test_module_list_registers_and_has_no_forward():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.insert(0, nn.Linear(2, 5))
    assert len(layers) == 4 and layers[0].out_features == 5
    assert len(list(layers.parameters())) == 8
    layers[1] = nn.Identity()
    assert len(list(layers.parameters())) == 6
    with pytest.raises(NotImplementedError, match="iterate over it"):
        layers(1)


def test_module_dict():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 4)})
    assert list(heads) == ["cls", "box"] and "cls" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["cls.weight", "cls.bias",
                                                        "box.weight", "box.bias"]
    popped = heads.pop("box")
    assert isinstance(popped, nn.Linear) and list(heads.keys()) == ["cls"]
    with pytest.raises(KeyError, match="keys: \\['cls'\\]"):
        heads["box"]


def test_summary_of_a_small_mlp():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10))
    text = manabu.summary(model, (1, 1, 28, 28), print_fn=None)
    lines = text.splitlines()
    rows = [line.split() for line in lines[2:7]]
    assert [r[1] for r in rows] == ["(Flatten)", "(Linear)", "(ReLU)", "(Dropout)", "(Linear)"]
    assert [" ".join(r[2:-1]) for r in rows] == ["(1, 784)", "(1, 128)", "(1, 128)", "(1, 128)",
                                                  "(1, 10)"]
    assert [r[-1] for r in rows] == ["0", "100,480", "0", "0", "1,290"]
    assert "Total params: 101,770" in text
    assert "Trainable params: 101,770" in text
    assert model.training and model[3].training  # modes restored


def test_summary_nested_and_frozen(capsys):
    model = Block()
    model.body.requires_grad_(False)
    model.train()
    text = manabu.summary(model, (4, 3), dtype=np.float64)
    assert text in capsys.readouterr().out
    assert "\n  body.0 (Linear)" in text  # indented under its Sequential
    assert "Total params: 19" in text
    assert "Non-trainable params: 12" in text
    assert int(model.norm.num_batches_tracked.item()) == 0  # ran in eval mode
    assert model.training
