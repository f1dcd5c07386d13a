# The options of `netmodels locust`, apart from the command so that building the `netmodels`
# parser imports nothing heavy (`netmodels serve` must not import locust, gevent or numpy).
"""argparse options of `netmodels locust`."""

from __future__ import annotations

import argparse

from harness.options import add_server_and_workload_options, add_setup_options

DEFAULT_MASTER_PORT = 5557
"""Locust's own default master port: the one to open on the master's host (docs/locust.md)."""


def add_locust_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels locust`."""
    add_server_and_workload_options(parser)
    parser.add_argument("--users", "-u", type=int, default=64, help="Locust users (connections)")
    parser.add_argument(
        "--spawn-rate",
        "-r",
        type=float,
        default=None,
        help="users started per second (default: all at once)",
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds measured, after spawning"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="a Locust master and K worker processes (default: one standalone Locust process)",
    )
    parser.add_argument(
        "--locustfile",
        default=None,
        metavar="PATH",
        help="your own locustfile (user-like scenarios) instead of harness/locust/locustfile.py",
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="Locust's web UI on 127.0.0.1 with live charts (the classroom view)",
    )
    parser.add_argument("--web-port", type=int, default=8089, help="port of the web UI")
    roles = parser.add_mutually_exclusive_group()
    roles.add_argument(
        "--master-only",
        action="store_true",
        help="start the master only, and wait for --workers K workers from other hosts",
    )
    roles.add_argument(
        "--worker",
        metavar="MASTER_HOST",
        default=None,
        help="be one Locust worker of the master on MASTER_HOST (no server, no results)",
    )
    parser.add_argument(
        "--master-port",
        type=int,
        default=None,
        help=f"the master's port (default: {DEFAULT_MASTER_PORT} with --master-only and "
        "--worker; a free port for local workers)",
    )
    parser.add_argument(
        "--master-bind",
        default=None,
        metavar="HOST",
        help="address the master listens on (default: 0.0.0.0 with --master-only, else 127.0.0.1)",
    )
    parser.add_argument(
        "--wait-workers",
        type=float,
        default=None,
        metavar="S",
        help="seconds to wait for workers to connect (default: 30; 300 with --master-only), "
        "or with --worker for the master to accept a connection (default: 10)",
    )
    add_setup_options(parser, target=True, driver="the Locust processes", pool=False)
