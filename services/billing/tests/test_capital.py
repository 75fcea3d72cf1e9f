"""The amount in Chinese capital numerals (人民币大写) as a receipt writes it: zeros inside a number collapse
to one 零, a whole amount ends in 整, 角 without 分 needs no 整."""

from __future__ import annotations

import pytest

from propdesk.billing.service.receipts import capital


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (10, "壹角"),
        (100, "壹元整"),
        (1_000, "壹拾元整"),
        (1_005, "壹拾元零伍分"),
        (100_050, "壹仟元伍角"),
        (1_000_001, "壹万元零壹分"),
        (1_010_101, "壹万零壹佰零壹元零壹分"),
        (1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (20_000_000, "贰拾万元整"),
        (100_000_000, "壹佰万元整"),
        (123_456_789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (10_000_000_000, "壹亿元整"),
        (10_000_010_000, "壹亿零壹佰元整"),
        (-250, "负贰元伍角"),
    ],
)
def test_capital_numerals(fen, words):
    assert capital(fen) == words
