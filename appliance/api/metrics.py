"""`GET /metrics` (Prometheus text format) and `Observe`, the middleware that times every request
and writes the access log.

Each app has its own registry: the process-wide latencies of appliance.metrics plus `HubGauges`,
which reads this hub's task counts (O(1) store stats) and phone states at scrape time. Waitress
worker threads run both; the middleware keeps only per-request state (on `req.context`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import falcon
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from appliance import metrics
from appliance.domain.tasks import STATUS_NAMES
from appliance.logs import ACCESS_LOGGER
from appliance.services import Services
from appliance.services.devices import DEVICE_STATES

access_log = logging.getLogger(ACCESS_LOGGER)

UNMATCHED = "(unmatched)"   # no route (404), or refused before routing (401, 413): one label
METHODS = frozenset(falcon.COMBINED_METHODS)
MAX_LOGGED_PATH = 300
_SAFE_PATH = "/:@!$&'()*+,;=-._~{}"


class HubGauges(Collector):
    """This hub's tasks by state and phones by state, read when Prometheus scrapes."""

    def __init__(self, services: Services):
        self.services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self.services.tasks.stats()
        tasks = GaugeMetricFamily("appliance_tasks", "Tasks in the store by state.",
                                  labels=["state"])
        for name in STATUS_NAMES.values():
            tasks.add_metric([name], stats[name])
        yield tasks
        if self.services.devices is not None:
            counts = Counter(info.state for info in self.services.devices.tracker.list())
            phones = GaugeMetricFamily("appliance_phones", "Phones the hub knows by state.",
                                       labels=["state"])
            for state in sorted(set(DEVICE_STATES) | set(counts)):
                phones.add_metric([state], counts[state])
            yield phones


class Metrics:
    def __init__(self, services: Services):
        self.registry = CollectorRegistry()
        for metric in metrics.PROCESS_WIDE:
            self.registry.register(metric)
        self.registry.register(HubGauges(services))
        ProcessCollector(registry=self.registry)   # RSS, CPU, open files of the hub's process

    def on_get(self, req, resp) -> None:
        encode, content_type = choose_encoder(req.get_header("Accept") or "")
        resp.content_type = content_type
        resp.data = encode(self.registry)


def logged_path(req) -> str:
    """The path, escaped (no forged log lines), with the query's names but never its values (a
    value could be a token); capped, as a request line may be long."""
    path = quote(req.path, safe=_SAFE_PATH)
    if req.query_string:
        path += "?" + "&".join(quote(part.split("=", 1)[0], safe="")
                               for part in req.query_string.split("&"))
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "..."


class Observe:
    """First middleware in, last out: sees every request falcon answers, refused ones too."""

    def process_request(self, req, resp) -> None:
        req.context.started = time.perf_counter()

    def process_response(self, req, resp, resource, req_succeeded: bool) -> None:
        seconds = time.perf_counter() - req.context.started
        status = resp.status_code
        method = req.method if req.method in METHODS else "OTHER"   # a client may send any word
        metrics.HTTP_SECONDS.labels(req.uri_template or UNMATCHED, method,
                                    str(status)).observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            code = resp.media.get("code") if isinstance(resp.media, dict) else None
            access_log.info("%s %s %s %d%s %.1f ms", req.remote_addr, method, logged_path(req),
                            status, "" if code is None else f" code={code}", seconds * 1000)


def add_routes(app, services, openapi, prefix: str) -> None:
    # At /metrics, where Prometheus looks by default; outside the Local API and its plan gate,
    # under the same access rule (middleware.GUARDED_PATHS).
    app.add_route("/metrics", Metrics(services))
