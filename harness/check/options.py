# The options of `netmodels check`, and turning them into a `Plan` - apart from the command, so
# that building the `netmodels` parser imports nothing but argparse and the registry (the
# scenarios, rich and psutil are imported once a check runs).
#
# Rules of this file: bad input is found before anything starts - `plan` raises `BadInputError`
# with one line naming the option, the command prints it and exits 2. Names are checked here
# rather than by argparse `choices`, whose message is a usage block, not one line.
"""argparse options of `netmodels check robustness`, and the `Plan` they describe."""

from __future__ import annotations

import argparse
import fnmatch
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from impls.config import Parser, ServerConfig
from impls.registry import IMPLS

if TYPE_CHECKING:
    from harness.check.verdict import Scenario

PARSERS: tuple[str, ...] = typing.get_args(Parser)
DEFAULT_PARSER = ServerConfig().parser


@dataclass(frozen=True, slots=True)
class Target:
    """One way to run an impl: its name, one of its option sets, and a parser backend."""

    impl: str
    parser: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def variant(self) -> str:
        """`eventloop-callbacks/asyncio`, `actor/actor-threads-2` (see `variant_name`)."""
        return variant_name(self.impl, self.options)

    @property
    def label(self) -> str:
        """The variant and the parser: `eventloop-callbacks/asyncio/h11`."""
        return f"{self.variant}/{self.parser}"


def variant_name(impl: str, options: tuple[tuple[str, str], ...]) -> str:
    """`eventloop-callbacks/asyncio`, `actor/actor-threads-2`: the impl and its options (a value
    that names itself stands alone; a number gets its option's name). The conformance suite
    names its test ids with it too."""
    parts = [impl]
    for name, value in options:
        parts.append(f"{name.replace('_', '-')}-{value}" if value.isdigit() else value)
    return "/".join(parts)


class BadInputError(ValueError):
    """Input that cannot run: one line on stderr, exit status 2, nothing started."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run checks: every target against every scenario, targets one after another."""

    targets: tuple[Target, ...]
    scenarios: tuple[Scenario, ...]


def add_check_options(parser: argparse.ArgumentParser) -> None:
    """The `check` command's own subcommands (today: `robustness`) and their options."""
    checks = parser.add_subparsers(dest="check", required=True, metavar="CHECK")
    add_robustness_options(
        checks.add_parser(
            "robustness",
            help="hostile inputs and client faults against real servers, scenario x impl",
            description="Start each impl (as `netmodels serve`), send it the hostile-input "
            "corpus and the fault scenarios of docs/robustness.md, and print scenario x impl "
            "with the evidence. Exit 0 if all pass, 1 if any fails, 2 on bad input.",
        )
    )


def add_robustness_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels check robustness`."""
    parser.add_argument(
        "--impl",
        action="append",
        default=None,
        metavar="NAME",
        help="an impl to check, repeatable (default: every registered impl)",
    )
    parser.add_argument(
        "--parser",
        action="append",
        default=None,
        metavar="NAME",
        help=f"{' or '.join(PARSERS)}, repeatable, or `all` (default: {DEFAULT_PARSER})",
    )
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also each impl's registered variants (e.g. eventloop-callbacks on asyncio)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="PATTERN",
        help="only scenarios whose name or group matches this glob, repeatable "
        "(e.g. 'smuggling', 'cl *', '*RST*')",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the scenarios and exit, starting nothing"
    )


def plan(args: argparse.Namespace) -> Plan:
    """The `Plan` of parsed options.

    Raises:
        BadInputError: an unknown impl or parser, or a pattern no scenario matches.
    """
    impls = list(dict.fromkeys(args.impl or IMPLS))
    for name in impls:
        if name not in IMPLS:
            raise BadInputError(f"--impl: unknown impl {name!r} (known: {', '.join(IMPLS)})")
    parsers = list(dict.fromkeys(args.parser or [DEFAULT_PARSER]))
    if "all" in parsers:
        parsers = list(PARSERS)
    for name in parsers:
        if name not in PARSERS:
            raise BadInputError(f"--parser: unknown parser {name!r} (known: {', '.join(PARSERS)})")
    targets = tuple(
        Target(impl, parser, options)
        for impl in impls
        for options in _option_sets(impl, variants=args.variants)
        for parser in parsers
    )
    return Plan(targets, _scenarios(args.only))


def _option_sets(impl: str, *, variants: bool) -> list[tuple[tuple[str, str], ...]]:
    extra = IMPLS[impl].variants if variants else ()
    return [(), *(tuple(sorted(v.items())) for v in extra)]


def _scenarios(patterns: list[str] | None) -> tuple[Scenario, ...]:
    from harness.check.scenarios import (
        SCENARIOS,  # the corpus and its sockets: only once a check runs
    )

    if not patterns:
        return SCENARIOS
    chosen = []
    for scenario in SCENARIOS:
        names = (scenario.name.lower(), scenario.group.lower())
        if any(fnmatch.fnmatchcase(n, p.lower()) for p in patterns for n in names):
            chosen.append(scenario)
    if not chosen:
        raise BadInputError(f"--only: no scenario matches {' or '.join(map(repr, patterns))}")
    return tuple(chosen)
