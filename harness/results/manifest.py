# Metadata of a run, collected automatically (pyperf's habit): what ran, on what, when, from
# which commit. Written when the run starts (complete: false) and rewritten - atomically - as
# it ends, so an interrupted sweep leaves a manifest that says so.
#
# Rules of this file: collecting never fails a run (a fact that cannot be read is left empty);
# every write is atomic.
"""Collecting run metadata; reading and writing manifest.json."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.results import atomic
from harness.results.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]

PACKAGES = (
    "netmodels",
    "uvloop",
    "httptools",
    "h11",
    "hdrhistogram",
    "numpy",
    "pandas",
    "psutil",
    "rich",
    "prometheus-client",
)


def utc_now() -> str:
    """Now, UTC, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_state() -> tuple[str | None, bool | None]:
    """(full commit sha, dirty flag) of the source tree, or (None, None) outside git."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(REPO), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    sha = git("rev-parse", "HEAD")
    if sha is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return sha, bool(status)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform.processor() is often empty on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> dict[str, str | None]:
    """Installed versions of the packages a run's numbers depend on."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def collect(command: list[str], pinning: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """A new run's manifest: schema, source, machine, software, pinning, profile; incomplete."""
    sha, dirty = git_state()
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": None,  # filled in by the run directory
        "command": command,
        "git_sha": sha,
        "git_dirty": dirty,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "packages": versions(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "pinning": pinning,
        "profile": profile,
        "started_at": utc_now(),
        "ended_at": None,
        "complete": False,
        "sessions": [],
    }


def write(path: Path, manifest: dict[str, Any]) -> None:
    """Write manifest.json atomically."""
    atomic.write_text(path, json.dumps(manifest, indent=2, sort_keys=False) + "\n")


def read(path: Path) -> dict[str, Any]:
    """Read manifest.json.

    Raises:
        FileNotFoundError: no manifest there: `DIR: not a run directory (no manifest.json)`.
        ValueError: a schema version newer than this code knows, or not a manifest.
    """
    try:
        text = path.read_text()
    except (FileNotFoundError, NotADirectoryError):
        where = path.parent
        what = "no such directory" if not where.is_dir() else f"no {path.name} in it"
        raise FileNotFoundError(f"{where}: not a run directory ({what})") from None
    try:
        manifest: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: unreadable ({exc.msg}, line {exc.lineno})") from None
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema version {version!r}; this netmodels reads up to {SCHEMA_VERSION}"
        )
    return manifest
