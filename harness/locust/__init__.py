# Locust as a second driver: user-like scenarios and Locust's master/worker engine for load that
# outgrows one machine (docs/locust.md). A command layer: it uses profile, runner, driver and
# results, and nothing of the harness imports it but the CLI.
#
# Rules of this package: building the `netmodels` parser imports `options` only - nothing here
# imports locust or gevent at module level except the code that runs *inside* a Locust process
# (`locustfile`, `plugin`), because importing locust monkey-patches the interpreter with gevent.
# `netmodels locust` starts Locust as child processes and never imports it itself.
"""`netmodels locust`: Locust (headless, or master + workers) against a netmodels server."""
