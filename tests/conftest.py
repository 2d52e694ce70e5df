"""Test set-up shared by every test file: where the shared data lives."""

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


@pytest.fixture
def mnist_root():
    """Folder holding mnist/t10k-*.gz (MANABU_DATA, else ../shared/data); skips if absent."""
    root = os.environ.get("MANABU_DATA", SHARED_DATA)
    if not os.path.exists(os.path.join(root, "mnist", "t10k-images-idx3-ubyte.gz")):
        pytest.skip(f"MNIST test files not found under {root}")
    return root
