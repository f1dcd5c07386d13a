# The experiments behind the lecture's claims, by name: for each, the question its figure
# answers, the claim it bears on (and where the lecture or the paper makes it), and the three
# functions that turn a run into a section of the report or a notebook cell - the analysis
# (`harness/analysis/<name>.py`: Run in, table out), the figure (`harness/plots/<name>.py`:
# table in, Figure out) and the findings (table in, sentences out, computed from the data).
#
# Rules of this file: it only names things; every number comes from the functions it names.
# An experiment is present in a run when a trial or probe row carries its key.
"""`EXPERIMENTS`: E1 ... E10, their claims and their analysis, figure and findings functions."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd  # type: ignore[import-untyped]
from matplotlib.figure import Figure

from harness.analysis.run import Run

LECTURE = "Advanced Operating Systems, Lecture 13: Message Passing and Network Programming"
PAPER = 'M. Eriksen, "Your Server as a Function", PLOS \'13 (doi:10.1145/2525528.2525538)'


@dataclass(frozen=True, slots=True)
class Experiment:
    """One experiment.

    key: E1 ... E10, the `experiment` column of its trials and probes.
    name: the module name of its analysis and plot (`harness/analysis/<name>.py`,
        `harness/plots/<name>.py`).
    question: what its figure answers, in one sentence.
    claim: the lecture's or the paper's claim it bears on, in our words; source: where it is made.
    """

    key: str
    name: str
    title: str
    question: str
    claim: str
    source: str

    def _module(self, package: str) -> Any:
        return importlib.import_module(f"harness.{package}.{self.name}")

    def table(self, run: Run) -> pd.DataFrame:
        """The experiment's table from a run (empty when the run has none of its trials)."""
        return cast(pd.DataFrame, self._module("analysis").table(run))

    def findings(self, table: pd.DataFrame) -> list[str]:
        """Sentences computed from the table: who leads, by how much, whether it is noise."""
        return cast(list[str], self._module("analysis").findings(table))

    def shown(self, table: pd.DataFrame) -> pd.DataFrame:
        """The table a reader is shown: the analysis module's `summary(table)` where the table
        is long (a time series, a spectrum), else the table itself."""
        summary = getattr(self._module("analysis"), "summary", None)
        return table if summary is None else cast(pd.DataFrame, summary(table))

    def figure(self, table: pd.DataFrame) -> Figure:
        """The experiment's figure."""
        return cast(Figure, self._module("plots").figure(table))

    def present(self, run: Run) -> bool:
        """True when the run has trials or probes of this experiment."""
        in_trials = bool((run.trials["experiment"] == self.key).any())
        in_probes = not run.probes.empty and bool((run.probes["experiment"] == self.key).any())
        return in_trials or in_probes


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        "E1",
        "concurrency",
        "Throughput and latency versus concurrency",
        "How do throughput and p50/p99 latency change as connections grow, per model, for "
        "HTTP and TCP echo?",
        "Actors are conceptually clean, with performance that is reasonable but not "
        "outstanding; event loops are efficient and scale.",
        f"{LECTURE}, 'Actors for Network Programming' and 'Event Loops'",
    ),
    Experiment(
        "E2",
        "efficiency",
        "Server CPU per request at a rate every server sustains",
        "How many microseconds of server CPU does one request cost in each model, at the same "
        "offered rate?",
        "Actor-based implementations carry relatively high overhead; an event loop spends "
        "less per request.",
        f"{LECTURE}, 'Asynchronous I/O Frameworks' and 'Summary'",
    ),
    Experiment(
        "E3",
        "overload",
        "Overload: queueing versus shedding",
        "Past capacity, does each model queue (latency explodes) or shed (503s, latency "
        "bounded), with and without admission control, and where is the knee?",
        "Filters compose application-agnostic concerns such as admission control; bounded "
        "queues keep a server responsive under overload.",
        f"{PAPER}, section 3 (Services and Filters); {LECTURE}, 'Asynchronous I/O Frameworks'",
    ),
    Experiment(
        "E4",
        "backpressure",
        "Back-pressure over time with slow readers",
        "With clients that read slowly, does the server's memory stay flat (back-pressure on) "
        "or grow without bound (off)?",
        "Send-and-forget hides delivery and is ill-suited to back-pressure; a blocking send "
        "(or a watermark that pauses reading) avoids queue build-up.",
        f"{LECTURE}, 'Actors for Network Programming' and 'Asynchronous I/O Frameworks'",
    ),
    Experiment(
        "E5",
        "omission",
        "Coordinated omission: closed versus open loop on the same stalls",
        "A server that freezes periodically: what latency does a closed-loop driver report, "
        "and what does an open-loop driver timed from the intended send report?",
        "An honest instrument charges a stall to every request it delayed (wrk2's correction), "
        "not only to those in flight.",
        "wrk2 and HdrHistogram (G. Tene, 'How NOT to measure latency')",
    ),
    Experiment(
        "E6",
        "offload",
        "Long calculations: /ping latency while /work runs",
        "What does a minority of CPU-bound /work requests do to the /ping latency of everyone "
        "else, with /work inline, in a thread pool or in a process pool?",
        "A single asynchronous I/O thread keeps up only if it does no long calculations; long "
        "calculations belong in a pool of worker threads.",
        f"{LECTURE}, 'Event Loops'",
    ),
    Experiment(
        "E7",
        "selectors",
        "select() and poll() versus epoll with many sockets",
        "How does one wait's cost grow with registered sockets for select, poll and epoll, "
        "and what do idle connections do to a server's busy ones?",
        "select() and poll() are portable but slow with large numbers of sockets; epoll and "
        "kqueue are efficient.",
        f"{LECTURE}, 'Event Loops'",
    ),
    Experiment(
        "E8",
        "parsers",
        "The parser's cost under every model",
        "How much throughput and CPU per request does the HTTP parser (llhttp via httptools "
        "versus pure-Python h11) move, in each model?",
        "Parsing and serialisation belong in the socket layer, shared; a fair comparison of "
        "models must hold the parser fixed.",
        f"{LECTURE}, 'Parsing and Serialisation'",
    ),
    Experiment(
        "E9",
        "peers",
        "Reference points: the limit and everyday Python servers",
        "Where do the teaching servers stand against a bare uvloop+httptools server, nginx, "
        "and the Python servers people use (uvicorn, aiohttp), on the same workload?",
        "Performance of the higher-level models is reasonable, not outstanding; the "
        "abstraction costs something, and this says how much.",
        f"{LECTURE}, 'Actors for Network Programming' and 'Summary'",
    ),
    Experiment(
        "E10",
        "drivers",
        "The instrument: drivers side by side",
        "Against the same server, how many requests per second do the netmodels driver, wrk "
        "and Locust (1 and 2 workers) achieve, and how much driver CPU does one request cost?",
        "A load generator must be faster than what it measures, or it reports its own ceiling; "
        "a user-like driver (Locust) is for scenarios and for load spread over many machines, "
        "not for capacity.",
        "wrk and wrk2 (G. Tene); Locust's documentation, 'Increase performance' and "
        "'Distributed load generation'",
    ),
)

BY_KEY: dict[str, Experiment] = {e.key: e for e in EXPERIMENTS}


def present(run: Run) -> list[Experiment]:
    """The experiments a run has data for, in order."""
    return [e for e in EXPERIMENTS if e.present(run)]
