"""The incident report (紧急事件报告书) as Markdown and PDF: what happened, the timeline, each step's actual
time against its deadline, escalations, outside parties, broadcasts and the residents' answers, and the
post-incident review with its follow-up tasks. Drills are reported as drills. Times are the estate's local
time; the PDF uses the viewer's built-in CJK font (STSong-Light), so it needs no font file."""

from __future__ import annotations

import datetime as dt
import io
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.i18n import Text
from propdesk.common.timeutil import to_local, utcnow
from propdesk.incidents.errors import WrongEstate
from propdesk.incidents.models import (
    Broadcast,
    Incident,
    IncidentEntry,
    IncidentParty,
    IncidentStep,
    Review,
    estate,
)
from propdesk.incidents.playbook import seeded
from propdesk.incidents.service import broadcasts, incidents, triggering
from propdesk.incidents.service.incidents import entry, snapshot

KIND_ZH = {
    "triggered": "启动",
    "acknowledge": "确认",
    "stabilise": "控制",
    "resolve": "解除",
    "close": "关闭",
    "cancel": "取消",
    "step_acknowledge": "步骤确认",
    "step_complete": "步骤完成",
    "step_skip": "步骤跳过",
    "escalated": "超时升级",
    "party_called": "联系外部单位",
    "party_arrived": "外部单位到场",
    "broadcast": "广播",
    "reply": "住户回复",
    "help_given": "求助已处理",
    "report_linked": "重复报告",
    "note": "备注",
    "review": "事后评估",
}


def _fmt(moment: dt.datetime | None, tz: str) -> str:
    return f"{to_local(moment, tz):%Y-%m-%d %H:%M:%S}" if moment else "—"


async def gather(session: AsyncSession, incident: Incident) -> dict:
    tz = (
        await session.execute(
            select(estate.c.timezone, estate.c.name).where(estate.c.id == incident.estate_id)
        )
    ).first()
    steps = list(
        (
            await session.execute(
                select(IncidentStep)
                .where(IncidentStep.incident_id == incident.id)
                .order_by(IncidentStep.position)
            )
        ).scalars()
    )
    return {
        "tz": tz.timezone if tz else "Asia/Shanghai",
        "estate": tz.name if tz else "",
        "book": snapshot(incident),
        "steps": steps,
        "entries": list(
            (
                await session.execute(
                    select(IncidentEntry)
                    .where(IncidentEntry.incident_id == incident.id)
                    .order_by(IncidentEntry.id)
                )
            ).scalars()
        ),
        "parties": list(
            (
                await session.execute(
                    select(IncidentParty)
                    .where(IncidentParty.incident_id == incident.id)
                    .order_by(IncidentParty.called_at)
                )
            ).scalars()
        ),
        "broadcasts": list(
            (
                await session.execute(
                    select(Broadcast).where(Broadcast.incident_id == incident.id).order_by(Broadcast.sent_at)
                )
            ).scalars()
        ),
        "tally": await broadcasts.tally(session, incident),
        "review": await session.get(Review, incident.id),
    }


def step_rows(incident: Incident, data: dict) -> list[dict]:
    tz, rows = data["tz"], []
    for s in data["steps"]:
        title = data["book"].step(s.key).title
        actual = s.done_at or s.acknowledged_at
        rows.append(
            {
                "key": s.key,
                "title": f"{title.zh} / {title.en}",
                "deadline": _fmt(s.due_at, tz),
                "actual": _fmt(actual, tz),
                "state": s.state,
                "verdict": "skipped"
                if s.state == "skipped"
                else "open"
                if actual is None
                else ("LATE" if actual > s.due_at else "on time"),
                "minutes_over": round((actual - s.due_at).total_seconds() / 60, 1)
                if actual and actual > s.due_at
                else 0,
                "escalations": s.escalations,
            }
        )
    return rows


async def markdown(session: AsyncSession, incident: Incident) -> str:
    d = await gather(session, incident)
    tz, book = d["tz"], d["book"]
    drill = "（演练 DRILL）" if incident.drill else ""
    lines = [
        f"# 紧急事件报告书 / Incident report {incident.reference}{drill}",
        "",
        f"- 小区 Estate: {d['estate']}",
        f"- 预案 Playbook: {book.name.zh} / {book.name.en} (v{incident.playbook_version}, {incident.severity})",
        f"- 地点 Location: {incident.location or '—'}",
        f"- 经过 What happened: {incident.description}",
        f"- 报告次数 Reports: {incident.reports}",
        f"- 启动 Triggered: {_fmt(incident.triggered_at, tz)} by {incident.triggered_by} ({incident.source})",
        f"- 确认 Acknowledged: {_fmt(incident.acknowledged_at, tz)}"
        + (f" by {incident.acknowledged_by}" if incident.acknowledged_by else ""),
        f"- 控制 Stabilised: {_fmt(incident.stabilised_at, tz)}",
        f"- 解除 Resolved: {_fmt(incident.resolved_at, tz)}",
        f"- 关闭 Closed: {_fmt(incident.closed_at, tz)}",
        "",
        "## 步骤与时限 Steps against their deadlines",
        "",
        "| step | deadline | actual | result | escalations |",
        "|---|---|---|---|---|",
    ]
    for r in step_rows(incident, d):
        over = f" (+{r['minutes_over']} min)" if r["minutes_over"] else ""
        lines.append(
            f"| {r['title']} | {r['deadline']} | {r['actual']} | {r['verdict']}{over} | {r['escalations']} |"
        )
    lines += ["", "## 外部单位 Outside parties", ""]
    if d["parties"]:
        lines += ["| party | called | promised | arrived |", "|---|---|---|---|"]
        lines += [
            f"| {p.name} ({p.kind}) | {_fmt(p.called_at, tz)} | {_fmt(p.promised_at, tz)} | {_fmt(p.arrived_at, tz)} |"
            for p in d["parties"]
        ]
    else:
        lines.append("—")
    lines += ["", "## 广播与回复 Broadcasts and replies", ""]
    for b in d["broadcasts"]:
        lines.append(f"- {_fmt(b.sent_at, tz)} {b.title_zh} / {b.title_en} → {b.scope}")
    t = d["tally"]["total"]
    lines.append(
        f"- 回复 Replies: {t['safe']} safe, {t['need_help']} need help, {t['no_answer']} no answer of {t['units']} units"
    )
    lines += ["", "## 时间线 Timeline", "", "| time | what | who | note |", "|---|---|---|---|"]
    for e in d["entries"]:
        what = KIND_ZH.get(e.kind, e.kind)
        detail = ", ".join(
            f"{k}={v}"
            for k, v in e.data.items()
            if k in ("step", "level", "role", "party", "status", "unit", "state")
        )
        lines.append(
            f"| {_fmt(e.at, tz)} | {what} {e.kind} {detail} | {e.actor} | {(e.note or '').replace('|', '/')} |"
        )
    lines += ["", "## 事后评估 Review", ""]
    review = d["review"]
    if review is None:
        lines.append("尚未评估 Not reviewed yet.")
    else:
        lines += [
            f"- {review.summary}",
            f"- 原因 Causes: {review.causes or '—'}",
            f"- 评估人 By: {review.reviewed_by}, {_fmt(review.reviewed_at, tz)}",
        ]
        for f in review.follow_ups:
            lines.append(f"  - [ ] {f['title']} — {f.get('owner', '')} {f.get('due_on', '')}")
    lines += ["", f"_Generated {_fmt(utcnow(), tz)}_", ""]
    return "\n".join(lines)


def pdf(text_md: str) -> bytes:
    """The Markdown report laid out as a PDF (headings, tables as rows of text)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=9, leading=12, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=15, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    flow, table = [], []

    def flush_table():
        if table:
            t = Table([[Paragraph(escape(c), body) for c in row] for row in table], repeatRows=1)
            t.setStyle(
                TableStyle([("GRID", (0, 0), (-1, -1), 0.3, "#888888"), ("VALIGN", (0, 0), (-1, -1), "TOP")])
            )
            flow.append(t)
            table.clear()

    for line in text_md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                table.append(cells)
            continue
        flush_table()
        if line.startswith("# "):
            flow.append(Paragraph(escape(line[2:]), h1))
        elif line.startswith("## "):
            flow.append(Paragraph(escape(line[3:]), h2))
        elif line.strip():
            flow.append(Paragraph(escape(line), body))
        else:
            flow.append(Spacer(1, 4))
    flush_table()
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title="Incident report", leftMargin=36, rightMargin=36).build(flow)
    return out.getvalue()


async def review(
    session: AsyncSession,
    incident: Incident,
    *,
    summary: str,
    causes: str | None,
    follow_ups: list[dict],
    actor: str,
) -> Review:
    row = await session.get(Review, incident.id)
    if row is None:
        row = Review(
            incident_id=incident.id,
            summary=summary,
            causes=causes,
            follow_ups=follow_ups,
            reviewed_by=actor,
            reviewed_at=utcnow(),
        )
        session.add(row)
    else:
        row.summary, row.causes, row.follow_ups, row.reviewed_by, row.reviewed_at = (
            summary,
            causes,
            follow_ups,
            actor,
            utcnow(),
        )
    entry(session, incident, "review", actor, summary, follow_ups=len(follow_ups))
    await session.flush()
    return row


async def drills(session: AsyncSession, estate_id: uuid.UUID) -> list[dict]:
    """Per playbook: the last drill and whether a year has passed without one (residential buildings drill at
    least once a year)."""
    rows = dict(
        (
            await session.execute(
                select(Incident.playbook_key, func.max(Incident.triggered_at))
                .where(Incident.estate_id == estate_id, Incident.drill.is_(True))
                .group_by(Incident.playbook_key)
            )
        ).all()
    )
    year_ago = utcnow() - dt.timedelta(days=365)
    return [
        {
            "playbook": key,
            "last_drill_at": rows.get(key),
            "overdue": rows.get(key) is None or rows[key] < year_ago,
        }
        for key in sorted(seeded())
    ]


async def alarm(session: AsyncSession, estate_id: uuid.UUID, data) -> tuple[dict, int]:
    """An alarm panel's alarm: the fire playbook starts, or the report joins the active fire incident."""
    if data.estate_id != estate_id:
        raise WrongEstate(
            Text("报警所属小区与地址不符", "The alarm's signed estate is not the estate of this address")
        )
    i, linked = await triggering.trigger(
        session,
        estate_id,
        "fire",
        description=f"火警报警 alarm panel {data.panel}: {data.kind} {data.zone}".strip(),
        building_id=data.building_id,
        floors=data.floors,
        location=data.zone,
        source="webhook",
        source_ref=f"{data.panel}:{data.event_id}",
        actor=f"panel:{data.panel}",
    )
    return (await incidents.read(session, i, linked=linked)).model_dump(mode="json"), 200
