# `netmodels serve`: run one registered impl with one ServerConfig.
#
# The contract with whoever starts a server (the conformance suite, the load runner, a student at
# a terminal): exactly one JSON line on stdout once connections are accepted, logs on stderr,
# exit 0 after SIGINT/SIGTERM.
"""The `serve` command: options from `ServerConfig`, the ready line, the admin endpoint."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import types
import typing
from typing import Any

from impls import registry
from impls.admin import start_admin
from impls.config import ServerConfig
from impls.registry import Listening

log = logging.getLogger("netmodels")


def _on_off(value: str) -> bool:
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, got {value!r}")


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """One `--kebab-case` option per `ServerConfig` field, typed and documented from the field."""
    hints = typing.get_type_hints(ServerConfig)
    for f in dataclasses.fields(ServerConfig):
        hint = hints[f.name]
        option = "--" + f.name.replace("_", "-")
        kwargs: dict[str, Any] = {"dest": f.name, "default": None}
        help_text = f.metadata.get("help", "")
        if f.name == "impl":
            kwargs["choices"] = sorted(registry.IMPLS)
        elif typing.get_origin(hint) is typing.Literal:
            kwargs["choices"] = list(typing.get_args(hint))
        elif hint is bool:
            kwargs["type"] = _on_off
            kwargs["metavar"] = "on|off"
        elif hint is float:
            kwargs["type"] = float
        elif hint is int or (isinstance(hint, types.UnionType) and int in typing.get_args(hint)):
            kwargs["type"] = int
        default = f.default
        if isinstance(default, bool):
            default = "on" if default else "off"
        kwargs["help"] = f"{help_text} (default: {default})"
        parser.add_argument(option, **kwargs)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The `ServerConfig` of the parsed options (unset options keep their defaults).

    Raises:
        ValueError: the combination is invalid (e.g. low watermark above high).
    """
    given = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(ServerConfig)
        if getattr(args, f.name, None) is not None
    }
    return ServerConfig(**given)


def run_serve(config: ServerConfig) -> int:
    """Serve until a signal; print the ready line when listening. Returns the exit status."""
    _raise_open_file_limit()
    spec = registry.get(config.impl)
    serve = spec.load()

    def ready(listening: Listening) -> None:
        admin = None
        if config.admin_port is not None:
            host, port = start_admin(
                config.admin_host, config.admin_port, config.impl, listening.statistics
            )
            admin = f"{_hostport(host, port)}"
        line = {
            "impl": config.impl,
            "protocol": config.protocol,
            "listening": _hostport(listening.host, listening.port),
            "admin": admin,
            "pid": os.getpid(),
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        log.info("%s serving %s on %s", config.impl, config.protocol, line["listening"])

    serve(config, ready)
    log.info("%s stopped", config.impl)
    return 0


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _raise_open_file_limit() -> None:
    """Raise the soft open-file limit to the hard one: C10K needs ~10,000 descriptors."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
