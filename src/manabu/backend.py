"""The array module behind every Tensor: NumPy on the CPU, CuPy on a GPU.

Ops never call ``numpy`` directly; they ask for ``xp = get_array_module(x)`` so the
same code runs on either device. This file also holds the default floating dtype,
one of the two pieces of global state in manabu (the other is the grad mode).

Type hints across manabu write ``np.ndarray`` for an array: on a GPU it is a CuPy ndarray,
which has the same interface (CuPy is never imported for the hints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from types import ModuleType

    from numpy.typing import ArrayLike, DTypeLike

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype given to new floating tensors and parameters (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the floating dtype of new tensors: ``np.float32`` (default) or ``np.float64``."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def _cupy() -> ModuleType | None:
    """CuPy if it is installed, else None (imported only when a GPU is asked for)."""
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def get_array_module(*arrays: object) -> ModuleType:
    """numpy or cupy, whichever the arrays live in (numpy for plain Python values)."""
    for a in arrays:
        kind = type(a)
        if kind is not np.ndarray and kind.__module__.startswith("cupy"):
            return _cupy()
    return np


def is_array(x: object) -> bool:
    """True for a numpy or cupy ndarray."""
    return isinstance(x, np.ndarray) or type(x).__module__.startswith("cupy")


def device_of(array: object) -> str:
    """'cpu' for a NumPy array, 'cuda' for a CuPy one."""
    return "cuda" if get_array_module(array) is not np else "cpu"


def to_device(array: np.ndarray, device: str) -> np.ndarray:
    """Move an array to 'cpu' or 'cuda' (a copy only when it has to move)."""
    device = str(device)
    if device == "cpu":
        if get_array_module(array) is np:
            return array
        return array.get()
    if device.startswith("cuda"):
        cupy = _cupy()
        if cupy is None:
            raise RuntimeError(
                "to('cuda'): CuPy is not installed; install manabu with the gpu extra "
                "(pip install 'manabu[gpu]') on a machine with an NVIDIA GPU"
            )
        return cupy.asarray(array)
    raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")


_ERF_SPLIT = 1 << 18  # elements from which erf runs in two halves, on two threads
_erf_pool = None


def erf(x: ArrayLike) -> np.ndarray:
    """The error function, elementwise (NumPy has none: SciPy's, or CuPy's on a GPU).

    SciPy's erf is a scalar loop (about 10 ns an element, ten times NumPy's exp), and
    GELU calls it on every MLP activation of a Transformer; it releases the GIL, so a large
    array is done as two halves on two threads (same values, about half the time on two
    cores)."""
    xp = get_array_module(x)
    if xp is np:
        from scipy.special import erf as scipy_erf  # loaded on first use: keeps import light
        x = np.asarray(x)
        if x.size < _ERF_SPLIT or x.dtype.kind != "f":
            return scipy_erf(x)
        global _erf_pool
        if _erf_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _erf_pool = ThreadPoolExecutor(2, thread_name_prefix="manabu-erf")
        flat, out = x.reshape(-1), np.empty(x.shape, x.dtype)
        half = flat.size // 2
        halves = (slice(0, half), slice(half, None))
        list(_erf_pool.map(lambda part: scipy_erf(flat[part], out=out.reshape(-1)[part]),
                           halves))
        return out
    from cupyx.scipy.special import erf as cupy_erf
    return cupy_erf(x)


def as_array(value: ArrayLike, dtype: DTypeLike | None = None, xp: ModuleType = np) -> np.ndarray:
    """An ndarray from a value; Python floats get the default dtype unless dtype is given.

    Arrays and NumPy scalars (``np.float64(1.5)``, what ``array.sum()`` returns) keep their
    own dtype, as in PyTorch's ``torch.tensor``."""
    array = xp.asarray(value, dtype=dtype)
    if dtype is None and array.dtype.kind == "f" and array.dtype != _default_dtype:
        if not (is_array(value) or isinstance(value, np.generic)):
            array = array.astype(_default_dtype)  # Python floats and lists
    return array
