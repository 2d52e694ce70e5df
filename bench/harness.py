"""Timing harness: manabu and PyTorch alternate (A B A B ...) in one process.

Each workload gives two callables that run the same work (an epoch, 100 steps, ...) and
return the mean loss. The first call of each side, from the same initial weights on the same
data, doubles as the warm-up and gives the losses compared (later calls go on training, so
float32 rounding differences keep growing). Then the two alternate for ``repeats`` timed
runs; the ratio reported is the median of the pairwise ratios manabu / PyTorch, which is
robust to the machine getting slower or faster during the run.
"""

import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    description: str
    manabu_times: list = field(default_factory=list)
    torch_times: list = field(default_factory=list)
    manabu_loss: float = float("nan")
    torch_loss: float = float("nan")
    flops: float = 0.0  # floating-point operations of one run (for GFLOP/s)
    unit: str = "s"
    target: float = None
    loss_tolerance: float = 1e-3

    @property
    def ratios(self):
        return [m / t for m, t in zip(self.manabu_times, self.torch_times)]

    @property
    def ratio(self):
        return statistics.median(self.ratios)

    @property
    def losses_agree(self):
        scale = max(abs(self.torch_loss), 1e-12)
        return abs(self.manabu_loss - self.torch_loss) / scale <= self.loss_tolerance

    def gflops(self, times):
        if not self.flops:
            return None
        return self.flops / statistics.median(times) / 1e9


def timed(function):
    """Seconds one call of ``function`` takes."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def compare(name, description, run_manabu, run_torch, repeats=5, flops=0.0, target=None,
            loss_tolerance=1e-3):
    """Warm up both sides, then alternate them ``repeats`` times."""
    result = Result(name, description, flops=flops, target=target,
                    loss_tolerance=loss_tolerance)
    result.manabu_loss = run_manabu()  # warm-up, and the losses compared
    result.torch_loss = run_torch()
    for _ in range(repeats):
        result.manabu_times.append(timed(run_manabu))
        result.torch_times.append(timed(run_torch))
    return result
