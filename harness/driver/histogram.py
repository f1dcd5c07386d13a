# Latency histograms: HdrHistogram (the `hdrhistogram` package), in microseconds, mergeable across
# driver processes and repetitions through the standard compressed encoding.
#
# Rules of this file: the hot path never touches a histogram - it appends integers to a list,
# and a batch moves in at once. `Histogram.record_value` is pure Python (~2 us a call); at 100k
# responses/s per driver process that alone would eat a fifth of the driver's CPU. Batching with
# numpy first rounds each value down to the lowest value of its HDR bucket, so a histogram holds
# exactly what per-value recording would have put there. While a run is being measured, batches
# go into `Counts` - plain numpy bucket counts, no Python call per bucket - because every
# millisecond the driver spends here delays the sends scheduled in it; the HdrHistogram is built
# once, after the last send.
"""HDR histogram helpers: batch recording, encode/decode/merge, percentiles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
"""One hour: the longest latency a histogram can hold; larger values are clamped to it."""

SIGNIFICANT_FIGURES = 3
"""Three significant digits: a 1.234 ms and a 1.235 ms answer stay apart; 0.1 % error."""

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9, "p9999": 99.99}


def new() -> HdrHistogram:
    """An empty latency histogram (microseconds)."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


_LAYOUT = new()
"""An empty histogram whose bucket layout (the same for every `new()` one) `Counts` follows."""


def _buckets(values_ns: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each value's HDR bucket: (its counts-array index, its lowest value in microseconds)."""
    us = np.asarray(values_ns, dtype=np.int64) // 1000
    np.clip(us, 0, HIGHEST_US, out=us)
    # The HDR bucket of v spans 2**shift values, shift = bit_length(v | sub_bucket_mask) -
    # (sub_bucket_half_count_magnitude + 1); its lowest value is (v >> shift) << shift.
    # frexp's exponent is the bit length (exact below 2**53). The index formula is hdrh's
    # `_counts_index_for` (unit magnitude 0: the lowest trackable value is 1).
    half_magnitude = _LAYOUT.sub_bucket_half_count_magnitude
    _, bits = np.frexp((us | _LAYOUT.sub_bucket_mask).astype(np.float64))
    shift = bits.astype(np.int64) - (half_magnitude + 1)
    sub_bucket = us >> shift
    index = ((shift + 1) << half_magnitude) + (sub_bucket - _LAYOUT.sub_bucket_half_count)
    return index, sub_bucket << shift


def record_ns(histogram: HdrHistogram, values_ns: Sequence[int]) -> None:
    """Record nanosecond values into a microsecond histogram, in one batch."""
    if not values_ns:
        return
    _, lowest = _buckets(values_ns)
    values, counts = np.unique(lowest, return_counts=True)
    for value, count in zip(values.tolist(), counts.tolist(), strict=True):
        histogram.record_value(value, count)


class Counts:
    """HDR bucket counts in a numpy array: `record_ns` costs a few vectorised numpy calls.

    The array grows only up to the largest bucket seen (a 10 ms latency needs ~4,000 entries,
    not the ~23,000 of an hour), so one per one-second window stays small.
    """

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.int64)

    def record_ns(self, values_ns: Sequence[int]) -> None:
        """Count nanosecond values in their microsecond buckets."""
        if not values_ns:
            return
        index, _ = _buckets(values_ns)
        added = np.bincount(index)
        if len(added) > len(self.counts):
            grown = np.zeros(len(added), dtype=np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        self.counts[: len(added)] += added

    def histogram(self) -> HdrHistogram:
        """The HdrHistogram holding these counts (what `record_ns` on one would have made)."""
        result = new()
        for index in np.flatnonzero(self.counts).tolist():
            result.record_value(result.get_value_from_index(index), int(self.counts[index]))
        return result


def encode(histogram: HdrHistogram) -> str:
    """The standard compressed, base64 HdrHistogram encoding (readable by every HDR library)."""
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


def decode(text: str | bytes) -> HdrHistogram:
    """The histogram of an `encode` result."""
    data = text.encode("ascii") if isinstance(text, str) else text
    histogram: HdrHistogram = HdrHistogram.decode(data)
    return histogram


def merge(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    """One histogram holding every value of `histograms`."""
    total = new()
    for histogram in histograms:
        if histogram.get_total_count():
            total.add(histogram)
    return total


def summary(histogram: HdrHistogram) -> dict[str, float]:
    """p50 ... p99.99, max and mean in microseconds (NaN for an empty histogram)."""
    if histogram.get_total_count() == 0:
        return {name: float("nan") for name in (*PERCENTILES, "max", "mean")}
    out = {name: float(histogram.get_value_at_percentile(p)) for name, p in PERCENTILES.items()}
    out["max"] = float(histogram.get_max_value())
    out["mean"] = float(histogram.get_mean_value())
    return out
