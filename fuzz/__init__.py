# Fuzzing the shared protocol layer: atheris targets over one home of invariant checks.
#
# Rules of this package: `invariants` holds every check and imports nothing but the protocol
# layer, so tests/protocol/test_fuzz_regressions.py replays the same checks under pytest without
# atheris installed; only the target modules (`http_httptools`, `http_h11`, `echo`) import atheris.
"""Fuzz targets for the HTTP parser backends and the echo codec, and their invariants."""
