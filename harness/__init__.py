# The harness reads as a pipeline with one direction of imports (STYLE.md convention 6):
#   profile -> runner -> driver -> results -> analysis
# with the commands (trial, bench, sweep, calibrate, console, cli) on top;
# tests/harness/test_harness_layers.py keeps it that way. docs/harness.md is the user's guide.
"""netmodels harness: the `netmodels` command line and the load harness behind it."""
