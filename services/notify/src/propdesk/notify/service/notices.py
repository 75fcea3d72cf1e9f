"""Notices: a manager or duty officer tells residents (by unit, building, floor) or staff (by role)
something, in both languages; and incidents' broadcasts (emergencies, planned outages)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.i18n import Text
from propdesk.common.ids import uuid7
from propdesk.notify.errors import WrongEstate
from propdesk.notify.service import fanout, recipients

TEXTS = ("title_zh", "body_zh", "title_en", "body_en")


async def audience_of(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    recipient_ids: list[uuid.UUID] = (),
    unit_ids: list[uuid.UUID] = (),
    building_ids: list[uuid.UUID] = (),
    floors: list[int] = (),
    staff_roles: list[str] = (),
    all_residents: bool = False,
    refuse_foreign: bool = True,
) -> list[recipients.Person]:
    """The people a notice reaches. A request naming people, units or buildings of another estate is refused
    (`refuse_foreign`); an estate's own event (incidents' broadcast) may name a unit notify does not know yet."""
    foreign = (
        []
        if not refuse_foreign
        else await recipients.not_of_estate(
            session,
            estate_id,
            recipient_ids=list(recipient_ids),
            unit_ids=list(unit_ids),
            building_ids=list(building_ids),
        )
    )
    if foreign:
        raise WrongEstate(
            Text(
                "通知对象中有不属于该小区的人、房屋或楼栋",
                "Some people, units or buildings named are not this estate's",
            ),
            ids=[str(i) for i in foreign[:20]],
        )
    units = list(unit_ids)
    if building_ids:
        units += await recipients.units_in_scope(session, estate_id, building_ids=building_ids, floors=floors)
    return await recipients.in_scope(
        session,
        estate_id,
        recipient_ids=list(recipient_ids),
        unit_ids=units,
        staff_roles=list(staff_roles),
        all_residents=all_residents,
    )


async def send(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    texts: dict,
    category: str,
    critical: bool,
    source_event_id: uuid.UUID | None = None,
    **scope,
) -> tuple[uuid.UUID, int]:
    """Returns (the notice's id, how many people it was planned for)."""
    notice_id = source_event_id or uuid7()
    people = await audience_of(session, estate_id, **scope)
    sent = await fanout.broadcast(
        session,
        fanout.Audience(notice_id, "notify.notice", estate_id, category, critical),
        people,
        texts,
    )
    return notice_id, sent
