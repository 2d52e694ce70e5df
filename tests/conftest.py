"""Test set-up shared by every test file: where the shared data lives, and the helpers the
lesson tests share (data set in MANABU_DATA, a lesson run through the CLI, a figure check)."""

import json
import os

import pytest

from manabu import cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mnist_root():
    """Folder holding mnist/t10k-*.gz (MANABU_DATA, else ../shared/data); skips if absent."""
    root = os.environ.get("MANABU_DATA", SHARED_DATA)
    if not os.path.exists(os.path.join(root, "mnist", "t10k-images-idx3-ubyte.gz")):
        pytest.skip(f"MNIST test files not found under {root}")
    return root


@pytest.fixture
def mnist_env(mnist_root, monkeypatch):
    """The lessons read MNIST from MANABU_DATA, as a user's run does."""
    monkeypatch.setenv("MANABU_DATA", mnist_root)
    return mnist_root


@pytest.fixture
def shakespeare_root(monkeypatch):
    """Folder holding tinyshakespeare/input.txt (MANABU_DATA, else ../shared/data), set as
    MANABU_DATA as a user's run does, so lessons find it too; skips if absent."""
    root = os.environ.get("MANABU_DATA", SHARED_DATA)
    if not os.path.exists(os.path.join(root, "tinyshakespeare", "input.txt")):
        pytest.skip(f"tiny-shakespeare not found under {root}")
    monkeypatch.setenv("MANABU_DATA", root)
    return root


@pytest.fixture
def assert_png():
    """Checks that a lesson wrote a real figure: a PNG file, not an empty canvas."""

    def check(path):
        with open(path, "rb") as handle:
            data = handle.read()
        assert data.startswith(PNG_SIGNATURE), path
        assert len(data) > 2000, path  # an empty canvas is smaller

    return check


@pytest.fixture
def run_lesson(tmp_path, capsys):
    """Runs `manabu lesson NAME --quick` as a user would and returns the dict it prints as
    JSON last; what it printed is left for `capsys.readouterr()`."""

    def run(name):
        assert cli.main(["lesson", name, "--quick", "--out", str(tmp_path)]) == 0
        printed = capsys.readouterr().out
        print(printed, end="")  # back into the capture, for tests that read the text
        return json.loads(printed[printed.index("{"):])

    return run
