"""The IDX file format of MNIST, read with NumPy.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order, big-endian. MNIST images are type 0x08 (uint8)
with 3 dimensions (magic 2051 = 0x00000803), labels uint8 with 1 dimension (magic 2049).
Files ending in ``.gz`` are decompressed with gzip first.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import os

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# IDX type byte -> dtype of the stored values (big-endian where it matters).
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The whole (decompressed) content of ``path``; a clear error when the gzip is broken."""
    path = Path(path)
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except (EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{path}: corrupt or truncated gzip file ({error})") from error


def read_idx(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip or raw) into a NumPy array of its stored shape.

    Returns a native-endian, writable array (uint8 for MNIST). Raises ValueError naming the
    file when the magic number is wrong or the data is shorter or longer than the header says.

    Args:
        path: the file, raw or ending in ``.gz``
        expected_magic: ``IMAGES_MAGIC`` (2051), ``LABELS_MAGIC`` (2049), or None to
            accept any IDX file

    Example:
        >>> from manabu.data.datasets.download import EMBEDDED
        >>> labels = data.datasets.read_idx(EMBEDDED / "mnist" / "t10k-labels-idx1-ubyte.gz")
        >>> labels.shape, labels.dtype, labels[:5].tolist()
        ((10000,), dtype('uint8'), [7, 2, 1, 0, 4])
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"{path}: wrong IDX magic number {magic} (expected {expected_magic}); "
            "is this the right file?"
        )
    type_code = data[2]
    ndim = data[3]
    if data[0] != 0 or data[1] != 0 or type_code not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (magic number {magic:#010x})")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes)")
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[type_code]
    expected_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found_bytes = len(data) - header_size
    if found_bytes != expected_bytes:
        raise ValueError(
            f"{path}: truncated or corrupt IDX data: the header says shape {shape} "
            f"({expected_bytes} bytes) but the file holds {found_bytes} bytes"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a native-endian, writable copy
