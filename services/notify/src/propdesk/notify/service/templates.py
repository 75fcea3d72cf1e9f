"""Templates: the defaults in code (`defaults.py`) and the overrides saved through the API, checked by
rendering them with sample values of every field of their event."""

from __future__ import annotations

import uuid
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.cache import TTLCache
from propdesk.common.events import CATALOG
from propdesk.common.ids import uuid7
from propdesk.common.timeutil import utcnow
from propdesk.notify.defaults import default_templates
from propdesk.notify.errors import TemplateBroken
from propdesk.notify.models import Template, estate
from propdesk.notify.schemas import TemplateRead
from propdesk.notify.service.render import render

# Saved templates as every message reads them, per (estate, event, channel, language): the estate's own, else
# the platform's, else none. A change through this process forgets them once it commits; other replicas within
# the TTL.
CACHE = TTLCache(ttl=5.0)


@lru_cache(maxsize=1)
def defaults() -> dict:
    return default_templates()


async def _saved(
    session: AsyncSession, estate_id: uuid.UUID | None, event_type: str, channel: str, lang: str
) -> tuple | None:
    async def load():
        row = (
            await session.execute(
                select(Template.subject, Template.body)
                .where(
                    Template.event_type == event_type,
                    Template.channel == channel,
                    Template.language == lang,
                    or_(Template.estate_id == estate_id, Template.estate_id.is_(None)),
                )
                .order_by(Template.estate_id.nulls_last())
                .limit(1)
            )
        ).first()
        return None if row is None else (row.subject, row.body)

    return await CACHE.load(session, (estate_id, event_type, channel, lang), load)


async def template_for(
    session: AsyncSession, event_type: str, channel: str, language: str, estate_id: uuid.UUID | None = None
) -> tuple[str | None, str]:
    """The estate's own template, else the platform's, else the default; the recipient's language, else
    zh-CN."""
    for lang in dict.fromkeys((language, "zh-CN")):
        saved = await _saved(session, estate_id, event_type, channel, lang)
        if saved is not None:
            return saved
        if (event_type, channel, lang) in defaults():
            return defaults()[(event_type, channel, lang)]
    raise TemplateBroken(f"no template for {event_type} / {channel}")


def sample_context(event_type: str) -> dict:
    """Placeholder values for a preview or a check: every payload field with a plausible value."""
    context: dict = {
        "estate": {"name": "阳明山庄", "timezone": "Asia/Shanghai"},
        "recipient": {"name": "王建国", "language": "zh-CN"},
        "title_zh": "停水通知",
        "body_zh": "明日 9:00-12:00 停水",
        "title_en": "Water off",
        "body_en": "Water is off tomorrow 9:00-12:00",
        "code": "123456",
        "minutes": 5,
    }
    spec = next((s for s in CATALOG if s.type == event_type), None)
    if spec is not None:
        for name, field in spec.model.model_fields.items():
            text = str(field.annotation)
            context[name] = (
                "2026-12-01T09:00:00+08:00"
                if "date" in text
                else 1
                if "int" in text
                else "complaint"
                if name == "kind"
                else "first_response"
                if name == "milestone"
                else "supervisor"
                if name == "to"
                else f"<{name}>"
            )
    return context


async def in_force(
    session: AsyncSession, estate_id: uuid.UUID | None, event_type: str | None
) -> list[TemplateRead]:
    """What an estate's people get (or, with no estate, what every estate gets unless it has its own)."""
    rows = (
        await session.execute(
            select(Template).where(or_(Template.estate_id == estate_id, Template.estate_id.is_(None)))
        )
    ).scalars()
    saved: dict[tuple, Template] = {}
    for t in rows:  # the estate's own over the platform's
        key = (t.event_type, t.channel, t.language)
        if key not in saved or t.estate_id is not None:
            saved[key] = t
    out = []
    for key, (subject, body) in sorted(defaults().items()):
        if event_type and key[0] != event_type:
            continue
        row = saved.get(key)
        out.append(
            TemplateRead(
                estate_id=estate_id,
                event_type=key[0],
                channel=key[1],
                language=key[2],
                subject=row.subject if row else subject,
                body=row.body if row else body,
                source="default" if row is None else ("platform" if row.estate_id is None else "estate"),
            )
        )
    return out


async def save(
    session: AsyncSession,
    *,
    estate_id: uuid.UUID | None,
    event_type: str,
    channel: str,
    language: str,
    subject: str | None,
    body: str,
    actor: str,
) -> TemplateRead:
    """An estate's own template (or, with no estate, the platform's), checked by rendering it first."""
    if (event_type, channel, language) not in defaults():
        raise TemplateBroken(f"no message is sent for {event_type} on {channel}")
    context = sample_context(event_type)
    render(subject or "", context)
    render(body, context)
    if estate_id is not None:
        await projections.require_known_estate(session, estate, estate_id, "notify")
    values = {
        "estate_id": estate_id,
        "event_type": event_type,
        "channel": channel,
        "language": language,
        "subject": subject,
        "body": body,
    }
    stmt = pg_insert(Template).values(id=uuid7(), updated_by=actor, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_template_estate_id_event_type_channel_language",
            set_={"subject": subject, "body": body, "updated_by": actor, "updated_at": utcnow()},
        )
    )
    if estate_id is None:  # every estate without its own reads it
        CACHE.invalidate_where(session, lambda k: k[1:] == (event_type, channel, language))
    else:
        CACHE.invalidate(session, (estate_id, event_type, channel, language))
    return TemplateRead(**values, source="estate" if estate_id else "platform")


async def preview(
    session: AsyncSession,
    *,
    estate_id: uuid.UUID | None,
    event_type: str,
    channel: str,
    language: str,
    subject: str | None,
    body: str | None,
    context: dict | None,
) -> tuple[str | None, str]:
    if body is None:
        subject, body = await template_for(session, event_type, channel, language, estate_id)
    values = {**sample_context(event_type), **(context or {})}
    return (render(subject, values) if subject else None), render(body, values)
