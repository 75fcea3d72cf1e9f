"""Satisfaction: a follow-up's answer, by the resident or by staff on the phone. A score at or below the
estate's threshold opens a complaint linked to the original work and tells repairs (which reopens the order).
Apart from `followups` (which only schedules and tracks them), so that cases can schedule follow-ups and
follow-ups can open cases without either importing the other."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow
from propdesk.intake.models import Case, FollowUp
from propdesk.intake.schemas import CaseCreate
from propdesk.intake.service import cases, policy
from propdesk.intake.service.activity import SYSTEM, actor_of, log
from propdesk.intake.service.followups import COMPLAINT_CATEGORY, _require_open, ref


async def attempt(
    session: AsyncSession,
    follow_up: FollowUp,
    *,
    outcome: str,
    score: int | None,
    comment: str | None,
    note: str | None,
    principal: Principal,
) -> FollowUp:
    """Staff called: 'reached' with the resident's score, or 'unreachable' (the last allowed try gives up)."""
    _require_open(follow_up, "attempted")
    follow_up.attempts += 1
    actor = actor_of(principal)
    log(
        session,
        "follow_up",
        follow_up.id,
        "attempt",
        actor,
        note,
        outcome=outcome,
        attempt=follow_up.attempts,
    )
    if outcome == "reached":
        if score is None:
            raise InvalidInput(Text("接通后须记录满意度评分", "A reached follow-up needs the score"))
        return await _complete(session, follow_up, score, comment, answered_by="staff", actor=actor)
    if follow_up.attempts >= follow_up.max_attempts:
        follow_up.state = "unreachable"
        timers.cancel(session, f"follow_up:{follow_up.id}:due")
        log(session, "follow_up", follow_up.id, "unreachable", actor, attempts=follow_up.attempts)
    await session.flush()
    return follow_up


async def answer(
    session: AsyncSession, follow_up: FollowUp, *, score: int, comment: str | None, principal: Principal
) -> FollowUp:
    """The resident answers their own follow-up (also after the desk gave up reaching them)."""
    _require_open(follow_up, "answered", also=frozenset({"unreachable"}))
    return await _complete(
        session, follow_up, score, comment, answered_by="resident", actor=actor_of(principal)
    )


async def _complete(
    session: AsyncSession,
    follow_up: FollowUp,
    score: int,
    comment: str | None,
    *,
    answered_by: str,
    actor: str,
) -> FollowUp:
    now = utcnow()
    follow_up.state, follow_up.score, follow_up.comment = "completed", score, comment
    follow_up.answered_by, follow_up.answered_at = answered_by, now
    timers.cancel(session, f"follow_up:{follow_up.id}:due")
    log(session, "follow_up", follow_up.id, "completed", actor, comment, score=score, answered_by=answered_by)
    await session.flush()
    outbox.record(
        session,
        ev.FollowUpCompleted(**ref(follow_up), score=score, comment=comment, answered_by=answered_by),
        aggregate_id=follow_up.id,
        estate_id=follow_up.estate_id,
    )
    rules = await policy.load(session, follow_up.estate_id)
    if score <= rules.dissatisfied_at_or_below:
        await _dissatisfied(session, follow_up, actor)
    return follow_up


async def _dissatisfied(session: AsyncSession, follow_up: FollowUp, actor: str) -> None:
    """A bad score: a complaint linked to the original work, and the event repairs reopens the order from."""
    category = COMPLAINT_CATEGORY.get(follow_up.source_kind)
    if follow_up.source_kind == "complaint" and follow_up.source_id is not None:
        original = await session.get(Case, follow_up.source_id)
        category = original.category if original is not None else "other"
    subject = f"回访不满意 / Dissatisfied follow-up: {follow_up.source_reference or follow_up.source_kind}"
    complaint = await cases.open_case(
        session,
        follow_up.estate_id,
        CaseCreate(
            kind="complaint",
            channel="phone" if follow_up.answered_by == "staff" else "app",
            category=category or "other",
            unit_id=follow_up.unit_id,
            resident_id=follow_up.resident_id,
            subject=subject[:200],
            description=f"评分 score {follow_up.score}/5. {follow_up.comment or ''}".strip(),
        ),
        principal=SYSTEM,
    )
    if follow_up.source_kind == "work_order":
        complaint.work_order_id = follow_up.source_id
    elif follow_up.source_kind == "complaint":
        complaint.repeat_of = follow_up.source_id
    follow_up.complaint_case_id = complaint.id
    log(session, "follow_up", follow_up.id, "complaint_opened", actor, None, case=complaint.reference)
    await session.flush()
    outbox.record(
        session,
        ev.FollowUpDissatisfied(
            **ref(follow_up),
            score=follow_up.score,
            comment=follow_up.comment,
            complaint_case_id=complaint.id,
            complaint_reference=complaint.reference,
            work_order_id=follow_up.source_id if follow_up.source_kind == "work_order" else None,
        ),
        aggregate_id=follow_up.id,
        estate_id=follow_up.estate_id,
    )
