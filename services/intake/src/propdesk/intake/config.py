from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from propdesk.common.settings import ServiceSettings

DEV_ID_HASH_KEY = "propdesk-dev-id-hash-key"


class IntakeSettings(ServiceSettings):
    """Intake's settings (`PROPDESK_INTAKE_*`)."""

    id_hash_key: SecretStr | None = None  # keyed hash of ID numbers; required outside dev mode
    import_max_rows: int = 200_000
    walk_in_visit_hours: int = 4  # a walk-in visit's window unless given
    missed_call_callback_minutes: int = 30  # a missed inbound call is called back within this time

    @model_validator(mode="after")
    def _id_key_outside_dev(self) -> Self:
        if self.id_hash_key is None:
            if not self.dev:
                raise ValueError("PROPDESK_INTAKE_ID_HASH_KEY is required outside dev mode")
            self.id_hash_key = SecretStr(DEV_ID_HASH_KEY)
        return self
