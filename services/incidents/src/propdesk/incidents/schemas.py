from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class ResponseTargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    estate_id: uuid.UUID
    incident_kind: str
    step: str
    target_minutes: int
    source: str
