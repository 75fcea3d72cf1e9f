"""Follow-ups (回访) and the activity log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import (
    AwareDatetime,
    Field,
    model_validator,
)

from propdesk.intake.schemas.common import ActivityRead, Input, Note, Output

# ---------------------------------------------------------------- follow-ups


class FollowUpCreate(Input):
    unit_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    due_at: AwareDatetime
    note: Note | None = None

    @model_validator(mode="after")
    def _someone(self) -> FollowUpCreate:
        if self.unit_id is None and self.resident_id is None:
            raise ValueError("a follow-up needs a unit or a resident")
        return self


class FollowUpAssign(Input):
    staff_id: uuid.UUID
    scheduled_at: AwareDatetime | None = None


class FollowUpAttempt(Input):
    outcome: Literal["reached", "unreachable"]
    score: int | None = Field(default=None, ge=1, le=5, description="satisfaction 1-5 when reached")
    comment: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _score_when_reached(self) -> FollowUpAttempt:
        if self.outcome == "reached" and self.score is None:
            raise ValueError("a reached follow-up needs the resident's score (1-5)")
        if self.outcome == "unreachable" and self.score is not None:
            raise ValueError("an unreachable attempt has no score")
        return self


class FollowUpAnswer(Input):
    score: int = Field(ge=1, le=5, description="1 very dissatisfied … 5 very satisfied")
    comment: str | None = Field(default=None, max_length=2000)


class FollowUpCancel(Input):
    note: Note | None = None


class FollowUpRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    source_kind: str
    source_id: uuid.UUID | None
    source_reference: str | None
    category: str | None
    unit_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    note: str | None
    state: str
    scheduled_at: dt.datetime | None
    due_at: dt.datetime
    attempts: int
    max_attempts: int
    overdue: bool
    score: int | None
    comment: str | None
    answered_by: str | None
    answered_at: dt.datetime | None
    complaint_case_id: uuid.UUID | None
    created_at: dt.datetime
    timeline: list[ActivityRead] = []
