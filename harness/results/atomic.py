# Nothing in a run directory is ever modified in place: a file is written whole to a temporary
# name in the same directory, flushed to disk, then renamed over its final name. A reader -
# or an interrupted sweep - sees the old file or the new one, never half of either.
"""Atomic file replacement."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()
"""mkstemp creates files readable by the owner only; results are for everyone to read."""


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, atomically."""
    with _replacing(path) as out:
        out.write(data)


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8), atomically."""
    write_bytes(path, text.encode("utf-8"))


def append_text(path: Path, text: str, header: str) -> None:
    """Replace `path` with its old content plus `text`, atomically (`header` if it is new).

    Copying costs O(file size) per call; a run's time series is a few MB even for long sweeps,
    a small price for never leaving a torn line behind.
    """
    with _replacing(path) as out:
        if path.exists():
            with path.open("rb") as old:
                shutil.copyfileobj(old, out)
        else:
            out.write(header.encode("utf-8"))
        out.write(text.encode("utf-8"))


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `path` to write; on a normal exit it is flushed to disk and renamed
    over `path`, on an exception it is removed and `path` is left as it was."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
