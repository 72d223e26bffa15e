"""Prometheus metrics, in a registry of each app's own (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "callstats_http_requests", "HTTP requests answered", ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "callstats_http_request_seconds", "Server time per request", ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.ingested = Counter(
            "callstats_ingested_rows", "Rows stored by ingestion", ["kind"],
            registry=self.registry,
        )
        self.logins = Counter(
            "callstats_login_attempts", "POST /auth attempts by outcome: accepted, refused "
            "(401) or limited (429)", ["outcome"], registry=self.registry,
        )
        self.duplicates = Counter(
            "callstats_ingest_duplicates", "CDRs skipped as already stored",
            registry=self.registry,
        )
