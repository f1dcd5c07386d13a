# The test matrix, from the registry alone: an impl joins the suite by registering.
#
# Rules of this file: no impl name appears here. Every `ImplSpec`, each of its `variants`, and
# both parser backends make the targets; parser-independent tests take one target per variant.
"""`TARGETS`, `VARIANTS` and the `per_variant` parametrization."""

from __future__ import annotations

import os

import pytest

from tests.conformance._server import Target, targets, variants


def _selected(all_targets: list[Target]) -> list[Target]:
    """`NETMODELS_IMPLS=threads,eventloop` narrows the matrix to those impls."""
    wanted = {name for name in os.environ.get("NETMODELS_IMPLS", "").split(",") if name}
    return [t for t in all_targets if not wanted or t.impl in wanted]


TARGETS = _selected(targets())
"""Every impl variant under every parser backend."""

VARIANTS = _selected(variants())
"""Every impl variant, default parser."""

per_variant = pytest.mark.parametrize("target", VARIANTS, indirect=True, ids=lambda t: t.variant)
"""Run a parser-independent test once per impl variant, with the default parser (it shares the
session `server` of that target with the per-target tests)."""
