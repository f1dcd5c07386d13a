# `netmodels serve`: run one registered impl with one ServerConfig.
#
# The contract with whoever starts a server (the conformance suite, the load runner, a student at
# a terminal): exactly one JSON line on stdout once connections are accepted, logs on stderr,
# exit 0 after SIGINT/SIGTERM. Settings and ports that cannot work are reported in the options'
# own names (`--write-low-water`, `--port 8080`), never as a field name or a traceback.
"""The `serve` command: options from `ServerConfig`, the ready line, the admin endpoint."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import os
import re
import socket
import sys
import types
import typing
from collections.abc import Sequence
from typing import Any, NoReturn

from harness.admin import start_admin
from impls import registry
from impls.config import ServerConfig
from impls.contract import Listening
from impls.stats import ServerStatistics

log = logging.getLogger(__name__)


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


def option(field_name: str) -> str:
    """The option of a `ServerConfig` field: `write_low_water` -> `--write-low-water`."""
    return "--" + field_name.replace("_", "-")


_FIELDS = tuple(f.name for f in dataclasses.fields(ServerConfig))
_LEADING_FIELD = re.compile(rf"^({'|'.join(sorted(_FIELDS, key=len, reverse=True))})\b")


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The `ServerConfig` of the parsed options (unset options keep their defaults).

    Raises:
        ValueError: the combination is invalid (e.g. low watermark above high), in the options'
            names: `--write-low-water must not exceed --write-high-water`.
    """
    given = {name: getattr(args, name) for name in _FIELDS if getattr(args, name, None) is not None}
    try:
        return ServerConfig(**given)
    except ValueError as exc:
        raise ValueError(_in_option_names(str(exc))) from None


def _in_option_names(message: str) -> str:
    """`ServerConfig`'s problems ("a must be >= 1; b must not exceed c") with each field named
    as its option."""
    problems = []
    for problem in message.split("; "):
        named = _LEADING_FIELD.sub(lambda m: option(m.group(1)), problem)
        problems.append(re.sub(r"exceed (\w+)$", lambda m: f"exceed {option(m.group(1))}", named))
    return "; ".join(problems)


class _RefusedError(Exception):
    """An option `check_options` parsed and refused."""


class _CheckingParser(argparse.ArgumentParser):
    """The serve options' parser, raising instead of exiting (for `check_options`)."""

    def error(self, message: str) -> NoReturn:
        raise _RefusedError(message)


def check_options(impl: str, protocol: str, options: Sequence[tuple[str, str]]) -> None:
    """Check `netmodels serve` options of a registered impl before anything starts - the
    `--server-opt NAME=VALUE` of bench, sweep profiles and locust.

    Raises:
        ValueError: one line naming the option as given: `--server-opt selector=kqueue:
            invalid choice 'kqueue' (choose from epoll, poll, select)`.
    """
    parser = _CheckingParser(add_help=False)
    add_config_options(parser)
    known = {option(name) for name in _FIELDS}
    argv = ["--impl", impl, "--protocol", protocol]
    for name, value in options:
        flag = option(name)
        given = f"--server-opt {name}={value}"
        if flag not in known or name in ("impl", "protocol"):
            raise ValueError(f"{given}: no such server option (see `netmodels serve --help`)")
        try:
            parser.parse_args([flag, value])
        except _RefusedError as exc:
            raise ValueError(f"{given}: {_plain(str(exc))}") from None
        argv += [flag, value]
    try:
        config_from_args(parser.parse_args(argv))
    except _RefusedError as exc:  # the impl or protocol
        raise ValueError(_plain(str(exc))) from None
    except ValueError as exc:
        given = " ".join(f"--server-opt {name}={value}" for name, value in options)
        raise ValueError(f"{given}: {exc}") from None


def _plain(message: str) -> str:
    """argparse's `argument --selector: invalid choice: 'kqueue' (choose from 'epoll', ...)`
    without the `argument --x:` prefix (the caller names the option)."""
    return re.sub(r"^argument [^:]+: ", "", message)


def check_server(
    impl: str,
    protocol: str,
    options: Sequence[tuple[str, str]] = (),
    *,
    given: str = "--impl",
    installed: bool = True,
) -> None:
    """Check that `impl` - a registered impl or a target (bare, stall, nginx, ...) - can be
    started with `protocol` and `options`, before anything starts; with `installed`, also that
    a target's programs are installed here.

    Raises:
        ValueError: one line, starting with `given` (the option or profile entry that named it).
    """
    from harness import targets

    if targets.is_target(impl):
        served = targets.protocols(impl)
        if protocol not in served:
            raise ValueError(f"{given} {impl}: serves {', '.join(served)} only, not {protocol}")
        missing = targets.missing(impl) if installed else None
        if missing:
            raise ValueError(f"{given} {impl}: {missing}")
        return
    if impl not in registry.IMPLS:
        known = ", ".join([*registry.IMPLS, *targets.TABLE])
        raise ValueError(f"{given} {impl}: no such impl or target (known: {known})")
    check_options(impl, protocol, options)


class ListenError(Exception):
    """A port the server cannot listen on; the message names the option and says why."""


_WHY = {
    errno.EADDRINUSE: "address already in use (another process listens there; choose another "
    "port, or 0 for a free one)",
    errno.EACCES: "permission denied (ports below 1024 need root)",
    errno.EADDRNOTAVAIL: "no such address on this machine",
}


def listen_error(exc: OSError, host_option: str, host: str, port_option: str, port: int) -> str:
    """One line for a failed bind: which option, which address, why."""
    if isinstance(exc, socket.gaierror):
        return f"{host_option} {host}: unknown host ({exc.strerror})"
    why = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host_option} {host}: {why}"
    return f"{port_option} {port}: cannot listen on {_hostport(host, port)}: {why}"


_BIND_ERRNOS = frozenset({*_WHY, errno.EINVAL, errno.EAFNOSUPPORT})


def run_serve(config: ServerConfig) -> int:
    """Serve until a signal; print the ready line when listening. Returns the exit status.

    Raises:
        ListenError: the service's or the admin endpoint's address cannot be listened on.
    """
    _raise_open_file_limit()
    spec = registry.get(config.impl)
    serve = spec.load()
    # The admin endpoint binds first, so that a port it cannot have is reported before the
    # service starts; it answers from the service's statistics once the service is ready.
    statistics: list[Listening] = []
    admin: str | None = None
    if config.admin_port is not None:
        try:
            host, port = start_admin(
                config.admin_host,
                config.admin_port,
                config.impl,
                lambda: statistics[0].statistics() if statistics else ServerStatistics(0, 0, 0),
            )
        except OSError as exc:
            raise ListenError(
                listen_error(
                    exc, "--admin-host", config.admin_host, "--admin-port", config.admin_port
                )
            ) from exc
        admin = _hostport(host, port)

    def ready(listening: Listening) -> None:
        statistics.append(listening)
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

    try:
        serve(config, ready)
    except OSError as exc:
        if statistics or not (isinstance(exc, socket.gaierror) or exc.errno in _BIND_ERRNOS):
            raise  # not the listening socket: a real failure, with its traceback
        raise ListenError(listen_error(exc, "--host", config.host, "--port", config.port)) from exc
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
