# The validity banner: what a reader must know before believing any figure of the run. Each
# check says in words whether it passed ("OK") or needs attention ("Check"); the colour of the
# banner only repeats what the words say.
#
# Rules of this file: every number names where it came from (trial ids, the calibration in the
# manifest); thresholds are constants with their reason beside them.
"""`checks(run) -> list[Check]`: driver ceiling, flagged trials, errors, repetitions, spread."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis.run import Run
from harness.analysis.stats import MIN_REPETITIONS, bootstrap_median
from harness.driver.result import DRIVER_CPU_LIMIT
from harness.report import cells
from harness.report.format import Table, number, simple

Severity = Literal["ok", "warn"]

CEILING_SHARE = DRIVER_CPU_LIMIT
"""The fastest server above this share of the driver's ceiling may be measuring the driver
(the same share as the `driver_bound` flag)."""

SPREAD_LIMIT = 0.10
"""A cell whose interval half-width (or range, with 2 repetitions) exceeds 10 % of its
median is too noisy to rank against its neighbours without a look."""

LONG_TABLE = 8
"""A check's table longer than this is folded (an HTML <details>, open by choice)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the validity banner: `title`, a sentence `text`, maybe a table."""

    severity: Severity
    title: str
    text: str
    table: Table | None = None

    @property
    def word(self) -> str:
        """What the severity says in words: the banner never relies on colour alone."""
        return "OK" if self.severity == "ok" else "Check"


def checks(run: Run) -> list[Check]:
    """Every check of the banner, in reading order."""
    out = [_ceiling(run), _flagged(run), _errors(run), _repetitions(run), _spread(run)]
    if not run.manifest.get("complete", False):
        reason = run.manifest.get("interrupted") or "it did not finish"
        out.insert(
            0,
            Check(
                "warn",
                "Incomplete run",
                f"This run is incomplete ({reason}): figures show only the trials it has; "
                "see 'Not in this run' below.",
            ),
        )
    return out


def severity(found: list[Check]) -> Severity:
    """The banner's severity: the worst of its checks."""
    return "warn" if any(c.severity == "warn" for c in found) else "ok"


def _measured(run: Run) -> pd.DataFrame:
    trials = run.trials
    return trials[trials["role"] == "measure"]


def _ours(run: Run) -> pd.DataFrame:
    """Measured trials of the netmodels driver: the instrument whose ceiling is checked (wrk's
    and Locust's rows of a drivers comparison are not its)."""
    measured = _measured(run)
    return measured[measured["driver"] == "netmodels"]


def _fastest(run: Run) -> tuple[float, str, str] | None:
    """(median req/s, cell label, trial ids) of the fastest closed-loop cell, if any."""
    closed = _ours(run)
    closed = closed[(closed["mode"] == "closed") & closed["rps"].notna()]
    if closed.empty:
        return None
    best: tuple[float, str, str] | None = None
    for group in cells.groups(closed):
        median = float(group["rps"].median())
        if best is None or median > best[0]:
            best = (median, cells.label(group.iloc[0]), cells.ids(group["trial_id"]))
    return best


def _ceiling(run: Run) -> Check:
    title = "Driver ceiling"
    trials = run.trials
    if trials.empty:
        return Check("ok", title, "No load trials in this run: the driver was not used.")
    calibration = run.manifest.get("calibration") or {}
    ceiling: float | None = None
    source = ""
    if calibration.get("netmodels_ceiling_estimate"):
        ceiling = float(calibration["netmodels_ceiling_estimate"])
        source = "`netmodels calibrate` in this run's manifest"
    else:
        bare = _ours(run)
        bare = bare[(bare["impl"] == "bare") & (bare["mode"] == "closed")]
        bare = bare[bare["driver_cpu"].fillna(0) > 0]
        if not bare.empty:
            ceiling = float((bare["rps"] / bare["driver_cpu"]).median())
            source = f"the bare server's trials {cells.ids(bare['trial_id'])} (req/s / driver CPU)"
    fastest = _fastest(run)
    if ceiling and fastest:
        rps, label, ids = fastest
        share = rps / ceiling
        text = (
            f"The fastest server, {label} (trials {ids}), answered {number(rps)} req/s: "
            f"{share * 100:.0f} % of the driver's ceiling of {number(ceiling)} req/s "
            f"(from {source})."
        )
        if share >= CEILING_SHARE:
            return Check(
                "warn",
                title,
                text + " The driver may be what limits it: its figures are a lower bound.",
            )
        return Check("ok", title, text + " The driver has headroom.")
    driver_cpu = trials["driver_cpu"].astype(float)
    bound = trials[trials["flags"].fillna("").str.contains("driver_bound")]
    if driver_cpu.notna().any():
        busiest = trials.loc[driver_cpu.idxmax()]
        seen = (
            f"No calibration and no bare trials in this run. The busiest driver process used "
            f"{float(busiest['driver_cpu']) * 100:.0f} % of a CPU (trial {busiest['trial_id']})"
        )
    else:
        seen = "No calibration, no bare trials and no driver CPU figures in this run"
    text = f"{seen}; {len(bound)} of {len(trials)} trials were driver_bound."
    return Check("warn" if len(bound) else "ok", title, text)


def error_text(value: Any) -> str:
    """`error_kinds` JSON as `status_503 x12, unfinished x3`."""
    if not value or not isinstance(value, str):
        return ""
    try:
        kinds = json.loads(value)
    except ValueError:
        return value
    if not isinstance(kinds, dict):
        return value
    return ", ".join(f"{kind} x{count}" for kind, count in kinds.items())


def _flagged(run: Run) -> Check:
    title = "Flagged trials"
    trials = run.trials
    flagged = trials[trials["flags"].fillna("") != ""]
    if flagged.empty:
        return Check("ok", title, f"None of the {len(trials)} trials is flagged.")
    rows = []
    for _, row in flagged.iterrows():
        role = "" if row["role"] == "measure" else f" ({row['role']})"
        rows.append(
            (
                str(row["trial_id"]),
                cells.label(row) + role,
                str(row["repetition"]),
                str(row["flags"]).replace(";", ", "),
                error_text(row["error_kinds"]),
            )
        )
    counts = Counter(f for text in flagged["flags"] for f in str(text).split(";") if f)
    summary = ", ".join(f"{flag} {n}" for flag, n in counts.most_common())
    return Check(
        "warn",
        title,
        f"{len(flagged)} of {len(trials)} trials are flagged ({summary}); their numbers are "
        "drawn hollow or hatched in the figures and should not be read as clean results.",
        simple(("trial", "cell", "repetition", "flags", "error kinds"), rows),
    )


UNREAD = "unread"
"""Slow readers' answers still in the server at the end: the workload's point, not an error."""


def _errors(run: Run) -> Check:
    title = "Errors"
    trials = run.trials
    kinds: Counter[str] = Counter()
    unread: Counter[str] = Counter()
    for trial_id, text in zip(trials["trial_id"], trials["error_kinds"].fillna(""), strict=True):
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict):
            for k, v in parsed.items():
                (unread if k == UNREAD else kinds)[str(k) if k != UNREAD else trial_id] += int(v)
    errors = trials["errors"].fillna(0) - trials["trial_id"].map(unread).fillna(0)
    total = int(errors.sum()) if not trials.empty else 0
    note = ""
    if unread:
        note = (
            f" Not counted: {sum(unread.values()):,} answers slow readers had not read at the "
            f"end ({cells.ids(pd.Series(sorted(unread)))}), which is what they are for."
        )
    if total == 0:
        return Check("ok", title, "No request got a wrong or missing answer." + note)
    with_errors = trials[errors > 0]
    requests = int(trials["requests"].fillna(0).sum())
    by_kind = ", ".join(f"{k} x{n:,}" for k, n in kinds.most_common()) or "kinds not recorded"
    return Check(
        "warn",
        title,
        f"{total:,} errors next to {requests:,} right answers, in {len(with_errors)} trials "
        f"({cells.ids(with_errors['trial_id'])}): {by_kind}." + note,
    )


def _repetitions(run: Run) -> Check:
    title = "Repetitions"
    rows = []
    total = 0
    measured = _measured(run)
    if not measured.empty:
        for group in cells.groups(measured):
            total += 1
            if len(group) < MIN_REPETITIONS:
                rows.append(
                    (cells.label(group.iloc[0]), str(len(group)), cells.ids(group["trial_id"]))
                )
    probes = run.probes
    if not probes.empty:
        keys = ["experiment", "probe", "variant", "param"]
        for key, group in probes.groupby(keys, sort=False, dropna=False):
            total += 1
            n = group["repetition"].nunique()
            if n < MIN_REPETITIONS:
                _, probe, variant, param = key
                rows.append(
                    (
                        f"probe {probe} {variant} at {param:g}",
                        str(n),
                        ", ".join(sorted(set(group["probe_id"].astype(str)))),
                    )
                )
    if not rows:
        return Check(
            "ok",
            title,
            f"Every one of the {total} cells has {MIN_REPETITIONS} or more repetitions.",
        )
    return Check(
        "warn",
        title,
        f"{len(rows)} of {total} cells have fewer than {MIN_REPETITIONS} repetitions: "
        "comparisons not drawn for them (a difference could be noise).",
        simple(("cell", "repetitions", "trials"), rows),
    )


def _spread(run: Run) -> Check:
    title = "Spread"
    measured = _measured(run)
    rows = []
    judged = 0
    if not measured.empty:
        for group in cells.groups(measured):
            if len(group) < 2:
                continue
            metric = "p99_us" if group.iloc[0]["mode"] == "open" else "rps"
            values = group[metric].astype(float).dropna()
            if len(values) < 2:
                continue
            judged += 1
            median = float(values.median())
            if median == 0:
                continue
            if len(values) >= MIN_REPETITIONS:
                spread = bootstrap_median(values).spread
                how = "interval"
            else:
                spread = float(values.max() - values.min()) / abs(median)
                how = "range"
            if spread > SPREAD_LIMIT:
                unit = "µs" if metric == "p99_us" else "req/s"
                rows.append(
                    (
                        cells.label(group.iloc[0]),
                        metric,
                        f"{number(median)} {unit}",
                        f"{spread * 100:.0f} % ({how})",
                        cells.ids(group["trial_id"]),
                    )
                )
    if judged == 0:
        return Check("ok", title, "No cell has two or more repetitions: spread not measured.")
    if not rows:
        return Check(
            "ok",
            title,
            f"All {judged} cells with repetitions vary by at most {SPREAD_LIMIT * 100:.0f} % "
            "(req/s in closed loop, p99 in open loop).",
        )
    return Check(
        "warn",
        title,
        f"{len(rows)} of {judged} cells vary by more than {SPREAD_LIMIT * 100:.0f} % between "
        "repetitions (req/s in closed loop, p99 in open loop; bootstrap interval half-width, "
        "or the range with 2 repetitions, over the median).",
        simple(("cell", "value", "median", "spread", "trials"), rows),
    )
