"""Passwords: argon2id (argon2-cffi) at a configured cost; what counts as strong enough; recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from propdesk.common.i18n import Text
from propdesk.identity.config import IdentitySettings
from propdesk.identity.errors import WeakPassword

MIN_LENGTH = 10
_hashers: dict[tuple[int, int, int], PasswordHasher] = {}
# verifying against this when no account matches costs the same time as a real check (no timing oracle)
_DUMMY: dict[tuple[int, int, int], str] = {}


def hasher(settings: IdentitySettings) -> PasswordHasher:
    key = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
        _DUMMY[key] = _hashers[key].hash(secrets.token_urlsafe(16))
    return _hashers[key]


def hash_password(settings: IdentitySettings, password: str) -> str:
    return hasher(settings).hash(password)


def verify(settings: IdentitySettings, stored: str | None, password: str) -> bool:
    h = hasher(settings)
    try:
        if stored is None:
            h.verify(
                _DUMMY[(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)],
                password,
            )
            return False
        return h.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def check_strength(password: str, *, login: str | None, old: str | None = None) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(Text(f"密码至少 {MIN_LENGTH} 位", f"at least {MIN_LENGTH} characters"))
    if login and login.lower() in password.lower():
        raise WeakPassword(Text("密码不能包含登录名", "the password must not contain the login name"))
    if old is not None and password == old:
        raise WeakPassword(Text("新密码不能与旧密码相同", "the new password must differ from the old one"))
    if len(set(password)) < 4:
        raise WeakPassword(Text("密码过于简单", "the password is too simple"))


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 (codes, recovery codes, refresh tokens): a stolen table row does not give the value."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(n: int = 10) -> list[str]:
    return [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(n)]
