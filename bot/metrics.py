"""Prometheus metrics on a listener of their own (METRICS_HOST, METRICS_PORT; off when unset).

Two kinds of figures:

- what this process did, counted as it happens: events handled (by platform and outcome),
  the time each took, replies handed to platforms and what came of them;
- what the store holds, read when Prometheus scrapes: ideas by status (submissions and
  decisions), moderators' decisions from the audit log, the broadcast outbox's backlog and
  the progress of every broadcast being sent, replies waiting to be sent again. These are
  the same in every worker process, whichever one is scraped.

No label carries a person: only platform names, outcomes, statuses and broadcast numbers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select

from storage.models import (
    BroadcastStatus,
    OutboxStatus,
    audit_table,
    broadcast_table,
    idea_table,
    outbox_table,
    pending_reply_table,
)
from storage.store import Store

log = logging.getLogger(__name__)

DECISIONS = ("approve", "reject", "hide", "merge")
"""Audit log actions that are moderators' decisions on ideas."""


class Metrics:
    """The figures of one process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "mitmach_events",
            "Events from residents handled by the engine, by platform and outcome "
            "(replied; silent: a redelivered event or a repeated button press; error)",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.handling = Histogram(
            "mitmach_event_handling_seconds",
            "Time from an event reaching the engine to its replies being stored",
            ["platform"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.replies = Counter(
            "mitmach_replies",
            "Replies handed to a platform, by result (sent; later: to be tried again; error; "
            "confirming: waits for the web page's confirmation; no_adapter)",
            ["platform", "result"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "mitmach_reply_send_seconds",
            "Time a platform took to accept one reply",
            ["platform"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )

    def event(self, platform: str, outcome: str, seconds: float) -> None:
        self.events.labels(platform, outcome).inc()
        self.handling.labels(platform).observe(seconds)

    def reply(self, platform: str, result: str, seconds: float | None = None) -> None:
        self.replies.labels(platform, result).inc()
        if seconds is not None:
            self.reply_seconds.labels(platform).observe(seconds)

    def watch_store(self, store: Store) -> None:
        self.registry.register(StoreCollector(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Figures read from the store at each scrape (a few indexed counts)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self) -> list[Any]:
        return []  # read at scrape time only; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        try:
            figures = self.store.run(_read_figures)
        except Exception:
            log.exception("metrics: the store could not be read")
            up = GaugeMetricFamily("mitmach_store_up", "1 when the store answered the last scrape")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("mitmach_store_up", "1 when the store answered the last scrape")
        up.add_metric([], 1)
        yield up
        ideas = GaugeMetricFamily(
            "mitmach_ideas", "Ideas in the store by status (pending: awaiting a decision)", labels=["status"]
        )
        for status, count in figures["ideas"]:
            ideas.add_metric([status], count)
        yield ideas
        submitted = CounterMetricFamily(
            "mitmach_submissions", "Ideas submitted by residents in the chat (imported ones not counted)"
        )
        submitted.add_metric([], figures["submitted"])
        yield submitted
        decisions = CounterMetricFamily(
            "mitmach_decisions",
            "Moderators' decisions from the audit log, by action and outcome",
            labels=["action", "outcome"],
        )
        for action, outcome, count in figures["decisions"]:
            decisions.add_metric([action, outcome], count)
        yield decisions
        backlog = GaugeMetricFamily(
            "mitmach_outbox_backlog", "Broadcast messages waiting to be sent, by platform", labels=["platform"]
        )
        for platform, count in figures["backlog"]:
            backlog.add_metric([platform], count)
        yield backlog
        progress = GaugeMetricFamily(
            "mitmach_broadcast_recipients",
            "Recipients of each broadcast being sent or paused, by delivery status",
            labels=["broadcast", "status"],
        )
        for broadcast_id, status, count in figures["broadcasts"]:
            progress.add_metric([str(broadcast_id), status], count)
        yield progress
        kept = GaugeMetricFamily(
            "mitmach_pending_replies",
            "Replies kept in the store until a platform takes them, by platform",
            labels=["platform"],
        )
        for platform, count in figures["pending_replies"]:
            kept.add_metric([platform], count)
        yield kept


def _one_of(column: Any, values: tuple[str, ...]) -> Any:
    """Equalities rather than IN: `Tx.rows` runs statements through storage/prepared.py."""
    return or_(*(column == value for value in values))


def _read_figures(tx: Any) -> dict[str, Any]:
    I, A, O, B, P = idea_table.c, audit_table.c, outbox_table.c, broadcast_table.c, pending_reply_table.c  # noqa: E741
    waiting = _one_of(O.status, (OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value))
    active = _one_of(B.status, (BroadcastStatus.SENDING.value, BroadcastStatus.PAUSED.value))
    return {
        "ideas": tx.rows(select(I.status, func.count()).group_by(I.status)),
        "submitted": tx.rows(select(func.count()).where(I.source.is_(None)))[0][0],
        "decisions": tx.rows(
            select(A.action, A.outcome, func.count()).where(_one_of(A.action, DECISIONS)).group_by(A.action, A.outcome)
        ),
        "backlog": tx.rows(select(O.platform, func.count()).where(waiting).group_by(O.platform)),
        "broadcasts": tx.rows(
            select(O.broadcast_id, O.status, func.count())
            .join(broadcast_table, B.id == O.broadcast_id)
            .where(active)
            .group_by(O.broadcast_id, O.status)
        ),
        "pending_replies": tx.rows(select(P.platform, func.count()).group_by(P.platform)),
    }


async def start_listener(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """Serve GET /metrics on host:port; the scrape runs in a thread (it reads the store)."""

    async def scrape(_request: web.Request) -> web.Response:
        body = await asyncio.get_running_loop().run_in_executor(None, metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner
