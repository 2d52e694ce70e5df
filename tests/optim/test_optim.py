"""Optimizers: oracle tests against torch.optim on a small MLP, plus the Optimizer contract."""

import json

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from manabu import optim
from manabu.nn.parameter import Parameter

SHAPES = [(4, 5), (5,), (5, 2)]  # W1, b1, W2 of a one-hidden-layer tanh regression net


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) * 0.5 for s in SHAPES]
    x = rng.standard_normal((8, 4))
    y = rng.standard_normal((8, 2))
    return init, x, y


def _manabu_loss(params, x, y):
    w1, b1, w2 = params
    h = F.tanh(manabu.Tensor(x) @ w1 + b1)
    return ((h @ w2 - manabu.Tensor(y)) ** 2).mean()


def _torch_loss(params, x, y):
    w1, b1, w2 = params
    h = torch.tanh(torch.tensor(x) @ w1 + b1)
    return ((h @ w2 - torch.tensor(y)) ** 2).mean()


def _train_both(make_manabu, make_torch, steps=100):
    """The same float64 problem trained by both libraries, gradients computed by each."""
    init, x, y = _problem()
    m_params = [Parameter(a.copy()) for a in init]
    t_params = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    m_opt = make_manabu(m_params)
    t_opt = make_torch(t_params)
    first_loss = float(_manabu_loss(m_params, x, y))
    for _ in range(steps):
        m_opt.zero_grad()
        _manabu_loss(m_params, x, y).backward()
        m_opt.step()
        t_opt.zero_grad()
        _torch_loss(t_params, x, y).backward()
        t_opt.step()
    return init, m_params, t_params, m_opt, t_opt, first_loss


CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd_wd": (lambda p: optim.SGD(p, lr=0.1, weight_decay=0.05),
               lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.05)),
    "sgd_momentum": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "sgd_dampening_wd": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    "sgd_nesterov_wd": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "momentum": (lambda p: optim.Momentum(p, lr=0.05, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "momentum_wd": (lambda p: optim.Momentum(p, lr=0.05, momentum=0.8, weight_decay=0.02),
                    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.02)),
    "nesterov": (lambda p: optim.Nesterov(p, lr=0.05, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    "nesterov_wd": (
        lambda p: optim.Nesterov(p, lr=0.05, momentum=0.8, weight_decay=0.02),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    "adagrad": (lambda p: optim.AdaGrad(p, lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    "adagrad_full": (
        lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                initial_accumulator_value=0.1, eps=1e-8),
        lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                      initial_accumulator_value=0.1, eps=1e-8)),
    "rmsprop": (lambda p: optim.RMSProp(p), lambda p: torch.optim.RMSprop(p)),
    "rmsprop_centered": (lambda p: optim.RMSprop(p, lr=0.005, centered=True),
                         lambda p: torch.optim.RMSprop(p, lr=0.005, centered=True)),
    "rmsprop_momentum_wd": (
        lambda p: optim.RMSprop(p, lr=0.005, alpha=0.9, momentum=0.5, weight_decay=0.01),
        lambda p: torch.optim.RMSprop(p, lr=0.005, alpha=0.9, momentum=0.5, weight_decay=0.01)),
    "rmsprop_all": (
        lambda p: optim.RMSprop(p, lr=0.002, eps=1e-6, momentum=0.9, centered=True,
                                weight_decay=0.01),
        lambda p: torch.optim.RMSprop(p, lr=0.002, eps=1e-6, momentum=0.9, centered=True,
                                      weight_decay=0.01)),
    "adadelta": (lambda p: optim.AdaDelta(p), lambda p: torch.optim.Adadelta(p)),
    "adadelta_wd": (
        lambda p: optim.Adadelta(p, lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.01),
        lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.01)),
    "adam": (lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam_wd": (lambda p: optim.Adam(p, lr=0.01, weight_decay=0.05),
                lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05)),
    "adam_amsgrad": (
        lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, amsgrad=True,
                             weight_decay=0.01),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, amsgrad=True,
                                   weight_decay=0.01)),
    "adamw": (lambda p: optim.AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    "adamw_amsgrad": (
        lambda p: optim.AdamW(p, lr=0.01, betas=(0.85, 0.995), weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.85, 0.995), weight_decay=0.1,
                                    amsgrad=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch_after_100_steps(case):
    make_manabu, make_torch = CASES[case]
    init, m_params, t_params, _, _, first_loss = _train_both(make_manabu, make_torch)
    for a, m, t in zip(init, m_params, t_params):
        np.testing.assert_allclose(m.data, t.detach().numpy(), rtol=1e-6, atol=1e-9)
        assert np.abs(m.data - a).max() > 1e-3  # the parameters really moved
    _, x, y = _problem()
    assert float(_manabu_loss(m_params, x, y)) < first_loss


@pytest.mark.parametrize("case", ["sgd_momentum", "rmsprop_all", "adagrad_full", "adadelta",
                                  "adam_amsgrad", "adamw"])
def test_state_matches_torch_state_dict(case):
    make_manabu, make_torch = CASES[case]
    _, _, _, m_opt, t_opt, _ = _train_both(make_manabu, make_torch, steps=20)
    m_state = m_opt.state_dict()
    t_state = t_opt.state_dict()
    assert [g["params"] for g in m_state["param_groups"]] == [[0, 1, 2]]
    assert sorted(m_state["state"]) == sorted(t_state["state"]) == [0, 1, 2]
    for i in range(3):
        assert set(m_state["state"][i]) == set(t_state["state"][i])
        for key, value in t_state["state"][i].items():
            np.testing.assert_allclose(m_state["state"][i][key], value.numpy(), rtol=1e-6)


def test_plain_sgd_is_the_notes_formula():
    p = Parameter(np.array([1.0, -2.0, 3.0]))
    p.grad = manabu.Tensor(np.array([0.5, 0.5, -1.0]))
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.05, 3.1])


def _gradient_sequence(steps, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(3) for _ in range(steps)]


def test_momentum_with_changing_lr_follows_the_velocity_form():
    grads = _gradient_sequence(20)
    lrs = [0.1] * 10 + [0.01] * 10
    p = Parameter(np.zeros(3))
    opt = optim.Momentum([p], lr=0.1, momentum=0.9)
    expected_p = np.zeros(3)
    v = np.zeros(3)
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = manabu.Tensor(g)
        opt.step()
        v = 0.9 * v - lr * g
        expected_p = expected_p + v
    np.testing.assert_allclose(p.data, expected_p, rtol=1e-12)
    # torch's SGD rescales its whole buffer by the new lr, so the paths part once lr changes
    t = torch.zeros(3, requires_grad=True)
    t_opt = torch.optim.SGD([t], lr=0.1, momentum=0.9)
    for g, lr in zip(grads, lrs):
        t_opt.param_groups[0]["lr"] = lr
        t.grad = torch.tensor(g, dtype=torch.float32)
        t_opt.step()
    assert np.abs(t.detach().numpy() - expected_p).max() > 1e-2


def test_param_groups_with_their_own_hyper_parameters_match_torch():
    def groups(params):
        return [{"params": params[:2], "lr": 0.02, "weight_decay": 0.1}, {"params": params[2:]}]

    _, m_params, t_params, m_opt, _, _ = _train_both(
        lambda p: optim.Adam(groups(p), lr=0.01),
        lambda p: torch.optim.Adam(groups(p), lr=0.01),
    )
    assert m_opt.param_groups[0]["lr"] == 0.02
    assert m_opt.param_groups[1]["lr"] == 0.01
    assert m_opt.param_groups[1]["weight_decay"] == 0.0
    for m, t in zip(m_params, t_params):
        np.testing.assert_allclose(m.data, t.detach().numpy(), rtol=1e-6, atol=1e-9)


def test_state_is_lazy_and_keyed_by_the_parameter():
    a = Parameter(np.ones(2))
    b = Parameter(np.ones(3))
    opt = optim.Adam([a, b], lr=0.1)
    assert opt.state == {}
    a.grad = manabu.Tensor(np.array([1.0, -1.0]))
    opt.step()
    assert list(opt.state) == [a]  # b had no gradient: no state, no update
    assert opt.state[a]["step"] == 1
    np.testing.assert_allclose(opt.state[a]["exp_avg"], [0.1, -0.1])
    np.testing.assert_allclose(a.data, [0.9, 1.1])
    np.testing.assert_array_equal(b.data, np.ones(3))


def test_step_is_in_place_leaves_grad_alone_and_records_no_graph():
    p = Parameter(np.array([1.0, 2.0]))
    data = p.data
    grad = np.array([0.5, -0.5])
    p.grad = manabu.Tensor(grad.copy())
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    opt.step()
    opt.step()
    assert p.data is data
    np.testing.assert_array_equal(p.grad.data, grad)
    assert p.is_leaf and p.requires_grad
    # by hand: g = grad + 0.1 p; b = g (then 0.9 b + g); p -= 0.1 b
    g1 = grad + 0.1 * np.array([1.0, 2.0])
    p1 = np.array([1.0, 2.0]) - 0.1 * g1
    b2 = 0.9 * g1 + grad + 0.1 * p1
    np.testing.assert_allclose(p.data, p1 - 0.1 * b2, rtol=1e-12)


def test_float32_parameters_stay_float32():
    p = Parameter(np.ones(4, dtype=np.float32))
    opt = optim.AdamW([p], lr=0.1)
    p.grad = manabu.Tensor(np.full(4, 2.0, dtype=np.float32))
    opt.step()
    assert p.dtype == np.float32
    assert opt.state[p]["exp_avg_sq"].dtype == np.float32
    np.testing.assert_allclose(p.data, np.full(4, 1 * (1 - 0.1 * 0.01) - 0.1), rtol=1e-6)


def test_zero_grad_and_closure():
    init, x, y = _problem()
    params = [Parameter(a.copy()) for a in init]
    opt = optim.SGD(params, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = _manabu_loss(params, x, y)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == pytest.approx(float(_manabu_loss([Parameter(a) for a in init], x, y)))
    assert all(p.grad is not None for p in params)
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def _json_round_trip(state_dict):
    def plain(value):
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return json.loads(json.dumps(plain(state_dict)))


@pytest.mark.parametrize("case", ["sgd_nesterov_wd", "adagrad_full", "rmsprop_all",
                                  "adadelta_wd", "adam_amsgrad"])
def test_resume_from_json_state_dict_continues_the_same_run(case):
    make = CASES[case][0]
    init, x, y = _problem()
    straight = [Parameter(a.copy()) for a in init]
    opt = make(straight)
    for step in range(40):
        if step == 20:
            saved_params = [p.data.copy() for p in straight]
            saved = _json_round_trip(opt.state_dict())
        opt.zero_grad()
        _manabu_loss(straight, x, y).backward()
        opt.step()
    resumed = [Parameter(a) for a in saved_params]
    opt2 = make(resumed)
    opt2.load_state_dict(saved)
    assert all(isinstance(v, tuple) for g in opt2.param_groups for k, v in g.items()
               if k == "betas")
    for _ in range(20):
        opt2.zero_grad()
        _manabu_loss(resumed, x, y).backward()
        opt2.step()
    for a, b in zip(straight, resumed):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-15)


def test_state_dict_is_a_snapshot():
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = manabu.Tensor(np.ones(2))
    opt.step()
    saved = opt.state_dict()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], [1.0, 1.0])
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.9, 1.9])


def test_load_state_dict_rejects_other_shapes_of_groups():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="2 parameters"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="1 parameter groups saved"):
        optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)


def _stepped_adam(p):
    adam = optim.Adam([p], lr=0.01)
    p.grad = manabu.Tensor(np.ones(2))
    adam.step()
    return adam


def test_load_state_dict_refuses_another_optimizers_state():
    p = Parameter(np.ones(2))
    saved = _json_round_trip(_stepped_adam(p).state_dict())
    assert saved["type"] == "Adam"
    with pytest.raises(ValueError, match=r"SGD\.load_state_dict: the checkpoint holds Adam "
                                         r"state, this optimizer is SGD; build the same "
                                         r"optimizer to resume.*without resume_from"):
        optim.SGD([p], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="holds Adam state, this optimizer is AdamW"):
        optim.AdamW([p]).load_state_dict(saved)
    # a state dict saved before the type was recorded: its hyper-parameters give it away
    untyped = {k: v for k, v in saved.items() if k != "type"}
    with pytest.raises(ValueError, match=r"saved parameter group 0 has hyper-parameters "
                                         r"\['amsgrad', 'betas', 'eps'\] that SGD does not"):
        optim.SGD([p], lr=0.1).load_state_dict(untyped)
    resumed = optim.Adam([p], lr=0.5)
    resumed.load_state_dict(untyped)  # the same optimizer still loads it
    assert resumed.param_groups[0]["lr"] == 0.01  # the saved lr, as in PyTorch
    assert resumed.state[p]["step"] == 1
    # the key a scheduler adds is no stranger, even to an optimizer without a scheduler yet
    scheduled = _stepped_adam(p)
    optim.lr_scheduler.StepLR(scheduled, step_size=1)
    fresh = optim.Adam([p], lr=0.01)
    fresh.load_state_dict(scheduled.state_dict())
    assert fresh.param_groups[0]["initial_lr"] == 0.01


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), r"SGD: invalid lr -0.1"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), r"SGD: nesterov=True needs momentum"),
    (lambda p: optim.Momentum(p, momentum=-0.5), r"Momentum: invalid momentum -0.5"),
    (lambda p: optim.Adagrad(p, eps=-1e-10), r"Adagrad: invalid eps -1e-10"),
    (lambda p: optim.RMSprop(p, alpha=-0.9), r"RMSprop: invalid alpha -0.9"),
    (lambda p: optim.Adadelta(p, rho=1.5), r"Adadelta: invalid rho 1.5"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), r"Adam: invalid betas \(0.9, 1.0\)"),
    (lambda p: optim.AdamW(p, weight_decay=-0.01), r"AdamW: invalid weight_decay -0.01"),
    (lambda p: optim.Adam([{"params": p, "lr": -1.0}]), r"Adam: invalid lr -1.0"),
])
def test_invalid_hyper_parameters_name_the_optimizer_and_value(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


def test_invalid_parameter_lists():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(2)])
    with pytest.raises(ValueError, match="more than one group"):
        optim.SGD([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2])


def test_public_names():
    for name in optim.__all__:
        assert hasattr(optim, name), name
    assert optim.AdaGrad is optim.Adagrad
    assert optim.RMSProp is optim.RMSprop


def test_build_by_name():
    p = Parameter(np.ones(2))
    opt = optim.build("AdamW", [p], lr=0.5, weight_decay=0.1)
    assert type(opt) is optim.AdamW
    assert opt.param_groups[0]["lr"] == 0.5
    assert sorted(optim.OPTIMIZERS) == ["adadelta", "adagrad", "adam", "adamw", "momentum",
                                        "nesterov", "rmsprop", "sgd"]
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs': choose one of adadelta"):
        optim.build("lbfgs", [p])
