"""The second factor: TOTP (RFC 6238, pyotp), enrolled with a QR code and confirmed with a first code;
recovery codes, each good once, kept as keyed hashes."""

from __future__ import annotations

import hmac
import io

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import settings_of
from propdesk.common.sealing import seal, unseal
from propdesk.common.timeutil import utcnow
from propdesk.identity.errors import BadTotpCode, TotpAlreadyEnabled, TotpNotEnrolled
from propdesk.identity.models import Account
from propdesk.identity.schemas import RecoveryCodes, TotpEnrolment
from propdesk.identity.service import audit
from propdesk.identity.service.passwords import keyed_hash, new_recovery_codes

ISSUER = "propdesk"


def _key(session: AsyncSession) -> str:
    return settings_of(session).sealing_key.get_secret_value()


def enrol(session: AsyncSession, account: Account) -> TotpEnrolment:
    """A new secret, pending until confirmed with a first code."""
    if account.totp_enabled:
        raise TotpAlreadyEnabled("an administrator resets it first")
    secret = pyotp.random_base32()
    account.totp_sealed = seal(f"pending:{secret}", _key(session))
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.login or account.name, issuer_name=ISSUER)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=buffer.getvalue().decode())


def confirm(session: AsyncSession, account: Account, code: str) -> RecoveryCodes:
    if not account.totp_sealed:
        raise TotpNotEnrolled("start with POST /v1/me/totp")
    stored = unseal(account.totp_sealed, _key(session))
    if not stored.startswith("pending:"):
        raise TotpNotEnrolled("no enrolment in progress")
    secret = stored.removeprefix("pending:")
    if not pyotp.TOTP(secret).verify(code, valid_window=1):
        raise BadTotpCode("the code does not match: check the device's clock")
    codes = new_recovery_codes()
    account.totp_sealed = seal(f"active:{secret}", _key(session))
    account.totp_enabled = True
    account.recovery_hashes = [keyed_hash(_key(session), f"recovery:{c}") for c in codes]
    audit.record(session, "totp_enabled", account=account, actor=str(account.id))
    return RecoveryCodes(recovery_codes=codes)


def check(session: AsyncSession, account: Account, code: str) -> bool:
    """A current TOTP code, or an unused recovery code (spent by this check)."""
    code = code.strip()
    stored = unseal(account.totp_sealed, _key(session)) if account.totp_sealed else ""
    if stored.startswith("active:") and code.isdigit():
        otp = pyotp.TOTP(stored.removeprefix("active:"))
        now = otp.timecode(utcnow())
        for step in (now - 1, now, now + 1):  # a step either side, for clocks a little off
            if hmac.compare_digest(otp.generate_otp(step), code):
                if account.totp_last_step is not None and step <= account.totp_last_step:
                    return False  # this code (or an older one) was used already: a replay
                account.totp_last_step = step
                return True
    hashed = keyed_hash(_key(session), f"recovery:{code}")
    for known in account.recovery_hashes or []:
        if hmac.compare_digest(known, hashed):
            account.recovery_hashes = [h for h in account.recovery_hashes if h != known]
            audit.record(
                session,
                "recovery_code_used",
                account=account,
                actor=str(account.id),
                left=len(account.recovery_hashes),
            )
            return True
    return False
