"""Phones (phonenumbers) and Chinese resident ID numbers (python-stdnum cn.ric).

An ID number is never stored or logged in plain text: only a mask (first 3 and last 4 characters) and a
keyed hash (HMAC-SHA256 with a secret) that lets the desk find a person by ID without being able to
recover the number.
"""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError


def normalize_phone(raw: str, region: str = "CN") -> str:
    """Return E.164 (+8613812345678) or raise ValueError with a reason a person understands."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_for_search(raw: str) -> str:
    """Normalise a search term: a full number becomes E.164; digits-only fragments stay as they are."""
    try:
        return normalize_phone(raw)
    except ValueError:
        return "".join(ch for ch in raw if ch.isdigit() or ch == "+")


def check_id_number(raw: str) -> str:
    """Validate a mainland resident ID (18 characters with checksum and birth date); return it compact."""
    try:
        return ric.validate(raw)
    except StdnumError as exc:
        raise ValueError("not a valid resident ID number (居民身份证号码无效)") from exc


def mask_id_number(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def hash_id_number(number: str, key: str) -> str:
    return hmac.new(key.encode(), number.upper().encode(), hashlib.sha256).hexdigest()
