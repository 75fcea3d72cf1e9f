"""The estate's desk policy for part 2: follow-up sampling and due times, renovation hours and deposit,
violation deadlines, vacant-unit inspection interval. Defaults come from the manuals; each estate may
override them (one validated document per estate)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field, model_validator
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.inputs import Input, LocalTime
from propdesk.common.timeutil import BusinessCalendar, to_local
from propdesk.intake.models import DeskPolicy


class Sampling(Input):
    sample_percent: int = Field(100, ge=0, le=100, description="share of sources that get a follow-up")
    due_days: int = Field(ge=1, le=60, description="days after the source event the follow-up is due")


class Window(Input):
    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("a working window must end after it starts")
        return self


class Policy(Input):
    follow_up_work_order: Sampling = Sampling(sample_percent=100, due_days=7)
    follow_up_complaint: Sampling = Sampling(sample_percent=100, due_days=3)
    follow_up_renovation: Sampling = Sampling(sample_percent=100, due_days=7)
    follow_up_max_attempts: int = Field(3, ge=1, le=10)
    dissatisfied_at_or_below: int = Field(2, ge=1, le=4)
    renovation_hours: list[Window] = Field(
        default_factory=lambda: [
            Window(start=dt.time(8), end=dt.time(12)),
            Window(start=dt.time(14), end=dt.time(18)),
        ],
        min_length=1,
        max_length=6,
    )
    renovation_working_days_only: bool = True
    renovation_deposit_fen: int = Field(200_000, ge=0, description="default deposit, integer fen (¥2,000)")
    violation_rectify_days: int = Field(7, ge=1, le=90)
    violation_escalate_after_days: int = Field(
        3, ge=1, le=30, description="a violation still not rectified escalates again after this many days"
    )
    vacant_inspection_days: int = Field(30, ge=1, le=365)

    def sampling(self, source_kind: str) -> Sampling:
        return getattr(self, f"follow_up_{source_kind}", Sampling(sample_percent=100, due_days=3))

    def may_renovate(self, at: dt.datetime, tz: str) -> tuple[bool, str]:
        """Whether noisy works are permitted at `at` (estate local time), with the reason."""
        local = to_local(at, tz)
        if self.renovation_working_days_only and not BusinessCalendar().is_working_day(local.date()):
            return False, "not a working day"
        for window in self.renovation_hours:
            if window.start <= local.time() < window.end:
                return True, f"inside {window.start:%H:%M}-{window.end:%H:%M}"
        hours = ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in self.renovation_hours)
        return False, f"outside the permitted hours ({hours})"


def sampled(source_id: uuid.UUID, percent: int) -> bool:
    """Deterministic sampling: the same source is always in or always out (replays agree)."""
    return source_id.int % 100 < percent


async def load(session: AsyncSession, estate_id: uuid.UUID) -> Policy:
    row = await session.get(DeskPolicy, estate_id)
    return Policy.model_validate(row.policy) if row is not None else Policy()


async def save(session: AsyncSession, estate_id: uuid.UUID, policy: Policy, actor: str) -> Policy:
    doc = policy.model_dump(mode="json")
    stmt = pg_insert(DeskPolicy).values(estate_id=estate_id, policy=doc, updated_by=actor)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["estate_id"],
            set_={"policy": doc, "updated_by": actor, "updated_at": dt.datetime.now(dt.UTC)},
        )
    )
    return policy
