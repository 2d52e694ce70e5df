"""Learning-rate schedules: lr sequences against torch.optim.lr_scheduler, and warm-up cosine."""

import json
import math

import numpy as np
import pytest
import torch

from manabu import nn, optim
from manabu.nn.parameter import Parameter
from manabu.optim import lr_scheduler

LRS = (0.1, 0.03)  # two parameter groups with their own base lr


def _optimizers():
    m_groups = [{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in LRS]
    t_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in LRS]
    return optim.SGD(m_groups, momentum=0.9), torch.optim.SGD(t_groups, momentum=0.9)


def _sequences(make_manabu, make_torch, steps):
    m_opt, t_opt = _optimizers()
    m_sched, t_sched = make_manabu(m_opt), make_torch(t_opt)
    m_lrs = [m_sched.get_last_lr()]
    t_lrs = [t_sched.get_last_lr()]
    for _ in range(steps):
        m_opt.step()
        m_sched.step()
        t_opt.step()
        t_sched.step()
        m_lrs.append(m_sched.get_last_lr())
        t_lrs.append(t_sched.get_last_lr())
    assert m_lrs[-1] == [g["lr"] for g in m_opt.param_groups]
    return np.array(m_lrs), np.array(t_lrs)


CASES = {
    "step": (lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
             lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    "multistep": (lambda o: lr_scheduler.MultiStepLR(o, milestones=[12, 5, 30], gamma=0.3),
                  lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [5, 12, 30], gamma=0.3)),
    "exponential": (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.93),
                    lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.93)),
    "cosine": (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=16, eta_min=0.002),
               lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=16, eta_min=0.002)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lr_sequence_matches_torch(case):
    m_lrs, t_lrs = _sequences(*CASES[case], steps=40)
    np.testing.assert_allclose(m_lrs, t_lrs, rtol=1e-6, atol=1e-12)
    assert m_lrs[0].tolist() == list(LRS)
    assert len(np.unique(m_lrs[:, 0])) > 3  # the schedule really changed lr


def test_cosine_values_by_formula():
    m_opt, _ = _optimizers()
    sched = lr_scheduler.CosineAnnealingLR(m_opt, T_max=10, eta_min=0.0)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(20):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[5] == pytest.approx(0.05)
    assert lrs[10] == pytest.approx(0.0, abs=1e-15)
    assert lrs[20] == pytest.approx(0.1)  # past T_max the cosine climbs back, as in PyTorch


def test_warmup_cosine_formula():
    m_opt, _ = _optimizers()
    sched = lr_scheduler.WarmupCosine(m_opt, warmup_steps=4, total_steps=12, min_lr=0.001)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(16):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    base, low = 0.1, 0.001
    expected = [base * (t + 1) / 4 for t in range(4)]
    for t in range(4, 17):
        s = min(1.0, (t - 4) / 8)
        expected.append(low + (base - low) * (1 + math.cos(math.pi * s)) / 2)
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert lrs[:5] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1])
    assert lrs[8] == pytest.approx((base + low) / 2)
    assert lrs[12:] == pytest.approx([low] * 5)
    assert sched.get_last_lr()[1] == pytest.approx(low)  # every group ends at min_lr


def test_warmup_cosine_without_warmup_and_bad_arguments():
    m_opt, _ = _optimizers()
    sched = lr_scheduler.WarmupCosine(m_opt, warmup_steps=0, total_steps=2)
    assert sched.get_last_lr() == pytest.approx(list(LRS))
    sched.step()
    assert sched.get_last_lr() == pytest.approx([lr / 2 for lr in LRS])
    with pytest.raises(ValueError, match=r"total_steps \(5\) must be greater than"):
        lr_scheduler.WarmupCosine(m_opt, warmup_steps=5, total_steps=5)


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.9, 0.9, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9,
                   0.9, 0.84999, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(patience=1, cooldown=2, factor=0.5, min_lr=0.004),
    dict(mode="max", patience=1, threshold=0.05, threshold_mode="abs"),
    dict(patience=0, threshold=0.1, min_lr=[0.02, 0.001], factor=0.2),
])
def test_reduce_on_plateau_matches_torch(kwargs):
    m_opt, t_opt = _optimizers()
    m_sched = lr_scheduler.ReduceLROnPlateau(m_opt, **kwargs)
    t_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs)
    m_lrs, t_lrs = [], []
    for metric in PLATEAU_METRICS:
        m_sched.step(metric)
        t_sched.step(metric)
        m_lrs.append(m_sched.get_last_lr())
        t_lrs.append(t_sched.get_last_lr())
    np.testing.assert_allclose(m_lrs, t_lrs, rtol=1e-12)
    assert m_lrs[-1][0] < LRS[0]  # it did reduce
    assert m_sched.best == t_sched.best


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    lambda o: lr_scheduler.WarmupCosine(o, warmup_steps=3, total_steps=10, min_lr=0.01),
    lambda o: lr_scheduler.NoamLR(o, d_model=32, warmup_steps=4, factor=2.0),
    lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, cooldown=1),
])
def test_state_dict_resumes_the_same_sequence(make):
    def advance(sched, opt, n):
        lrs = []
        for i in range(n):
            if isinstance(sched, lr_scheduler.ReduceLROnPlateau):
                sched.step(1.0 + 0.01 * (i % 2))
            else:
                sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        return lrs

    opt, _ = _optimizers()
    sched = make(opt)
    advance(sched, opt, 5)
    saved_sched = json.loads(json.dumps(sched.state_dict()))
    saved_opt_groups = [dict(g) for g in opt.state_dict()["param_groups"]]
    expected = advance(sched, opt, 6)

    opt2, _ = _optimizers()
    for group, saved in zip(opt2.param_groups, saved_opt_groups):
        group.update({k: v for k, v in saved.items() if k != "params"})
    sched2 = make(opt2)
    sched2.load_state_dict(saved_sched)
    assert advance(sched2, opt2, 6) == expected


def test_resuming_at_an_epoch_needs_initial_lr():
    opt, _ = _optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"]
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=3)
    assert sched.last_epoch == 4
    assert sched.get_last_lr() == pytest.approx([lr * 0.25 for lr in LRS])


def test_bad_arguments():
    opt, t_opt = _optimizers()
    with pytest.raises(TypeError, match="expected a manabu Optimizer"):
        lr_scheduler.StepLR(t_opt, step_size=2)
    with pytest.raises(ValueError, match="step_size must be >= 1"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="factor must be < 1"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode must be"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="3 min_lr values for 2 groups"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


def test_public_names():
    for name in lr_scheduler.__all__:
        assert hasattr(lr_scheduler, name), name
    assert optim.lr_scheduler is lr_scheduler


# ---------------------------------------------------------------------- warm-up schedules
def _torch_lambda_lrs(lr, lam, steps):
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lam)
    lrs = []
    for _ in range(steps):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return lrs


def _our_lrs(sched, steps):
    lrs = []
    for _ in range(steps):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    return lrs


def test_noam_equals_torch_lambda_lr_and_peaks_at_warmup():
    d, warmup, factor = 64, 10, 2.0
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    ours = _our_lrs(lr_scheduler.NoamLR(opt, d_model=d, warmup_steps=warmup, factor=factor), 50)
    theirs = _torch_lambda_lrs(0.5, lambda t: factor * d ** -0.5 * min((t + 1) ** -0.5,
                                                                      (t + 1) * warmup ** -1.5), 50)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert int(np.argmax(ours)) == warmup - 1  # step s = warmup (t = warmup - 1)
    assert max(ours) == pytest.approx(0.5 * factor / math.sqrt(d * warmup))
    assert ours[0] == pytest.approx(ours[warmup - 1] / warmup)  # a linear climb


def test_noam_values_of_the_paper():
    # d_model = 512, warmup 4000, lr = 1: the paper's schedule, by hand at a few steps
    opt = optim.Adam([nn.Parameter(np.zeros(1))], lr=1.0)
    lrs = _our_lrs(lr_scheduler.NoamLR(opt, d_model=512, warmup_steps=4000), 16000)
    assert lrs[0] == pytest.approx(512 ** -0.5 * 4000 ** -1.5)  # step 1
    assert lrs[1999] == pytest.approx(2000 / (math.sqrt(512) * 4000 ** 1.5))  # step 2000
    assert lrs[3999] == pytest.approx(1 / math.sqrt(512 * 4000))  # step 4000: the peak
    assert max(lrs) == lrs[3999]
    assert lrs[15999] == pytest.approx(1 / math.sqrt(512 * 16000))  # step 16000: half the peak
    assert lrs[15999] == pytest.approx(lrs[3999] / 2)


def test_noam_resumes_from_its_state_and_checks_arguments():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.NoamLR(opt, d_model=16, warmup_steps=4)
    for _ in range(7):
        sched.step()
    state = sched.state_dict()
    again = lr_scheduler.NoamLR(optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0), d_model=16,
                                warmup_steps=4)
    again.load_state_dict(state)
    assert _our_lrs(again, 5) == _our_lrs(sched, 5)
    for kwargs, match in (({"d_model": 0, "warmup_steps": 4}, "d_model"),
                          ({"d_model": 8, "warmup_steps": 0}, "warmup_steps"),
                          ({"d_model": 8, "warmup_steps": 2, "factor": 0}, "factor")):
        with pytest.raises(ValueError, match=match):
            lr_scheduler.NoamLR(opt, **kwargs)


def test_warmup_cosine_equals_torch_lambda_lr():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1e-3)
    ours = _our_lrs(lr_scheduler.WarmupCosine(opt, warmup_steps=10, total_steps=40,
                                              min_lr=1e-4), 50)

    def factor(t):  # the same schedule as a multiplier of the base lr
        if t < 10:
            return (t + 1) / 10
        progress = min(1.0, (t - 10) / 30)
        return (1e-4 + (1e-3 - 1e-4) * (1 + math.cos(math.pi * progress)) / 2) / 1e-3

    np.testing.assert_allclose(ours, _torch_lambda_lrs(1e-3, factor, 50), rtol=1e-12)
