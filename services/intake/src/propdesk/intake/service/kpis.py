"""Desk KPIs (月度考核) per estate and period (day, week, month, in the estate's time zone): cases by kind
and category, response and resolution times, SLA compliance per milestone, follow-up and satisfaction
rates (满意率: scores 4 and 5 over all scores), repeat complaints, visitors, calls. The same figures as JSON
and as a CSV/XLSX export whose detail sheets hold the records the totals are counted from."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.sla import Clock
from propdesk.common.tables import cells
from propdesk.common.timeutil import BusinessCalendar, to_local, utcnow, zone
from propdesk.intake.models import Call, Case, Estate, FollowUp, Renovation, RepairRequest, Violation, Visit
from propdesk.intake.service import policy

Period = Literal["day", "week", "month"]
SATISFIED = 4  # 满意 and 非常满意


@dataclass(frozen=True)
class Window:
    period: Period
    start: dt.date
    end: dt.date  # exclusive
    tz: str

    @classmethod
    def of(cls, period: Period, on: dt.date, tz: str) -> Window:
        if period == "day":
            return cls(period, on, on + dt.timedelta(days=1), tz)
        if period == "week":
            monday = on - dt.timedelta(days=on.weekday())
            return cls(period, monday, monday + dt.timedelta(days=7), tz)
        first = on.replace(day=1)
        return cls(period, first, (first + dt.timedelta(days=32)).replace(day=1), tz)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        z = zone(self.tz)
        return (
            dt.datetime.combine(self.start, dt.time(), z).astimezone(dt.UTC),
            dt.datetime.combine(self.end, dt.time(), z).astimezone(dt.UTC),
        )

    def label(self) -> str:
        return {"day": f"{self.start}", "week": f"{self.start}..{self.end - dt.timedelta(days=1)}"}.get(
            self.period, f"{self.start:%Y-%m}"
        )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(deltas: list[dt.timedelta]) -> dict:
    mins = [d.total_seconds() / 60 for d in deltas]
    return {
        "count": len(mins),
        "average_minutes": round(statistics.fmean(mins), 1) if mins else None,
        "median_minutes": round(statistics.median(mins), 1) if mins else None,
    }


async def records(session: AsyncSession, estate_id: uuid.UUID, window: Window) -> dict[str, list]:
    """The rows the report counts: cases and follow-ups created in the window."""
    start, end = window.bounds()
    cases = (
        (
            await session.execute(
                select(Case)
                .where(Case.estate_id == estate_id, Case.created_at >= start, Case.created_at < end)
                .order_by(Case.created_at, Case.id)
            )
        )
        .scalars()
        .all()
    )
    follow_ups = (
        (
            await session.execute(
                select(FollowUp)
                .where(
                    FollowUp.estate_id == estate_id, FollowUp.created_at >= start, FollowUp.created_at < end
                )
                .order_by(FollowUp.created_at, FollowUp.id)
            )
        )
        .scalars()
        .all()
    )
    return {"cases": list(cases), "follow_ups": list(follow_ups)}


async def _count(session: AsyncSession, column, *where) -> int:
    return (await session.execute(select(func.count()).select_from(column.table).where(*where))).scalar_one()


async def report(session: AsyncSession, estate: Estate, period: Period, on: dt.date) -> dict:
    window = Window.of(period, on, estate.timezone)
    start, end = window.bounds()
    data = await records(session, estate.id, window)
    cases, follow_ups = data["cases"], data["follow_ups"]
    now, cal = utcnow(), BusinessCalendar()

    by_kind = Counter(c.kind for c in cases)
    by_category = Counter((c.kind, c.category or "-") for c in cases)
    sla: dict[str, Counter] = {}
    for case in cases:
        for milestone, raw in (case.clocks or {}).items():
            sla.setdefault(milestone, Counter())[Clock.from_dict(raw).state(now, cal)] += 1
    rules = await policy.load(session, estate.id)
    scored = [f for f in follow_ups if f.score is not None]
    closed = [f for f in follow_ups if f.state in ("completed", "unreachable")]
    complaints = [c for c in cases if c.kind == "complaint"]

    def in_window(column) -> tuple:
        return (column >= start, column < end)

    calls = Counter(
        dict(
            (
                await session.execute(
                    select(Call.direction, func.count())
                    .where(Call.estate_id == estate.id, *in_window(Call.started_at))
                    .group_by(Call.direction)
                )
            ).all()
        )
    )
    missed = await _count(
        session, Call.id, Call.estate_id == estate.id, Call.outcome == "missed", *in_window(Call.started_at)
    )
    return {
        "estate_id": str(estate.id),
        "estate": estate.name,
        "period": period,
        "label": window.label(),
        "from": window.start.isoformat(),
        "to": window.end.isoformat(),
        "generated_at": now.isoformat(),
        "cases": {
            "total": len(cases),
            "by_kind": dict(sorted(by_kind.items())),
            "by_category": [
                {"kind": k, "category": cat, "count": n} for (k, cat), n in sorted(by_category.items())
            ],
            "open": sum(1 for c in cases if c.state not in ("closed", "cancelled", "resolved")),
            "escalated": sum(1 for c in cases if c.escalation_level > 0),
            "reopened": sum(1 for c in cases if c.reopen_count > 0),
        },
        "response_time": _minutes([c.acknowledged_at - c.created_at for c in cases if c.acknowledged_at]),
        "resolution_time": _minutes([c.resolved_at - c.created_at for c in cases if c.resolved_at]),
        "sla": {
            milestone: {
                "total": sum(states.values()),
                "met": states["met"],
                "breached": states["breached"],
                "running": states["running"] + states["paused"],
                "compliance_rate": _rate(states["met"], states["met"] + states["breached"]),
            }
            for milestone, states in sorted(sla.items())
        },
        "follow_ups": {
            "created": len(follow_ups),
            "completed": sum(1 for f in follow_ups if f.state == "completed"),
            "unreachable": sum(1 for f in follow_ups if f.state == "unreachable"),
            "pending": sum(1 for f in follow_ups if f.state == "pending"),
            "overdue": sum(1 for f in follow_ups if f.overdue),
            "follow_up_rate": _rate(sum(1 for f in closed if f.state == "completed"), len(follow_ups)),
            "by_source": dict(sorted(Counter(f.source_kind for f in follow_ups).items())),
        },
        "satisfaction": {
            "scored": len(scored),
            "satisfied": sum(1 for f in scored if f.score >= SATISFIED),
            "dissatisfied": sum(1 for f in scored if f.score <= rules.dissatisfied_at_or_below),
            "satisfaction_rate": _rate(sum(1 for f in scored if f.score >= SATISFIED), len(scored)),
            "average_score": round(statistics.fmean(f.score for f in scored), 2) if scored else None,
        },
        "repeat_complaints": sum(1 for c in complaints if c.repeat_of is not None),
        "visitors": {
            "registered": await _count(
                session, Visit.id, Visit.estate_id == estate.id, *in_window(Visit.created_at)
            ),
            "checked_in": await _count(
                session, Visit.id, Visit.estate_id == estate.id, *in_window(Visit.checked_in_at)
            ),
        },
        "calls": {
            "total": sum(calls.values()),
            "inbound": calls.get("inbound", 0),
            "outbound": calls.get("outbound", 0),
            "missed": missed,
        },
        "repair_requests": await _count(
            session,
            RepairRequest.id,
            RepairRequest.estate_id == estate.id,
            *in_window(RepairRequest.created_at),
        ),
        "renovations_applied": await _count(
            session, Renovation.id, Renovation.estate_id == estate.id, *in_window(Renovation.created_at)
        ),
        "violations_recorded": await _count(
            session, Violation.id, Violation.estate_id == estate.id, *in_window(Violation.created_at)
        ),
    }


# ---------------------------------------------------------------- export

LABELS = [  # (path in the report, zh, en)
    ("cases.total", "工单总数", "Cases"),
    ("cases.open", "未办结", "Still open"),
    ("cases.escalated", "升级", "Escalated"),
    ("cases.reopened", "退回重办", "Reopened"),
    ("response_time.average_minutes", "平均响应时长(分钟)", "Average response (min)"),
    ("resolution_time.average_minutes", "平均处理时长(分钟)", "Average resolution (min)"),
    ("follow_ups.created", "回访任务", "Follow-ups"),
    ("follow_ups.completed", "已回访", "Followed up"),
    ("follow_ups.unreachable", "无法联系", "Unreachable"),
    ("follow_ups.follow_up_rate", "回访率", "Follow-up rate"),
    ("satisfaction.scored", "评价数", "Scores"),
    ("satisfaction.satisfied", "满意数", "Satisfied (4-5)"),
    ("satisfaction.satisfaction_rate", "满意率", "Satisfaction rate"),
    ("satisfaction.average_score", "平均分", "Average score"),
    ("repeat_complaints", "重复投诉", "Repeat complaints"),
    ("visitors.registered", "访客登记", "Visitors registered"),
    ("visitors.checked_in", "访客入园", "Visitors checked in"),
    ("calls.total", "来去电", "Calls"),
    ("calls.missed", "未接来电", "Missed calls"),
    ("repair_requests", "报修受理", "Repair requests"),
    ("renovations_applied", "装修申请", "Renovation applications"),
    ("violations_recorded", "违章登记", "Violations recorded"),
]


def _get(report: dict, path: str):
    value = report
    for part in path.split("."):
        value = value[part]
    return value


def summary_rows(report: dict) -> list[list]:
    rows = [[key, zh, en, _get(report, key)] for key, zh, en in LABELS]
    for kind, n in report["cases"]["by_kind"].items():
        rows.append([f"cases.by_kind.{kind}", "按类型", f"Cases: {kind}", n])
    for milestone, s in report["sla"].items():
        rows.append(
            [f"sla.{milestone}.compliance_rate", "时效达标率", f"SLA {milestone} met", s["compliance_rate"]]
        )
    return rows


def case_rows(cases: list[Case], tz: str) -> list[list]:
    def local(moment):
        return to_local(moment, tz).replace(tzinfo=None) if moment else None

    return [
        [
            c.reference,
            c.kind,
            c.category or "",
            c.severity,
            c.state,
            local(c.created_at),
            local(c.acknowledged_at),
            local(c.resolved_at),
            c.escalation_level,
            "yes" if c.repeat_of else "",
        ]
        for c in cases
    ]


def follow_up_rows(follow_ups: list[FollowUp], tz: str) -> list[list]:
    return [
        [
            f.source_kind,
            f.source_reference or "",
            f.state,
            to_local(f.created_at, tz).replace(tzinfo=None),
            f.attempts,
            f.score,
            f.answered_by or "",
        ]
        for f in follow_ups
    ]


CASE_HEADER = [
    "reference",
    "kind",
    "category",
    "severity",
    "state",
    "created",
    "acknowledged",
    "resolved",
    "escalation",
    "repeat",
]
FOLLOW_UP_HEADER = ["source", "source_reference", "state", "created", "attempts", "score", "answered_by"]


async def export(
    session: AsyncSession, estate: Estate, period: Period, on: dt.date, fmt: str
) -> tuple[bytes, str]:
    report_ = await report(session, estate, period, on)
    data = await records(session, estate.id, Window.of(period, on, estate.timezone))
    summary = summary_rows(report_)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["metric", "指标", "label", "value"])
        writer.writerows(cells(r) for r in summary)
        return ("\ufeff" + out.getvalue()).encode(), "text/csv; charset=utf-8"
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(cells([f"{estate.name} 客服中心考核 / desk KPIs", report_["label"]]))
    sheet.append(["metric", "指标", "label", "value"])
    for row in summary:
        sheet.append(cells(row))
    for name, header, rows in (
        ("Cases", CASE_HEADER, case_rows(data["cases"], estate.timezone)),
        ("FollowUps", FOLLOW_UP_HEADER, follow_up_rows(data["follow_ups"], estate.timezone)),
        (
            "ByCategory",
            ["kind", "category", "count"],
            [[r["kind"], r["category"], r["count"]] for r in report_["cases"]["by_category"]],
        ),
    ):
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(cells(row))
    for ws in book.worksheets:
        for cell in ws[1 if ws.title != "Summary" else 2]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
