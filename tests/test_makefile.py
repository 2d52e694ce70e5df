"""The README's two commands: `make train` installs only what the main job needs (no test
extra, no PyTorch); `make test` installs the test extra."""

import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/ -> the repo


def _planned_commands(target):
    """What `make TARGET` would run from scratch (-B: as if nothing were installed)."""
    if shutil.which("make") is None:
        pytest.fail("make is needed: it is how the README runs everything")
    return subprocess.run(["make", "-n", "-B", target], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


def test_make_train_installs_no_test_extra():
    commands = _planned_commands("train")
    assert "pip install --quiet -e ." in commands
    assert "[test]" not in commands and "torch" not in commands


def test_make_test_installs_the_test_extra():
    assert "pip install --quiet -e '.[test]'" in _planned_commands("test")
