# `netmodels ping`: what the shared layer costs. Every impl against the bare uvloop + httptools
# server (`harness.yardstick`) on GET /ping, under one external load tool (wrk), in one run -
# and, with `--baseline DIR`, every target of an older checkout beside its current self, in the
# same rounds. A command on top of the pipeline: `command` runs the rounds and writes the run,
# `summary` turns them into medians, ratios and the table.
"""The `ping` command: impls vs the yardstick (and vs a baseline checkout) under wrk."""
