# The admin endpoint: GET /metrics in the Prometheus text format, the same names for every impl.
#
# Rules of this file: it runs on prometheus_client's own HTTP server thread and reads the impl's
# `statistics()` only when scraped (a custom collector), so it adds nothing to the request path it
# measures. It lives in the harness because `netmodels serve` is its only user: an impl never
# starts it, it is started beside the impl.
"""Admin listener serving `netmodels_*` metrics from an impl's `statistics()`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from impls.stats import ServerStatistics


class StatisticsCollector(Collector):
    """Turns one `ServerStatistics` snapshot into the `netmodels_*` metric families."""

    def __init__(self, impl: str, statistics: Callable[[], ServerStatistics]) -> None:
        self._impl = impl
        self._statistics = statistics

    def collect(self) -> Iterator[Metric]:
        s = self._statistics()
        impl = self._impl

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(name, doc, labels=["impl"])
            family.add_metric([impl], value)
            return family

        yield gauge("netmodels_connections_open", "Connections open now.", s.connections_open)
        requests = CounterMetricFamily(
            "netmodels_requests", "Requests (or echo chunks) answered.", labels=["impl"]
        )
        requests.add_metric([impl], s.requests_total)
        yield requests
        yield gauge(
            "netmodels_inflight_requests", "Requests being served now.", s.inflight_requests
        )
        queues = GaugeMetricFamily(
            "netmodels_queue_depth", "Items waiting in an internal queue.", labels=["impl", "queue"]
        )
        for queue, depth in sorted(s.queue_depths.items()):
            queues.add_metric([impl, queue], depth)
        yield queues
        buffered = GaugeMetricFamily(
            "netmodels_buffered_bytes",
            "Bytes held in user space for sending.",
            labels=["impl", "direction"],
        )
        buffered.add_metric([impl, "out"], s.buffered_bytes_out)
        yield buffered
        yield gauge(
            "netmodels_reading_paused_connections",
            "Connections not being read because of back-pressure.",
            s.reading_paused_connections,
        )
        rejected = CounterMetricFamily(
            "netmodels_rejected",
            "Connections or requests refused, by reason.",
            labels=["impl", "reason"],
        )
        for reason, count in sorted(s.rejected.items()):
            rejected.add_metric([impl, reason], count)
        yield rejected
        if s.loop_lag_seconds is not None:
            yield gauge(
                "netmodels_loop_lag_seconds",
                "How late the last event-loop probe ran.",
                s.loop_lag_seconds,
            )


def start_admin(
    host: str, port: int, impl: str, statistics: Callable[[], ServerStatistics]
) -> tuple[str, int]:
    """Serve /metrics on `host:port` (0 = ephemeral) in a daemon thread.

    Returns:
        The bound (host, port).
    """
    registry = CollectorRegistry(auto_describe=True)
    registry.register(StatisticsCollector(impl, statistics))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return host, server.server_port
