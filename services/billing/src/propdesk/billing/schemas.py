from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class LedgerAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    estate_id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    kind: str
