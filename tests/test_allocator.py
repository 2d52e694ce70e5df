import sys

import numpy as np
import pytest

from manabu import allocator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_allocator_settings_apply_and_revert():
    assert allocator.release_freed_memory() is True
    assert allocator.keep_freed_memory() is True  # the state `import manabu` leaves behind
    big = np.ones((4096, 4096), dtype=np.float32)  # 64 MiB: heap-allocated now
    assert float(big.sum()) == 4096 * 4096
