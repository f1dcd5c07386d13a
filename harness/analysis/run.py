# A run as the analysis sees it: every table of a run directory loaded once, through the one
# loader (`harness.results.load`), plus its histograms on demand.
#
# Rules of this file: read-only; a table the run does not have is an empty frame with the
# table's columns, so an experiment's analysis asks "is there anything?" with `.empty`, never
# with a try.
"""`Run`: trials, kinds, time series, probes and histograms of one run directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from harness.driver import histogram
from harness.results import load


@dataclass(frozen=True)
class Run:
    """One run directory, loaded.

    trials: one row per committed trial; kinds: per request kind of mixed workloads;
    timeseries: client windows and server samples; probes: measurements that are not trials.
    """

    path: Path
    manifest: dict[str, Any]
    trials: pd.DataFrame
    kinds: pd.DataFrame
    timeseries: pd.DataFrame
    probes: pd.DataFrame
    _histograms: dict[str, HdrHistogram] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> Run:
        """Load every table of the run at `path`.

        Raises:
            FileNotFoundError: no manifest.json there.
            ValueError: a schema version this code does not know.
        """
        root = Path(path)
        trials = load(root)
        return cls(
            path=root,
            manifest=trials.attrs["manifest"],
            trials=trials,
            kinds=load(root, "kinds"),
            timeseries=load(root, "timeseries"),
            probes=load(root, "probes"),
        )

    def measured(self, experiment: str | None = None) -> pd.DataFrame:
        """Trials of role `measure` (not capacity runs or probes), of one experiment if given."""
        frame = self.trials[self.trials["role"] == "measure"]
        if experiment is not None:
            frame = frame[frame["experiment"] == experiment]
        out = frame.reset_index(drop=True)
        out.attrs = {"manifest": self.manifest, "path": str(self.path)}
        return out

    def empty(self, columns: Sequence[str]) -> pd.DataFrame:
        """A table of this run with `columns` and no row: what an experiment's analysis returns
        when the run has none of its trials."""
        out = pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
        out.attrs = {"manifest": self.manifest}
        return out

    def histogram(self, relative: str) -> HdrHistogram:
        """A histogram file of the run (`histograms/0001.hdr`), decoded once and cached."""
        if relative not in self._histograms:
            text = (self.path / relative).read_text().strip()
            self._histograms[relative] = histogram.decode(text)
        return self._histograms[relative]

    def merged(self, relatives: list[str]) -> HdrHistogram:
        """Several histograms of the run together (e.g. the repetitions of one cell)."""
        return histogram.merge(self.histogram(r) for r in relatives if r)
