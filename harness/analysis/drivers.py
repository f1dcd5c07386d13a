# E10: the drivers. One server (the `bare` yardstick, the fastest there is, so a driver's own
# ceiling shows) driven in turn by the netmodels driver, by wrk and by Locust with 1 and with 2
# workers, same connections (users), same CPUs: how many requests each achieves, and what one
# request costs the driver in CPU.
#
# Rules of this file: the driver's CPU per request is computed from the row, never assumed:
# `driver_cpu` (the busiest driver process's share of a CPU) x `driver_procs` / req/s. For wrk
# (one process, a thread per driver CPU, `driver_cpu` the mean per thread) and the netmodels
# driver (symmetric processes) that is the driver's whole CPU; for Locust it is the workers' (the
# busiest worker's share x workers), without the master's, which only aggregates and which the
# manifest does not sample - said in the table's `cpu_basis`. A driver that could not run (wrk
# or Locust not installed) stays in the table with its reason in `missing`.
"""E10 table (req/s and driver CPU per request per driver, ratio to the netmodels driver) and
findings."""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E10"
OURS = "netmodels"
CPU = "driver_us_per_req"
VALUES = ["rps", CPU, "driver_cpu", "p50_us", "p99_us"]
COLUMNS = [
    "driver",
    "label",
    "impl",
    "procs",
    "n",
    *[c for v in VALUES for c in (v, f"{v}_low", f"{v}_high")],
    "rps_per_proc",
    "vs_ours",
    "vs_ours_low",
    "vs_ours_high",
    "cpu_basis",
    "missing",
    "flags",
    "flagged",
]
"""The table's columns: `driver` is the cell's driver (`netmodels`, `wrk`, `locust:K`), `label`
what a reader is shown; `procs` the driver processes (wrk: threads; Locust: workers);
`driver_us_per_req` microseconds of driver CPU per request; `rps_per_proc` req/s per process;
`vs_ours` req/s over the netmodels driver's, with its interval; `cpu_basis` what the CPU figure
counts; `missing` why a driver did not run ("" when it did)."""

_ORDER = {"netmodels": 0, "wrk": 1}


def label(driver: str, procs: int) -> str:
    """How a driver is named in the table and the figure."""
    if driver == OURS:
        return f"netmodels driver ({procs} process{'es' if procs != 1 else ''})"
    if driver == "wrk":
        return f"wrk ({procs} thread{'s' if procs != 1 else ''})"
    workers = driver.partition(":")[2] or str(procs)
    return f"Locust ({workers} worker{'s' if workers != '1' else ''})"


def table(run: Run) -> pd.DataFrame:
    """E10's cells: one row per driver, in the order netmodels, wrk, Locust by workers; drivers
    that did not run last with `missing` set; `attrs["manifest"]` is the run's."""
    trials = run.measured(KEY)
    if trials.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(
        driver=stats.cell_drivers(trials),
        procs=trials["driver_procs"].astype(int),
    )
    share = trials["driver_cpu"].astype(float)
    trials = trials.assign(**{CPU: share * trials["procs"] / trials["rps"] * 1e6})
    out = stats.ran_or_missing(trials, VALUES, "driver", ["impl", "procs"])
    out["label"] = [label(d, int(p)) for d, p in zip(out["driver"], out["procs"], strict=True)]
    out["rps_per_proc"] = out["rps"] / out["procs"].astype(float)
    out["cpu_basis"] = [
        "the workers (busiest worker x workers; not the master)"
        if str(d).startswith("locust")
        else "every driver process"
        for d in out["driver"]
    ]
    ours = out[(out["driver"] == OURS) & (out["missing"] == "")]
    out = out.assign(**stats.interval_series("vs_ours", stats.ratios_to(out, ours, "rps")))
    out = out.assign(
        _ran=out["missing"] != "",
        _order=[_ORDER.get(str(d), 2) for d in out["driver"]],
        _workers=out["procs"],
    )
    out = out.sort_values(["_ran", "_order", "_workers"], kind="stable")
    out = out[COLUMNS].reset_index(drop=True)
    out.attrs = {"manifest": run.manifest}
    return out


def findings(table: pd.DataFrame) -> list[str]:
    """Each driver's req/s beside the netmodels driver's, its CPU per request, what a second
    Locust worker adds, which drivers did not run, flagged cells."""
    if table.empty:
        return []
    ran = table[table["missing"] == ""]
    out: list[str] = []
    ours = ran[ran["driver"] == OURS]
    if ours.empty:
        out.append("The netmodels driver did not run: no ratios.")
    else:
        o = ours.iloc[0]
        mine = stats.value_interval(o, CPU)
        parts = []
        for _, r in ran[ran["driver"] != OURS].iterrows():
            text = f"{r['label']} {stats.number(r['rps'])} req/s ({stats.times(r['vs_ours'])})"
            if pd.notna(r[CPU]) and pd.notna(o[CPU]) and o[CPU] > 0:
                verdict = stats.compare(stats.value_interval(r, CPU), mine)
                text += f", {r[CPU]:,.1f} us CPU per request ({r[CPU] / o[CPU]:.1f}x"
                text += "" if verdict in ("higher", "lower") else f"; {verdict}"
                text += ")"
            parts.append(text)
        lead = (
            f"The netmodels driver achieved {stats.number(o['rps'])} req/s at "
            f"{o[CPU]:,.1f} us of driver CPU per request"
        )
        out.append(lead + ("; " + "; ".join(parts) if parts else "") + ".")
        if "driver_bound" not in str(o["flags"]) and not ran.empty:
            server_bound = ran[~ran["flags"].astype(str).str.contains("driver_bound")]
            if len(server_bound) < len(ran):
                names = ", ".join(
                    ran[ran["flags"].astype(str).str.contains("driver_bound")]["label"]
                )
                out.append(
                    f"Driver-bound (the req/s is the driver's ceiling, not the server's): {names}."
                )
    locust = ran[ran["driver"].astype(str).str.startswith("locust")]
    if len(locust) > 1:
        one, more = locust.iloc[0], locust.iloc[-1]
        verdict = stats.compare(stats.value_interval(more, "rps"), stats.value_interval(one, "rps"))
        cpus = _driver_cpus(table)
        text = (
            f"{more['label']} vs {one['label']}: {stats.times(more['rps'] / one['rps'])} "
            f"the req/s ({verdict})"
        )
        if cpus is not None:
            text += (
                f"; the workers share {cpus} driver CPU{'s' if cpus != 1 else ''} here, so more "
                "workers than driver CPUs add processes, not CPU - Locust scales out by adding "
                "machines (docs/locust.md)"
            )
        out.append(text + ".")
    missing = stats.missing_sentence(table, "label")
    if missing:
        out.append(missing)
    if not ran.empty and min(ran["n"].astype(int)) < stats.MIN_REPETITIONS:
        out.append(f"Fewer than {stats.MIN_REPETITIONS} repetitions: differences not tested.")
    flagged = stats.flag_sentence((r["label"], r["flags"]) for _, r in ran.iterrows() if r["flags"])
    if flagged:
        out.append(flagged)
    return out


def _driver_cpus(table: pd.DataFrame) -> int | None:
    """How many CPUs the drivers were pinned to (from the manifest), if recorded."""
    manifest = table.attrs.get("manifest") or {}
    cpus = (manifest.get("pinning") or {}).get("driver")
    return len(cpus) if isinstance(cpus, list) and cpus else None
