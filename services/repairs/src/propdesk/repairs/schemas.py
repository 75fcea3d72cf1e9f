from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class SlaTargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    estate_id: uuid.UUID
    urgency: str
    milestone: str
    target_minutes: int
    calendar: str
