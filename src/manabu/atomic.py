"""Files written so that a crash never leaves a broken or half-new one under the real name.

Each write goes to a temporary file beside the target (``.NAME.tmp-PID-RANDOM``), is
flushed to disk with ``fsync``, and is then renamed onto the target in one step
(``os.replace``, atomic on POSIX and Windows); the folder is synced too, so the rename
itself survives a power cut. A writer killed mid-write leaves only its temporary file,
which the next write of the same target removes once that writer's process is gone.
Files are created with the user's umask (as ``open`` does), not tempfile's 0600.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from os import PathLike


def _temporary_name(path: str | PathLike[str]) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def remove_stale_temporaries(path: str | PathLike[str]) -> list[str]:
    """Delete temporaries of ``path`` left by writers that no longer run; returns them.

    Also removes ``.tmp-*NAME`` files, the temporaries of manabu 0.1's writer.
    """
    folder, name = os.path.split(os.path.abspath(path))
    ours = re.compile(rf"^\.{re.escape(name)}\.tmp-(\d+)-[0-9a-f]+$")
    legacy = re.compile(rf"^\.tmp-.*{re.escape(name)}$")
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        match = ours.match(entry)
        stale = (match and not _process_alive(int(match.group(1)))) or legacy.match(entry)
        if stale:
            try:
                os.remove(os.path.join(folder, entry))
                removed.append(entry)
            except OSError:
                pass  # another writer removed it first
    return removed


def _fsync_folder(folder: str) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its rename is durable enough there
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def write_bytes(path: str | PathLike[str], data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` (bytes-like) to ``path`` atomically and durably."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path}: it is a folder")
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(path)
    temporary = _temporary_name(path)
    # 0o666 & ~umask, as a plain open() would create it
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    _fsync_folder(folder)


def write_text(path: str | PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically and durably."""
    write_bytes(path, text.encode("utf-8"))
