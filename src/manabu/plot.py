"""Figures for lessons and runs, written as PNG files (matplotlib's Agg backend: no display).

matplotlib is imported when a figure is first drawn, so ``import manabu`` stays light.
Every function saves the figure to ``path``, closes it, and returns ``path``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import ModuleType

    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from manabu.nn.module import Module
    from manabu.train.history import History

    ArrayFunction = Callable[[np.ndarray], np.ndarray]


def pyplot() -> ModuleType:
    """matplotlib.pyplot with the Agg backend, for figures this module has no function for."""
    import matplotlib

    matplotlib.use("Agg")  # files only: works on servers and in CI without a display
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str) -> str:
    """Save ``fig`` as a PNG at ``path`` (folders created), close it, return ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    return path


def training_curves(history: History | Mapping[str, Sequence[float]], path: str,
                    title: str | None = None) -> str:
    """Loss (and accuracy, when measured) per epoch, training and validation side by side."""
    plt = pyplot()
    metrics = [m for m in ("loss", "accuracy") if history[m]]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False)
    epochs = history["epoch"]
    for ax, metric in zip(axes[0], metrics):
        ax.plot(epochs, history[metric], marker="o", label="train")
        if history["val_" + metric]:
            ax.plot(epochs, history["val_" + metric], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def curves(series: Mapping[str, Sequence[float]], path: str, xlabel: str = "epoch",
           ylabel: str = "loss", title: str | None = None, logy: bool = False,
           x: Sequence[float] | None = None, reference: tuple[float, str] | None = None) -> str:
    """Several named curves on one axis: ``series`` maps a label to a list of values,
    drawn against ``x`` (default 1, 2, ...); ``reference`` (value, label) adds a dashed
    horizontal line, e.g. a published result."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        xs = np.arange(1, len(values) + 1) if x is None else x
        ax.plot(xs, values, label=label, marker="o" if x is not None else None)
    if reference is not None:
        ax.axhline(reference[0], color="gray", linestyle="--", label=reference[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def activation_functions(functions: Mapping[str, tuple[ArrayFunction, ArrayFunction]],
                         path: str, x: np.ndarray | None = None) -> str:
    """Each activation and its derivative on the notes' grid, -5 to 5 in steps of 0.1.

    ``functions`` maps a name to a pair (f, df) of NumPy functions.
    """
    plt = pyplot()
    x = np.arange(-5.0, 5.0, 0.1) if x is None else x
    columns = 4
    rows = -(-len(functions) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False)
    for ax, (name, (f, df)) in zip(axes.flat, functions.items()):
        ax.plot(x, f(x), label="f(x)")
        ax.plot(x, df(x), linestyle="--", label="f'(x)")
        ax.set_title(name)
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.axvline(0, color="gray", linewidth=0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(functions):]:
        ax.axis("off")
    return save_figure(fig, path)


def histograms(arrays: Mapping[str, ArrayLike], path: str, bins: int = 30,
               title: str | None = None,
               value_range: tuple[float, float] | None = None) -> str:
    """One histogram per named array (weights or activations per layer)."""
    plt = pyplot()
    n = len(arrays)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3), squeeze=False)
    for ax, (name, values) in zip(axes[0], arrays.items()):
        ax.hist(np.asarray(values).ravel(), bins=bins, range=value_range)
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def weight_histograms(model: Module, path: str, bins: int = 30) -> str:
    """Histograms of every weight matrix/kernel of a model, one panel per parameter."""
    arrays = {name: p.numpy() for name, p in model.named_parameters() if p.ndim > 1}
    return histograms(arrays, path, bins=bins, title="weights per layer")


def confusion_matrix(counts: ArrayLike, path: str,
                     class_names: Sequence[str] | None = None) -> str:
    """A confusion matrix as a heat map with the counts written in."""
    plt = pyplot()
    counts = np.asarray(counts)
    k = counts.shape[0]
    fig, ax = plt.subplots(figsize=(0.5 * k + 2.5, 0.5 * k + 2))
    ax.imshow(counts, cmap="Blues")
    names = class_names or [str(i) for i in range(k)]
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = counts.max() / 2 if counts.size else 0
    for i in range(k):
        for j in range(k):
            color = "white" if counts[i, j] > threshold else "black"
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=color, fontsize=7)
    return save_figure(fig, path)


def image_grid(images: ArrayLike, path: str, labels: Sequence[object] | None = None,
               columns: int = 8, cmap: str = "gray") -> str:
    """Images (N, H, W), (N, 1, H, W) or (N, 3, H, W) in a grid, with optional titles."""
    plt = pyplot()
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[1] in (1, 3):
        images = images.transpose(0, 2, 3, 1)  # (N, H, W, C) for imshow
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.4 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    return save_figure(fig, path)


def heatmap(matrix: ArrayLike, path: str, xlabels: Sequence[str] | None = None,
            ylabels: Sequence[str] | None = None, title: str | None = None,
            xlabel: str | None = None, ylabel: str | None = None) -> str:
    """A matrix as an image (attention weights, filters) with optional tick labels."""
    plt = pyplot()
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * matrix.shape[1] + 2),
                                    max(3, 0.35 * matrix.shape[0] + 1.5)))
    image = ax.imshow(matrix, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax)
    if xlabels is not None:
        ax.set_xticks(range(len(xlabels)), xlabels, rotation=90, fontsize=7)
    if ylabels is not None:
        ax.set_yticks(range(len(ylabels)), ylabels, fontsize=7)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return save_figure(fig, path)
