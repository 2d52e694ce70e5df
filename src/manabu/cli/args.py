"""What the `manabu` commands share: argument types that refuse bad numbers at once, and
the run folders `manabu train` writes."""

import argparse
import os
import sys
import time


def bounded(kind, low, high=None, low_open=False, what="a number"):
    """An argparse type: ``kind`` within [low, high) (or (low, high) when ``low_open``)."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value >= high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    return parse


POSITIVE_INT = bounded(int, 1, what="a whole number >= 1")
NON_NEGATIVE_INT = bounded(int, 0, what="a whole number >= 0")
RATE = bounded(float, 0.0, 1.0, what="a number in [0, 1)")
POSITIVE = bounded(float, 0.0, low_open=True, what="a number > 0")
NON_NEGATIVE = bounded(float, 0.0, what="a number >= 0")


def check_out_folder(out):
    """Make sure run folders can be created in ``out`` before any work starts."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out} is a file, not a folder; give a folder for run folders")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the --out folder {out}: {error.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in the --out folder {out} (permission denied); give "
                         "a folder you can write in")


def run_folder(out, dataset, model):
    """A new folder ``out/DATASET-MODEL-STAMP`` (with a suffix when the name is taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = os.path.join(out, f"{dataset}-{model}-{stamp}")
    suffix = 1
    while os.path.exists(folder):
        suffix += 1
        folder = os.path.join(out, f"{dataset}-{model}-{stamp}-{suffix}")
    os.makedirs(folder)
    return folder


def load_run(run):
    """The model of a run folder (its model.safetensors), or a ValueError saying what is off."""
    from manabu import io

    path = os.path.join(run, "model.safetensors")
    if not os.path.isfile(path):
        raise ValueError(f"{run} has no model.safetensors; give a folder written by "
                         "`manabu train`")
    return io.load(path)


def exit_status(history, lr, what="epoch"):
    """0, or 1 with a line on stderr when training diverged (what: the record's name)."""
    if history.diverged_at is None:
        return 0
    print(f"manabu train: training diverged ({what} {history.diverged_at}'s loss grew far "
          f"above the first step's); run again with a smaller --lr than {lr:g}",
          file=sys.stderr)
    return 1
