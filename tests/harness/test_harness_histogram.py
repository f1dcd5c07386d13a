"""HDR batch recording is exact (at once or through `Counts`), and histograms survive
encode/decode/merge."""

from __future__ import annotations

import math
import random

from harness.driver import histogram
from harness.driver.tally import WINDOW_NS, Tally


def test_batch_recording_equals_one_by_one() -> None:
    rng = random.Random(1)
    values_ns = [rng.randint(0, 10**10) for _ in range(20_000)] + [0, 999, 1000, 10**13]
    batch = histogram.new()
    histogram.record_ns(batch, values_ns)
    single = histogram.new()
    for v in values_ns:
        single.record_value(min(v // 1000, histogram.HIGHEST_US))
    assert batch.get_total_count() == single.get_total_count() == len(values_ns)
    assert histogram.summary(batch) == histogram.summary(single)


def test_encode_decode_and_merge() -> None:
    a, b = histogram.new(), histogram.new()
    histogram.record_ns(a, [1_000_000] * 10)
    histogram.record_ns(b, [5_000_000] * 10)
    decoded = histogram.decode(histogram.encode(a))
    assert decoded.get_total_count() == 10
    merged = histogram.merge([decoded, histogram.decode(histogram.encode(b))])
    assert merged.get_total_count() == 20
    assert merged.get_value_at_percentile(25) == 1000
    assert 4995 <= merged.get_value_at_percentile(75) <= 5005


def test_empty_summary_is_nan() -> None:
    s = histogram.summary(histogram.new())
    assert all(math.isnan(v) for v in s.values())


def test_counts_build_the_same_histogram_as_batch_recording() -> None:
    rng = random.Random(2)
    values_ns = [rng.randint(0, 10**10) for _ in range(20_000)] + [0, 999, 1000, 10**13]
    batch = histogram.new()
    histogram.record_ns(batch, values_ns)
    counts = histogram.Counts()
    for i in range(0, len(values_ns), 3_000):  # in pieces, as the driver flushes them
        counts.record_ns(values_ns[i : i + 3_000])
    built = counts.histogram()
    assert histogram.encode(built) == histogram.encode(batch)
    assert histogram.summary(built) == histogram.summary(batch)
    assert histogram.Counts().histogram().get_total_count() == 0


def test_tally_flushed_in_pieces_reports_every_latency() -> None:
    tally = Tally(measure_ns=0, duration_ns=2 * WINDOW_NS)
    for k in range(1, 1_001):
        tally.latencies[1].append(k * 1_000)
        tally.slips[1].append(k * 100)
        if k % 300 == 0:
            tally.flush()
    tally.flush()
    windows = tally.report([0.0, 0.0], [1.0, 1.0], [0, 0])
    latency = histogram.decode(windows[0].latency)
    assert latency.get_total_count() == tally.ok[1] == 1_000
    assert latency.get_value_at_percentile(50) == 500
    assert windows[0].slip_max_us == 100.0
    assert tally.slip_histogram().get_total_count() == 1_000
    assert histogram.decode(windows[1].latency).get_total_count() == 0
