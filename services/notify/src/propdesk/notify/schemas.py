from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict


class QuietHoursRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    estate_id: uuid.UUID
    starts: dt.time
    ends: dt.time
    timezone: str
    applies_to: str


_ = dt
