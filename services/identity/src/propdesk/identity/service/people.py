"""Who people are, from intake's events: residents with their open occupancies, staff with their roles. A
token's claims are derived from here, never typed in; when what a person may claim changes (a move-out, a
role change, leaving), their sessions are revoked at once and their next token carries the new claims."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.contracts import identity as ev
from propdesk.common.contracts import intake
from propdesk.identity.models import Account, Occupancy, Person
from propdesk.identity.service import audit, sessions


@dataclass(frozen=True)
class Claims:
    sub: str
    name: str | None
    roles: list[str]
    estates: list[uuid.UUID]
    units: list[uuid.UUID]
    all_estates: bool = False

    @property
    def usable(self) -> bool:
        """A resident with no unit, or staff without a role, has nothing to sign in to."""
        return bool(self.roles) and (self.roles != ["resident"] or bool(self.units))


def e164(phone: str, region: str = "CN") -> str | None:
    """A phone number as E.164, or None when it is not one."""
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def claims_of(session: AsyncSession, account: Account) -> Claims:
    if account.kind == "platform":
        return Claims(
            sub=str(account.id), name=account.name, roles=["admin"], estates=[], units=[], all_estates=True
        )
    person = await session.get(Person, account.person_id)
    if person is None or not person.active:
        return Claims(sub=str(account.person_id), name=account.name, roles=[], estates=[], units=[])
    if person.kind == "staff":
        return Claims(str(person.id), person.name, sorted(person.roles), [person.estate_id], [])
    units = (
        await session.execute(
            select(Occupancy.unit_id)
            .where(Occupancy.resident_id == person.id, Occupancy.active)
            .order_by(Occupancy.unit_id)
        )
    ).scalars()
    return Claims(str(person.id), person.name, ["resident"], [person.estate_id], list(dict.fromkeys(units)))


async def _account_of(session: AsyncSession, person: Person) -> Account:
    """The person's account (made when intake registers them)."""
    found = (
        await session.execute(select(Account).where(Account.person_id == person.id))
    ).scalar_one_or_none()
    if found is None:
        found = Account(
            person_id=person.id,
            estate_id=person.estate_id,
            kind=person.kind,
            name=person.name,
            login=None,
        )
        session.add(found)
        await session.flush()
    found.name = person.name
    return found


async def _changed(session: AsyncSession, person: Person, before: Claims | None) -> None:
    account = await _account_of(session, person)
    after = await claims_of(session, account)
    if before is None or (before.roles, before.estates, before.units) == (
        after.roles,
        after.estates,
        after.units,
    ):
        return
    revoked = await sessions.revoke_all(session, account, reason="claims_changed")
    audit.record(
        session,
        "claims_changed",
        account=account,
        actor="system",
        sessions=revoked,
        event=ev.ClaimsChanged(
            person_id=person.id,
            estate_id=person.estate_id,
            roles=after.roles,
            estates=after.estates,
            units=after.units,
        ),
    )


async def _before(session: AsyncSession, person_id: uuid.UUID) -> Claims | None:
    account = (
        await session.execute(select(Account).where(Account.person_id == person_id))
    ).scalar_one_or_none()
    return None if account is None else await claims_of(session, account)


async def on_resident(session: AsyncSession, event: intake.ResidentSnapshot) -> None:
    await _upsert(
        session,
        id=event.resident_id,
        estate_id=event.estate_id,
        kind="resident",
        name=event.name,
        phone=e164(event.phone) or event.phone,
        language=event.language,
        roles=["resident"],
        active=True,
    )


async def on_staff(session: AsyncSession, event: intake.StaffSnapshot) -> None:
    await _upsert(
        session,
        id=event.staff_id,
        estate_id=event.estate_id,
        kind="staff",
        name=event.name,
        phone=(e164(event.phone) or event.phone) if event.phone else None,
        language="zh-CN",
        roles=sorted(event.roles),
        active=event.active,
    )


async def _upsert(session: AsyncSession, **row) -> None:
    before = await _before(session, row["id"])
    await session.execute(
        insert(Person)
        .values(**row)
        .on_conflict_do_update(index_elements=["id"], set_={k: v for k, v in row.items() if k != "id"})
    )
    person = await session.get(Person, row["id"], populate_existing=True)
    await _changed(session, person, before)


async def on_occupancy(session: AsyncSession, event: intake.OccupancySnapshot, *, started: bool) -> None:
    before = await _before(session, event.resident_id)
    active = started and event.ended_on is None
    await session.execute(
        insert(Occupancy)
        .values(
            id=event.occupancy_id,
            resident_id=event.resident_id,
            unit_id=event.unit_id,
            estate_id=event.estate_id,
            active=active,
        )
        .on_conflict_do_update(index_elements=["id"], set_={"active": active})
    )
    person = await session.get(Person, event.resident_id)
    if person is not None:
        await _changed(session, person, before)


async def residents_by_phone(session: AsyncSession, phone: str) -> list[Person]:
    return list(
        (
            await session.execute(
                select(Person)
                .where(Person.phone == phone, Person.kind == "resident", Person.active)
                .order_by(Person.id)
            )
        ).scalars()
    )
