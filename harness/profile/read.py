# Reading a profile: a TOML file (by path, or by name in harness/profiles/) becomes a checked
# `Profile`. The only file this stage of the pipeline reads.
#
# Rules of this file: a profile that names something unknown (a key, an impl, a probe kind) is an
# error with the file's name in it, not a silent skip; every cell is built (and so checked) when
# the profile is read.
"""`load(name_or_path, registered)`, `from_dict(data, registered)` and `resolve(name_or_path)`."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.profile.matrix import (
    MATRIX_KEYS,
    PROBE_KINDS,
    Capacity,
    ImplChoice,
    ProbeSpec,
    Profile,
)

PROFILES_DIR = Path(__file__).resolve().parents[1] / "profiles"
"""The bundled profiles (`quick`, `lecture`, `full`)."""


def resolve(name_or_path: str) -> Path:
    """The file of a profile: a path to a `.toml` file, or a name in `harness/profiles/`.

    Raises:
        FileNotFoundError: neither exists (the message lists the bundled profiles).
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path
    bundled = PROFILES_DIR / f"{name_or_path}.toml"
    if bundled.is_file():
        return bundled
    known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.toml")))
    raise FileNotFoundError(f"no profile {name_or_path!r} (bundled: {known})")


def load(name_or_path: str, registered: Sequence[str], targets: Sequence[str] = ()) -> Profile:
    """Read a profile by name or path (see `resolve`) and check it against the registered impls
    (and the other `targets` a matrix may name: the yardstick, the stall target, peers)."""
    path = resolve(name_or_path)
    with path.open("rb") as f:
        data = tomllib.load(f)
    try:
        return from_dict(data, registered, targets)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def from_dict(
    data: Mapping[str, Any], registered: Sequence[str], targets: Sequence[str] = ()
) -> Profile:
    """Build a `Profile` from parsed TOML.

    `impls = ["*"]` means every name in `registered`, with default options; a matrix's own
    `impls` may also name `targets` (servers that are not impls, e.g. `bare`, `stall`, `nginx`).

    Raises:
        ValueError: unknown keys, unknown impls, a cell that does not make sense.
    """
    known_top = {"name", "description", "duration", "warmup", "repetitions", "capacity", "only"}
    unknown = set(data) - known_top - {"impls", "matrix", "probe"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    impls = tuple(_impl_choices(data.get("impls", ["*"]), registered))
    matrices = tuple(data.get("matrix", []))
    if not matrices:
        raise ValueError("a profile needs at least one [[matrix]]")
    own: list[tuple[ImplChoice, ...] | None] = []
    for matrix in matrices:
        stray = set(matrix) - MATRIX_KEYS
        if stray:
            raise ValueError(f"unknown matrix keys {sorted(stray)} (known: {sorted(MATRIX_KEYS)})")
        names = matrix.get("impls")
        own.append(None if names is None else tuple(_impl_choices(names, registered, targets)))
    probes = tuple(_probe(entry) for entry in data.get("probe", []))
    profile = Profile(
        name=str(data.get("name", "unnamed")),
        description=str(data.get("description", "")),
        impls=impls,
        matrices=matrices,
        duration=float(data.get("duration", 10.0)),
        warmup=float(data.get("warmup", 1.0)),
        repetitions=int(data.get("repetitions", 1)),
        capacity=_capacity(data.get("capacity", {})),
        source=dict(data),
        probes=probes,
        matrix_impls=tuple(own),
        only=frozenset(data["only"]) if "only" in data else None,
    )
    if profile.repetitions < 1:
        raise ValueError("repetitions must be >= 1")
    profile.cells()  # validates every cell now, not halfway through a sweep
    return profile


def _capacity(entry: Mapping[str, Any]) -> Capacity:
    values = dict(entry)
    if "ignore_options" in values:
        values["ignore_options"] = tuple(str(o) for o in values["ignore_options"])
    return Capacity(**values)


def _probe(entry: Mapping[str, Any]) -> ProbeSpec:
    stray = set(entry) - {"kind", "experiment", "variants", "params", "waits"}
    if stray:
        raise ValueError(f"unknown probe keys {sorted(stray)}")
    kind = str(entry.get("kind", ""))
    if kind not in PROBE_KINDS:
        raise ValueError(f"unknown probe kind {kind!r} (known: {', '.join(PROBE_KINDS)})")
    probe = ProbeSpec(kind=kind, experiment=str(entry.get("experiment", "")))
    return replace(
        probe,
        variants=tuple(str(v) for v in entry.get("variants", probe.variants)),
        params=tuple(int(p) for p in entry.get("params", probe.params)),
        waits=int(entry.get("waits", probe.waits)),
    )


def _impl_choices(
    entries: Sequence[Any], registered: Sequence[str], targets: Sequence[str] = ()
) -> Iterator[ImplChoice]:
    for entry in entries:
        if entry == "*":
            yield from (ImplChoice(name) for name in registered)
            continue
        if isinstance(entry, str):
            name, options = entry, {}
        else:
            name, options = entry["name"], entry.get("options", {})
        if name not in registered and name not in targets:
            known = ", ".join([*registered, *targets])
            raise ValueError(f"unknown impl {name!r} (known: {known})")
        yield ImplChoice(name, tuple(sorted((str(k), str(v)) for k, v in options.items())))
