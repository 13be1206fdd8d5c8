"""The chat example's `/metrics` read by the official Prometheus Python client (issue #15, "What it
must show" item 3).

A chat server of this test's own (so every count starts at zero) gets two WebSocket clients, one
pysignalr (which has no other transport) and one signalrcore (asked for WebSockets, checked not to
have fallen back to another transport). Each calls Echo once, then the pysignalr one leaves. The
page (Prometheus' text format, examples/chat/src/metrics.rs; the instruments are
signalr-runtime/src/telemetry.rs) is parsed whole with
`prometheus_client.parser.text_string_to_metric_families`, and must then show exactly that:
one active WebSocket connection, one WebSocket connection ended by a normal closure, and two Echo
calls that succeeded.

That parser is lax (its own docs: "successful parsing does not imply that the parsed text meets
the specification"): a sample line that belongs to no `# TYPE` above it becomes a family of its
own, of type untyped, rather than an error. So `scrape` also checks that the parse accounts for
the page: one family per `# TYPE` line, of that type, and every sample line in some family; and
that each histogram series is well formed (cumulative buckets, `+Inf` equal to `_count`).

The parser names a counter's samples `<name>_total` (the OpenMetrics form it uses inside) even
where the page writes `signalr_server_invocations` without the suffix, as it does here.
"""

from __future__ import annotations

import asyncio
import math
import time
import urllib.request
from collections import Counter

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pysignalr.protocol.json import JSONProtocol
from signalrcore.types import HttpTransportType

# Their connect() helpers: each checks the handshake, the transport and the protocol.
import test_pysignalr
import test_signalrcore
from interop import TIMEOUT_S

# How long the page may take to show a connection that opened or closed.
SETTLE_S = 5.0

ACTIVE = "signalr_server_active_connections"
DURATION = "signalr_server_connection_duration"
INVOCATIONS = "signalr_server_invocations"
INVOCATION_DURATION = "signalr_server_invocation_duration"

TRANSPORTS = ("web_sockets", "server_sent_events", "long_polling")

# The chat hub's methods (examples/chat/src/hub.rs), as the invocation instruments name them.
CHAT_METHODS = ("SendMessage", "Echo", "Join", "Roll", "GetConnectionId")

Families = dict[str, Metric]


def scrape(base_url: str) -> Families:
    """GETs `/metrics`, parses the whole page and checks that the parse accounts for all of it.
    Returns the metric families by name."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=TIMEOUT_S) as response:
        assert response.status == 200
        content_type = response.headers.get("Content-Type", "")
        assert content_type.startswith("text/plain; version=0.0.4"), content_type
        page = response.read().decode("utf-8")

    # Raises ValueError on a line it cannot read.
    parsed = list(text_string_to_metric_families(page))

    lines = page.splitlines()
    declared = {}
    for line in lines:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name not in declared, f"{name} declared twice:\n{page}"
            declared[name] = kind
    sample_lines = [line for line in lines if line.strip() and not line.startswith("#")]

    names = Counter(family.name for family in parsed)
    assert all(count == 1 for count in names.values()), f"families parsed twice: {names}"
    assert {family.name: family.type for family in parsed} == declared, (
        f"the parsed families are not the page's # TYPE lines (an untyped one is a sample line "
        f"outside its family):\n{page}"
    )
    assert sum(len(family.samples) for family in parsed) == len(sample_lines), (
        f"the parse does not account for every sample line:\n{page}"
    )

    families = {family.name: family for family in parsed}
    for family in parsed:
        if family.type == "histogram":
            check_histogram(family)
    return families


def check_histogram(family: Metric) -> None:
    """Each series: cumulative buckets ending in +Inf, which equals _count; a _sum."""
    series: dict[tuple, dict[str, list[Sample]]] = {}
    for sample in family.samples:
        labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        suffix = sample.name[len(family.name) :]
        series.setdefault(labels, {}).setdefault(suffix, []).append(sample)
    for labels, parts in series.items():
        where = f"{family.name} {dict(labels)}"
        assert len(parts.get("_count", [])) == 1, f"{where}: no single _count"
        assert len(parts.get("_sum", [])) == 1, f"{where}: no single _sum"
        buckets = sorted(parts.get("_bucket", []), key=lambda s: float(s.labels["le"]))
        assert buckets and math.isinf(float(buckets[-1].labels["le"])), f"{where}: no +Inf bucket"
        values = [bucket.value for bucket in buckets]
        assert values == sorted(values), f"{where}: buckets not cumulative: {values}"
        assert values[-1] == parts["_count"][0].value, f"{where}: +Inf bucket is not _count"


def value(families: Families, family: str, sample: str, labels: dict[str, str]) -> float | None:
    """The value of `family`'s one sample named `sample` with exactly `labels`; None when the
    page has no such sample (or no such family)."""
    found = families.get(family)
    matching = [
        s for s in (found.samples if found else []) if s.name == sample and s.labels == labels
    ]
    assert len(matching) <= 1, f"{len(matching)} samples {sample} {labels}"
    return matching[0].value if matching else None


def active(families: Families) -> dict[str, float]:
    """The active connections gauge by transport (0 where the page has no series yet)."""
    if ACTIVE in families:
        assert families[ACTIVE].type == "gauge"
    return {
        transport: value(families, ACTIVE, ACTIVE, {"signalr_transport": transport}) or 0
        for transport in TRANSPORTS
    }


def invocation_labels(method: str, status: str) -> dict[str, str]:
    return {"signalr_hub": "/chat", "signalr_method": method, "signalr_invocation_status": status}


def scrape_until(base_url: str, accept) -> Families:
    """Scrapes until `accept(families)` holds, for at most SETTLE_S; returns the last scrape."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        families = scrape(base_url)
        if accept(families) or time.monotonic() >= deadline:
            return families
        time.sleep(0.05)


def test_metrics_show_two_websocket_clients_one_of_which_left(fresh_chat, thread_errors):
    base_url = fresh_chat.base_url

    # A fresh server: no connection yet, no call counted.
    initial = scrape(base_url)
    assert active(initial) == {transport: 0 for transport in TRANSPORTS}
    assert DURATION not in initial, "a connection ended before any was made"
    for method in CHAT_METHODS:
        for status in ("ok", "error"):
            labels = invocation_labels(method, status)
            assert (value(initial, INVOCATIONS, f"{INVOCATIONS}_total", labels) or 0) == 0

    started = time.monotonic()
    with test_signalrcore.connect(
        fresh_chat.hub_url, HttpTransportType.web_sockets, "json", thread_errors
    ) as staying:
        # connect() checked that signalrcore did not fall back from WebSockets.
        assert staying.invoke("Echo", "from signalrcore") == "from signalrcore"

        async def pysignalr_comes_and_goes() -> None:
            async with test_pysignalr.connect(fresh_chat.hub_url, JSONProtocol) as leaving:
                assert await leaving.invoke("Echo", "from pysignalr") == "from pysignalr"
                both = await asyncio.to_thread(
                    scrape_until, base_url, lambda f: active(f)["web_sockets"] == 2
                )
                assert active(both) == {
                    "web_sockets": 2,
                    "server_sent_events": 0,
                    "long_polling": 0,
                }
                assert DURATION not in both, "a connection ended before any left"
                # Cancelling run() closes the WebSocket (close code 1011, see test_pysignalr).
                await leaving.stop()

        asyncio.run(pysignalr_comes_and_goes())

        families = scrape_until(
            base_url, lambda f: active(f)["web_sockets"] == 1 and DURATION in f
        )
        elapsed = time.monotonic() - started

        # The gauge: the signalrcore client alone, and no series of another transport or label.
        assert active(families) == {"web_sockets": 1, "server_sent_events": 0, "long_polling": 0}
        assert [s.labels for s in families[ACTIVE].samples] == [
            {"signalr_transport": "web_sockets"}
        ]

        # The duration histogram: one WebSocket connection, closed normally; nothing else.
        assert families[DURATION].type == "histogram"
        closed = {"signalr_transport": "web_sockets", "signalr_connection_status": "normal_closure"}
        assert value(families, DURATION, f"{DURATION}_count", closed) == 1, (
            f"{DURATION} series: {families[DURATION].samples}"
        )
        lasted = value(families, DURATION, f"{DURATION}_sum", closed)
        assert lasted is not None and 0 < lasted <= elapsed, (
            f"the connection lasted {lasted} s, expected within (0, {elapsed}]"
        )
        counts = {
            tuple(sorted(s.labels.items())): s.value
            for s in families[DURATION].samples
            if s.name == f"{DURATION}_count"
        }
        assert counts == {tuple(sorted(closed.items())): 1}

        # The invocations: two Echo calls that succeeded, nothing else.
        assert families[INVOCATIONS].type == "counter"
        assert families[INVOCATION_DURATION].type == "histogram"
        for method in CHAT_METHODS:
            for status in ("ok", "error"):
                labels = invocation_labels(method, status)
                expected = 2 if (method, status) == ("Echo", "ok") else 0
                count = value(families, INVOCATIONS, f"{INVOCATIONS}_total", labels)
                assert (count or 0) == expected, f"{INVOCATIONS} {method} {status}: {count}"
                timed = value(families, INVOCATION_DURATION, f"{INVOCATION_DURATION}_count", labels)
                assert (timed or 0) == expected, f"{INVOCATION_DURATION} {method} {status}: {timed}"
        echo_ok = invocation_labels("Echo", "ok")
        assert value(families, INVOCATIONS, f"{INVOCATIONS}_total", echo_ok) == 2
        total = sum(s.value for s in families[INVOCATIONS].samples)
        assert total == 2, f"{INVOCATIONS} counts calls of other methods or hubs: {total}"

        assert staying.errors == []
    assert thread_errors == []
