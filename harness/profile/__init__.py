# What to measure, as data. The first stage of the harness pipeline
# (profile -> runner -> driver -> results -> analysis): a TOML profile becomes frozen dataclasses
# and expands into `Cell`s, one per trial shape. Nothing here starts a process or opens a socket,
# and nothing here imports a later stage.
#
# Read in this order: cell.py (`Cell`, one trial shape, and its `Workload`: what every later stage
# takes), matrix.py (`Profile`: servers x load matrices and their expansion into cells), read.py
# (a TOML file becomes a checked `Profile`).
#
# Rules of this file: it only re-exports, so `from harness.profile import Cell` and
# `profile.load(...)` work wherever they are written.
"""Profiles (TOML -> dataclasses), workload specs and the cells of a sweep."""

from __future__ import annotations

from harness.profile.cell import (
    HTTP_KINDS,
    STREAM,
    Arrivals,
    Cell,
    Mode,
    Protocol,
    WorkItem,
    Workload,
)
from harness.profile.matrix import Capacity, ImplChoice, ProbeSpec, Profile
from harness.profile.read import PROFILES_DIR, from_dict, load, resolve

__all__ = [
    "HTTP_KINDS",
    "PROFILES_DIR",
    "STREAM",
    "Arrivals",
    "Capacity",
    "Cell",
    "ImplChoice",
    "Mode",
    "ProbeSpec",
    "Profile",
    "Protocol",
    "WorkItem",
    "Workload",
    "from_dict",
    "load",
    "resolve",
]
