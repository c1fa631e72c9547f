"""Prometheus metrics of one box: requests by route and status, faxes by final state, received faxes, queue depth,
busy lines, conversion time.

Counting happens in plain tallies under a lock (a dictionary increment per request); the Prometheus client library is
imported only when the metrics are scraped, where a collector of its own turns the tallies into metric families and
writes the exposition format. Importing it at start-up would cost ~60 ms of every cold start. Each box keeps its own
tallies and registry, so many boxes in one process (the tests) never mix their numbers.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from emulator.device import models as m
from emulator.events import EntryStateChanged, EventBus, ExchangeRecorded, FaxConverted, ReceptionEnded

if TYPE_CHECKING:
    from emulator.box import Box

REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONVERSION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# A label's values must be few: a client may send any method name (curl -X FOO), and each would be a new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


class Histogram:
    """Observations by bucket (each counted once, in the first bucket it fits), their sum and count."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, int]]:
        total, buckets = 0, []
        for bound, count in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            total += count
            buckets.append((bound, total))
        return buckets


class Metrics:
    def __init__(self, box: Box) -> None:
        self._box = box
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.request_seconds: dict[str, Histogram] = {}
        self.faxes: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.conversions = Histogram(CONVERSION_BUCKETS)
        self._registry: Any = None

    def attach(self, bus: EventBus) -> None:
        bus.subscribe(ExchangeRecorded, self._exchange)
        bus.subscribe(EntryStateChanged, self._entry)
        bus.subscribe(ReceptionEnded, self._received)
        bus.subscribe(FaxConverted, self._converted)

    def _exchange(self, event: ExchangeRecorded) -> None:
        method = event.method if event.method in METHODS else "OTHER"
        key = (event.route, method, str(event.status))
        with self._lock:
            self.requests[key] += 1
            histogram = self.request_seconds.get(event.route)
            if histogram is None:
                histogram = self.request_seconds[event.route] = Histogram(REQUEST_BUCKETS)
            histogram.observe(event.duration_ms / 1000)

    def _entry(self, event: EntryStateChanged) -> None:
        if event.state in m.FINAL_STATES:
            with self._lock:
                self.faxes[event.state] += 1

    def _received(self, event: ReceptionEnded) -> None:
        with self._lock:
            self.received[event.result] += 1

    def _converted(self, event: FaxConverted) -> None:
        with self._lock:
            self.conversions.observe(event.seconds)

    # -- scraping ------------------------------------------------------------------------------------------------
    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts (Prometheus text, or OpenMetrics), and its content type."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.exposition import choose_encoder

        if self._registry is None:
            self._registry = CollectorRegistry(auto_describe=False)
            self._registry.register(_Collector(self))
        encoder, content_type = choose_encoder(accept)
        return encoder(self._registry), content_type

    def live_numbers(self) -> tuple[dict[str, int], int, int]:
        """Entries not final yet by state, busy lines, lines in all: read from the box as it is now."""
        box = self._box
        with box.work(write=False) as look:
            depth = box.queue.depth(look.session)
            lines = box.line_states(look.session)
        return depth, sum(line.busy for line in lines), len(lines)


class _Collector:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        metrics = self.metrics
        depth, busy, lines = metrics.live_numbers()
        with metrics._lock:
            requests = dict(metrics.requests)
            seconds = {route: (h.cumulative(), h.sum) for route, h in metrics.request_seconds.items()}
            faxes, received = dict(metrics.faxes), dict(metrics.received)
            conversions = (metrics.conversions.cumulative(), metrics.conversions.sum)
        family = CounterMetricFamily(
            "ffemu_http_requests", "/ffws/v1 requests answered, by route template, method and status",
            labels=["route", "method", "status"],
        )  # fmt: skip
        for labels, count in sorted(requests.items()):
            family.add_metric(list(labels), count)
        yield family
        family = HistogramMetricFamily(
            "ffemu_http_request_duration_seconds", "Time to answer a /ffws/v1 request, by route", labels=["route"]
        )
        for route, (buckets, total) in sorted(seconds.items()):
            family.add_metric([route], buckets, total)
        yield family
        family = CounterMetricFamily("ffemu_faxes", "Fax entries that reached a final state", labels=["state"])
        for state in sorted(m.FINAL_STATES):
            family.add_metric([state], faxes.get(state, 0))
        yield family
        family = CounterMetricFamily("ffemu_inbound_faxes", "Received faxes whose call ended", labels=["result"])
        for result in ("success", "partial", "failure"):
            family.add_metric([result], received.get(result, 0))
        yield family
        family = GaugeMetricFamily("ffemu_queue_depth", "Fax entries not final yet, by state", labels=["state"])
        for state, count in depth.items():
            family.add_metric([state], count)
        yield family
        yield GaugeMetricFamily("ffemu_lines_busy", "Lines in a call (sending or receiving)", value=busy)
        yield GaugeMetricFamily("ffemu_lines", "Lines of the box (modems or SIP channels)", value=lines)
        family = HistogramMetricFamily("ffemu_conversion_seconds", "Wall time to convert one fax's attachments")
        family.add_metric([], *conversions)
        yield family
