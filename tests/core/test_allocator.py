"""The malloc tuning is a process-wide change: made by training (fit, manabu train) or an
explicit call, never by `import manabu`; release_freed_memory() is the program's last word."""

import subprocess
import sys

import numpy as np
import pytest

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")


def _in_a_new_process(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split()


@linux_only
def test_import_leaves_malloc_alone_and_fit_tunes_it():
    code = (
        "import numpy as np, manabu\nfrom manabu import allocator, nn, optim, train\n"
        "print(allocator.mode())\n"
        "m = nn.Linear(2, 2)\nx = np.zeros((4, 2), np.float32); y = np.zeros(4, np.int64)\n"
        "train.fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters()), (x, y), verbose=0)\n"
        "print(allocator.mode())\n"
    )
    assert _in_a_new_process(code) == ["None", "keep"]


@linux_only
def test_release_is_kept_through_later_training():
    code = (
        "import numpy as np\nfrom manabu import allocator, nn, optim, train\n"
        "print(allocator.release_freed_memory())\n"
        "m = nn.Linear(2, 2)\nx = np.zeros((4, 2), np.float32); y = np.zeros(4, np.int64)\n"
        "train.fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters()), (x, y), verbose=0)\n"
        "print(allocator.mode(), allocator.keep_freed_memory())\n"
    )
    assert _in_a_new_process(code) == ["True", "release", "False"]


@linux_only
def test_keep_applies_and_big_blocks_work():
    code = (
        "import numpy as np\nfrom manabu import allocator\n"
        "print(allocator.keep_freed_memory(), allocator.mode())\n"
        "big = np.ones((4096, 4096), dtype=np.float32)\nprint(int(big.sum()))\n"
    )
    assert _in_a_new_process(code) == ["True", "keep", str(4096 * 4096)]
    assert np.ones(3).sum() == 3
