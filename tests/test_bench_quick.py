"""The benchmark suite still runs and both libraries still agree (never its speed)."""

import json

import pytest


@pytest.mark.slow
def test_bench_quick_mode_runs_and_losses_agree(capsys, mnist_root, monkeypatch):
    monkeypatch.setenv("MANABU_DATA", mnist_root)
    from bench import run

    status = run.main(["--quick", "--no-memory", "--repeats", "1"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"B1", "B3", "B5"} <= set(summary)
    assert all(entry["losses_agree"] for entry in summary.values()), summary
    assert status == 0
