"""The data cache: where data files live, how they are checked and fetched.

Files live under ``root`` (an argument), else the ``MANABU_DATA`` environment variable,
else ``~/.cache/manabu``, in one folder per data set (``mnist/``, ``fashion-mnist/``).

Where a file is read from, in order:

1. the data folder, when it has the file (it always wins, so a corrupt copy there is
   reported as a ChecksumError, never silently replaced);
2. the package's embedded copy, ``EMBEDDED/<set>/<name>`` (the folder ``embedded/`` beside
   this module: the MNIST test files and tiny-shakespeare, see its README.md), so those
   work offline with no data folder at all, or one that does not exist;
3. a download into the data folder (the MNIST training files, Fashion-MNIST).

Every known file is checked against its SHA-256, embedded ones included. A download goes to
a temporary file in the same folder, is checked, and only then renamed into place (an
atomic ``os.replace``), so an interrupted download never leaves a half-written file under
the real name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


# Data files shipped inside the package, one folder per data set (as in the data folder).
EMBEDDED = Path(__file__).resolve().parent / "embedded"


class DataNotFoundError(FileNotFoundError):
    """A data file is missing and could not be downloaded; the message says where to put it.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     try:
        ...         data.load_fashion_mnist("test", root=folder, download=False)
        ...     except data.DataNotFoundError as error:
        ...         print(type(error).__name__, "names the files:", "t10k-images" in str(error))
        DataNotFoundError names the files: True
    """


class ChecksumError(ValueError):
    """A data file's SHA-256 differs from the known one (corrupt or truncated).

    Example:
        >>> import os, tempfile
        >>> from manabu.data.datasets.download import verify_file
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "file.bin")
        ...     with open(path, "wb") as handle:
        ...         _ = handle.write(b"data")
        ...     try:
        ...         verify_file(path, "0" * 64)
        ...     except data.ChecksumError:
        ...         print("corrupt")
        corrupt
    """


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``root``, else ``$MANABU_DATA``, else ``~/.cache/manabu``.

    Example:
        >>> data.datasets.data_root("~/my-data") == Path.home() / "my-data"
        True
    """
    if root is None:
        root = os.environ.get("MANABU_DATA") or Path.home() / ".cache" / "manabu"
    return Path(root).expanduser()


def sha256sum(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """The SHA-256 of a file, as a hex string (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike[str], sha256: str | None) -> None:
    """Raise ChecksumError unless ``path`` has the SHA-256 ``sha256`` (None skips the check)."""
    if sha256 is None:
        return
    actual = sha256sum(path)
    if actual != sha256:
        raise ChecksumError(
            f"{path}: SHA-256 mismatch (the file is corrupt or truncated): expected {sha256}, "
            f"got {actual}; delete the file and load again to download a fresh copy"
        )


def fetch_url(url: str, path: str | os.PathLike[str], timeout: float = 60) -> None:
    """Download ``url`` to ``path`` with urllib (no checks: see ``fetch_file``)."""
    import urllib.request  # loaded on first use: keeps `import manabu` light

    request = urllib.request.Request(url, headers={"User-Agent": "manabu"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        with open(path, "wb") as handle:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                handle.write(chunk)


def fetch_file(name: str, folder: str | os.PathLike[str], mirrors: Sequence[str],
               sha256: str | None) -> Path:
    """Download ``name`` into ``folder`` from the first mirror that gives a good copy.

    Returns the final path. Raises OSError listing each mirror's failure when none works.

    Args:
        name: the file name, appended to each mirror's URL
        folder: where the file goes (created when missing)
        mirrors: URL prefixes ending in '/', tried in order
        sha256: the expected SHA-256, or None to skip the check
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    failures = []
    for mirror in mirrors:
        url = mirror + name
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        os.close(handle)
        try:
            fetch_url(url, temp_name)
            verify_file(temp_name, sha256)
            os.replace(temp_name, target)
            return target
        except Exception as error:  # URLError, timeouts, IncompleteRead, ChecksumError, ...
            failures.append(f"{url}: {error}")
        finally:
            if os.path.exists(temp_name):
                os.remove(temp_name)
    raise OSError("; ".join(failures) or f"no mirror to download {name} from")


def local_path(folder: str | os.PathLike[str], name: str) -> Path:
    """Where ``name`` is read from without downloading: ``folder / name`` when it is there,
    else the embedded copy when the package has one, else ``folder / name`` (still missing)."""
    path = Path(folder) / name
    embedded = EMBEDDED / path.parent.name / name
    if not path.is_file() and embedded.is_file():
        return embedded
    return path


def ensure_files(title: str, folder: str | os.PathLike[str],
                 checksums: Mapping[str, str | None], mirrors: Sequence[str],
                 download: bool = True) -> dict[str, Path]:
    """Make sure every file named in ``checksums`` is available, checked; return their paths.

    ``checksums`` maps file name to SHA-256 (None where no checksum is known). A file is
    taken from ``folder``, else from the package's embedded copy (see ``local_path``); the
    rest are downloaded into ``folder`` when ``download`` is true; otherwise, or when the
    download fails, a DataNotFoundError names the files, the folder to put them in and
    their URLs.

    Args:
        title: the data set's name, for the messages
        folder: the data folder of the set, e.g. ``data_root() / "mnist"``
        checksums: {file name: SHA-256 or None}
        mirrors: URL prefixes to download from
        download: allow downloading. Default: True

    Returns:
        {file name: the path it is read from}
    """
    folder = Path(folder)
    paths = {name: local_path(folder, name) for name in checksums}
    missing = [name for name, path in paths.items() if not path.is_file()]
    reason = "download=False"
    for position, name in enumerate(missing):
        if not download:
            break
        try:
            fetch_file(name, folder, mirrors, checksums[name])
        except OSError as error:
            reason = f"the download failed ({error})"
            missing = missing[position:]
            break
    else:
        missing = []
    if missing:
        raise DataNotFoundError(_missing_message(title, folder, missing, mirrors, reason))
    for name, path in paths.items():
        verify_file(path, checksums[name])
    return paths


def _missing_message(title: str, folder: Path, missing: list[str], mirrors: Sequence[str],
                     reason: str) -> str:
    """The error text for missing files: which, where to put them, where to get them."""
    urls = "\n".join(f"  {mirrors[0]}{name}" for name in missing) if mirrors else ""
    return (
        f"{title}: missing {', '.join(missing)} in {folder} ({reason}).\n"
        f"Download the file(s) by hand and put them in {folder} "
        f"(or set MANABU_DATA to a folder that holds {folder.name}/):\n{urls}"
    )
