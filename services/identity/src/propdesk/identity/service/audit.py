"""The audit trail: every sign-in, failure, lockout, unlock, revocation, password and claims change is a row
here (for the admins' audit API) and, where other services care, an `identity.*` event. Never a password,
a code or a token."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.events import EventPayload
from propdesk.common.logging import get_logger
from propdesk.common.uow import add
from propdesk.identity.models import Account, AuditEntry

log = get_logger("propdesk.identity")


def record(
    session: AsyncSession,
    kind: str,
    *,
    account: Account | None = None,
    actor: str,
    address: str | None = None,
    event: EventPayload | None = None,
    **detail,
) -> None:
    estate_id = account.estate_id if account is not None else detail.pop("estate_id", None)
    add(
        session,
        AuditEntry(
            kind=kind,
            account_id=account.id if account is not None else None,
            estate_id=estate_id,
            actor=actor,
            address=address,
            detail={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in detail.items()},
        ),
    )
    if event is not None:
        outbox.record(
            session, event, aggregate_id=account.id if account else uuid.uuid4(), estate_id=estate_id
        )
    log.info(
        f"identity.{kind}",
        account_id=str(account.id) if account else None,
        **{k: str(v) for k, v in detail.items()},
    )
