"""Sealed values: a secret one service hands another through an event (identity's sign-in code to notify's
SMS sender) travels encrypted and authenticated (Fernet) under the platform's sealing key, so the code is in
no stream, table or log in the clear. Also used for what a service keeps encrypted at rest (identity's
signing keys and TOTP secrets)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

DEV_SEALING_KEY = "propdesk-dev-sealing-key-do-not-use-in-production"
MIN_SEALING_KEY = 32


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(text: str, key: SecretStr | str) -> str:
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    return _fernet(raw).encrypt(text.encode()).decode()


def unseal(token: str, key: SecretStr | str, *, ttl: int | None = None) -> str:
    """The sealed text; ValueError if it was not sealed with this key (or is older than `ttl` seconds)."""
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    try:
        return _fernet(raw).decrypt(token.encode(), ttl=ttl).decode()
    except InvalidToken as exc:
        raise ValueError("not sealed with this key, or expired") from exc


def sealing_key(value: SecretStr | None, *, dev: bool) -> SecretStr:
    """The sealing key from settings: required outside dev mode, never the dev one, long enough."""
    if value is None:
        if not dev:
            raise ValueError(
                f"PROPDESK_SEALING_KEY is required outside dev mode ({MIN_SEALING_KEY}+ characters)"
            )
        return SecretStr(DEV_SEALING_KEY)
    if not dev and value.get_secret_value() == DEV_SEALING_KEY:
        raise ValueError("PROPDESK_SEALING_KEY is the published dev key: set one of your own")
    if len(value.get_secret_value()) < MIN_SEALING_KEY:
        raise ValueError(f"PROPDESK_SEALING_KEY must be at least {MIN_SEALING_KEY} characters")
    return value
