"""HDR batch recording is exact, and histograms survive encode/decode/merge."""

from __future__ import annotations

import math
import random

from harness.driver import histogram


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
