"""The end-to-end message audit (`propdesk audit`): every event a service recorded since a moment must have
been published, and must have reached every service that subscribes to its type: in that consumer's inbox
(applied once) or in its dead letters (failed every attempt, replayable). What is neither is missing.

Each service tells its own side (`/admin/audit`: its outbox, its inbox, its dead letters), so no service's
tables are read by another; the comparison is a pure function. Events younger than `grace` are not judged
yet (they may still be on their way)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import platform_of

GRACE = dt.timedelta(seconds=30)


async def own_side(session: AsyncSession, since: dt.datetime) -> dict[str, Any]:
    """This service's part of the audit: what it recorded, what it received, what it dead-lettered."""
    t = platform_of(session)
    outbox = (
        await session.execute(
            select(
                t.outbox.c.id, t.outbox.c.event_type, t.outbox.c.created_at, t.outbox.c.published_at
            ).where(t.outbox.c.created_at >= since)
        )
    ).all()
    inbox = (
        await session.execute(select(t.inbox.c.event_id).where(t.inbox.c.processed_at >= since))
    ).scalars()
    dead = (
        await session.execute(
            select(t.dead_letter.c.event_id).where(
                t.dead_letter.c.source == "consumer", t.dead_letter.c.event_id.is_not(None)
            )
        )
    ).scalars()
    return {
        "outbox": [
            [str(i), kind, created.isoformat(), published is not None]
            for i, kind, created, published in outbox
        ],
        "inbox": [str(e) for e in inbox],
        "dead_letters": [str(e) for e in dead],
    }


@dataclass
class Route:
    producer: str
    consumer: str
    expected: int = 0
    received: int = 0
    dead_lettered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class Report:
    routes: list[Route]
    unpublished: dict[str, list[str]]  # producer -> event ids recorded but not published

    @property
    def missing(self) -> int:
        return sum(len(r.missing) for r in self.routes) + sum(len(v) for v in self.unpublished.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "missing": self.missing,
            "unpublished": self.unpublished,
            "routes": [r.__dict__ for r in self.routes],
        }


def compare(
    sides: dict[str, dict[str, Any]], subscriptions: dict[str, dict[str, set[str]]], now: dt.datetime
) -> Report:
    """`sides`: each service's own side; `subscriptions`: consumer -> producer -> the event types it takes."""
    cutoff = now - GRACE
    routes, unpublished = [], {}
    received = {name: set(side["inbox"]) for name, side in sides.items()}
    dead = {name: set(side["dead_letters"]) for name, side in sides.items()}
    for producer, side in sides.items():
        judged = [
            (i, kind, published)
            for i, kind, created, published in side["outbox"]
            if dt.datetime.fromisoformat(created) <= cutoff
        ]
        late = [i for i, _, published in judged if not published]
        if late:
            unpublished[producer] = late
        for consumer, wanted in sorted(subscriptions.items()):
            types = wanted.get(producer)
            if not types or consumer not in sides:
                continue
            ids = [i for i, kind, _ in judged if kind in types]
            route = Route(producer, consumer, expected=len(ids))
            for i in ids:
                if i in received[consumer]:
                    route.received += 1
                elif i in dead[consumer]:
                    route.dead_lettered.append(i)
                else:
                    route.missing.append(i)
            routes.append(route)
    return Report(routes, unpublished)


def metrics(report: Report) -> str:
    """Prometheus text format (for node_exporter's textfile collector)."""
    lines = [
        "# HELP propdesk_audit_missing Events recorded but not published, or not received by a subscriber",
        "# TYPE propdesk_audit_missing gauge",
    ]
    for r in report.routes:
        lines.append(
            f'propdesk_audit_missing{{producer="{r.producer}",consumer="{r.consumer}"}} {len(r.missing)}'
        )
    for producer, ids in report.unpublished.items():
        lines.append(f'propdesk_audit_missing{{producer="{producer}",consumer="(stream)"}} {len(ids)}')
    lines += [
        "# HELP propdesk_audit_dead_lettered Events a subscriber dead-lettered",
        "# TYPE propdesk_audit_dead_lettered gauge",
    ]
    for r in report.routes:
        lines.append(
            f'propdesk_audit_dead_lettered{{producer="{r.producer}",consumer="{r.consumer}"}} {len(r.dead_lettered)}'
        )
    return "\n".join(lines) + "\n"


def subscriptions_of(definitions: list) -> dict[str, dict[str, set[str]]]:
    """consumer -> producer -> the event types it takes, from the services' definitions."""
    return {d.name: {sub.producer: set(sub.handlers) for sub in d.subscriptions} for d in definitions}


async def run(definitions: list, side_of, since: dt.datetime, now: dt.datetime) -> Report:
    """Ask each service for its side (`side_of(definition, since)`, awaited) and compare."""
    sides = {d.name: await side_of(d, since) for d in definitions}
    return compare(sides, subscriptions_of(definitions), now)


def render(report: Report) -> str:
    lines = [f"{'producer':<10} {'consumer':<10} {'expected':>8} {'received':>8} {'dead':>5} {'missing':>7}"]
    for r in report.routes:
        lines.append(
            f"{r.producer:<10} {r.consumer:<10} {r.expected:>8} {r.received:>8} {len(r.dead_lettered):>5} "
            f"{len(r.missing):>7}"
        )
        lines += [f"    missing at {r.consumer}: {i}" for i in r.missing[:20]]
        if len(r.missing) > 20:
            lines.append(f"    … and {len(r.missing) - 20} more")
    for producer, ids in report.unpublished.items():
        lines.append(f"{producer}: {len(ids)} recorded but not published: {', '.join(ids[:5])}")
    lines.append("nothing missing" if report.missing == 0 else f"{report.missing} missing")
    return "\n".join(lines)
