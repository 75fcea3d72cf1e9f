"""Money is integer fen. Rates may be Decimal. One rounding policy: ROUND_HALF_UP to the fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Fen = int
ROUNDING = ROUND_HALF_UP


def to_fen(amount: Decimal | int | str) -> Fen:
    """Round a fen amount that may carry fractions (rate x quantity) to whole fen."""
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    return int(value.quantize(Decimal(1), rounding=ROUNDING))


def yuan_to_fen(yuan: Decimal | str | int) -> Fen:
    return to_fen(Decimal(yuan) * 100)


def multiply(fen_rate: Decimal | int | str, quantity: Decimal | int | str) -> Fen:
    """rate (fen, may be fractional) x quantity, rounded once at the end."""
    return to_fen(Decimal(fen_rate) * Decimal(quantity))


def format_yuan(fen: Fen) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def split_evenly(total: Fen, parts: int) -> list[Fen]:
    """Split without losing a fen: the first `remainder` parts get one fen more."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, remainder = divmod(total, parts)
    return [base + (1 if i < remainder else 0) for i in range(parts)]
