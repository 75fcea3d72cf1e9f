"""Pure pieces: money, i18n, business calendar, settings, event catalog, demo generator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from propdesk.common import money
from propdesk.common.contracts import load_catalog
from propdesk.common.demo import generate
from propdesk.common.events import CATALOG, EventPayload, event
from propdesk.common.i18n import negotiate
from propdesk.common.settings import CommonSettings, ServiceSettings
from propdesk.common.timeutil import BusinessCalendar


class TestMoney:
    def test_round_half_up_to_the_fen(self):
        assert money.to_fen(Decimal("10.5")) == 11
        assert money.to_fen(Decimal("10.49")) == 10
        assert money.to_fen(Decimal("-10.5")) == -11  # half away from zero, the same both ways
        assert money.multiply(Decimal("2.35") * 100, Decimal("118.37")) == 27817  # 2.35 yuan/m² x 118.37 m²

    def test_yuan_and_format(self):
        assert money.yuan_to_fen("1234.565") == 123457
        assert money.format_yuan(123457) == "¥1,234.57"
        assert money.format_yuan(-5) == "-¥0.05"

    def test_split_never_loses_a_fen(self):
        parts = money.split_evenly(1000, 3)
        assert parts == [334, 333, 333] and sum(parts) == 1000

    @pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity"])
    def test_garbage_is_refused(self, bad):
        with pytest.raises(ValueError):
            money.to_fen(bad)


class TestI18n:
    @pytest.mark.parametrize(
        ("header", "lang"),
        [
            (None, "zh-CN"),
            ("en-US,en;q=0.9", "en"),
            ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
            ("en;q=0.5, zh;q=0.9", "zh-CN"),
            ("fr-FR", "zh-CN"),
            ("de, en;q=0.1", "en"),
            ("en;q=abc", "zh-CN"),
        ],
    )
    def test_negotiate(self, header, lang):
        assert negotiate(header) == lang


class TestBusinessCalendar:
    cal = BusinessCalendar()

    def test_national_day_holiday_and_adjusted_working_saturday(self):
        assert not self.cal.is_working_day(dt.date(2025, 10, 1))  # 国庆节
        assert self.cal.is_working_day(dt.date(2025, 9, 28))  # Sunday made a working day (调休)
        assert self.cal.add_working_days(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)

    def test_business_time_skips_nights_and_holidays(self):
        friday_1700_local = dt.datetime(2025, 9, 26, 9, 0, tzinfo=dt.UTC)  # 17:00 Asia/Shanghai
        due = self.cal.add_business_time(friday_1700_local, dt.timedelta(hours=3))
        # 1 h on Friday, then Saturday 27th is a normal weekend, Sunday 28th is a working day: 2 h more
        assert due == dt.datetime(2025, 9, 28, 3, 0, tzinfo=dt.UTC)  # 11:00 local on the adjusted Sunday

    def test_business_time_between_is_the_inverse_of_adding_it(self):
        start = dt.datetime(2025, 9, 26, 9, 0, tzinfo=dt.UTC)
        for hours in (1, 3, 9, 30, 100):
            due = self.cal.add_business_time(start, dt.timedelta(hours=hours))
            assert self.cal.business_time_between(start, due) == dt.timedelta(hours=hours)
        assert self.cal.business_time_between(due, start) == dt.timedelta(0)


class TestSettings:
    def test_secret_required_outside_dev(self, monkeypatch):
        monkeypatch.delenv("PROPDESK_JWT_SECRET", raising=False)
        monkeypatch.setenv("PROPDESK_DEV", "0")
        with pytest.raises(ValidationError, match="PROPDESK_JWT_SECRET"):
            CommonSettings()
        monkeypatch.setenv("PROPDESK_DEV", "1")
        assert CommonSettings().jwt_secret is not None

    def test_production_refuses_the_published_dev_secrets_and_weak_ones(self, monkeypatch):
        from propdesk.billing.config import BillingSettings
        from propdesk.common.settings import DEV_JWT_SECRET, dev_webhook_secret

        monkeypatch.setenv("PROPDESK_DEV", "0")
        with pytest.raises(ValidationError, match="published dev secret"):
            CommonSettings(jwt_secret=DEV_JWT_SECRET)
        with pytest.raises(ValidationError, match="at least 32"):
            CommonSettings(jwt_secret="short-and-guessable")
        strong = "x" * 40
        assert CommonSettings(jwt_secret=strong).jwt_secret.get_secret_value() == strong
        nats = {"jwt_secret": strong, "nats_user": "billing", "nats_password": "p" * 24}
        with pytest.raises(ValidationError, match="PROPDESK_BILLING_PAYMENT_WEBHOOK_SECRET is required"):
            BillingSettings.for_service("billing", **nats)
        with pytest.raises(ValidationError, match="published dev secret"):
            BillingSettings.for_service(
                "billing", **nats, payment_webhook_secret=dev_webhook_secret("payment-gateway")
            )
        with pytest.raises(ValidationError, match="at least 24 bytes"):
            BillingSettings.for_service("billing", **nats, payment_webhook_secret="whsec_c2hvcnQ=")
        own = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="  # 26 bytes
        with pytest.raises(ValidationError, match="PROPDESK_BILLING_NATS_PASSWORD"):
            BillingSettings.for_service("billing", jwt_secret=strong, payment_webhook_secret=own)
        ok = BillingSettings.for_service("billing", **nats, payment_webhook_secret=own)
        assert ok.payment_webhook_secret.get_secret_value() == own

    def test_service_section_overrides_common(self, monkeypatch):
        monkeypatch.setenv("PROPDESK_DEV", "1")
        monkeypatch.setenv("PROPDESK_CONSUMER_BATCH", "7")
        monkeypatch.setenv("PROPDESK_REPAIRS_CONSUMER_BATCH", "9")
        monkeypatch.setenv("PROPDESK_REPAIRS_PORT", "9102")
        s = ServiceSettings.for_service("repairs")
        assert (s.consumer_batch, s.port) == (9, 9102)
        assert ServiceSettings.for_service("billing").consumer_batch == 7

    def test_a_service_section_list_is_json_as_in_the_common_section(self, monkeypatch):
        from propdesk.identity.config import IdentitySettings

        monkeypatch.setenv("PROPDESK_DEV", "1")
        monkeypatch.setenv("PROPDESK_IDENTITY_OIDC_RETURN_URLS", '["http://console:8107/"]')
        s = IdentitySettings.for_service("identity")
        assert s.oidc_return_urls == ["http://console:8107/"]


class TestCatalog:
    def test_every_event_is_well_formed(self):
        specs = list(load_catalog())
        assert len(specs) >= 6
        for spec in specs:
            assert spec.subject().startswith(f"propdesk.{spec.producer}.{spec.aggregate}.")
            assert spec.summary

    def test_bad_event_type_is_refused(self):
        with pytest.raises(ValueError, match=r"<service>\.<aggregate>\.<event>"):

            @event("nobody.thing.happened", summary="x")
            class Bad(EventPayload):
                pass

        assert all(s.producer != "nobody" for s in CATALOG)


class TestDemo:
    def test_deterministic_and_realistic(self):
        a, b = generate(), generate()
        assert a.as_dict() == b.as_dict()
        assert a.name == "阳明山庄"
        s = a.summary()
        assert s["units"] > 200 and s["residents"] > 300 and s["technicians"] >= 6
        assert all(2 <= len(r.name) <= 4 for r in a.residents)
        assert any("elevator" in t.skills and t.certificates for t in a.staff if t.role == "technician")


class TestPrefixSearch:
    def test_successor(self):
        from propdesk.common.search import successor

        assert successor("王") == "玌" and successor("4321") == "4322" and successor("") is None
        assert successor("a\U0010ffff") == "b"


def test_uuid7_is_rfc_9562_version_7_and_strictly_increasing():
    import time
    import uuid

    from propdesk.common.ids import uuid7

    before = time.time_ns() // 1_000_000
    ids = [uuid7() for _ in range(20_000)]  # more than 4,096 in a millisecond, surely
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    first_ms, last_ms = ids[0].int >> 80, ids[-1].int >> 80
    assert before <= first_ms and last_ms <= time.time_ns() // 1_000_000 + 20_000 // 4096 + 1
    # built without UUID's constructor: still an ordinary UUID in every way that matters
    import pickle

    same = uuid.UUID(str(ids[0]))
    assert same == ids[0] and hash(same) == hash(ids[0]) and pickle.loads(pickle.dumps(ids[0])) == same
    assert ids[0].is_safe == uuid.SafeUUID.unknown and {ids[0]: 1}[same] == 1


def test_ttl_cache_forgets_keys_and_stays_bounded():
    from propdesk.common.cache import TTLCache

    cache = TTLCache(ttl=60, max_entries=3)
    for key in "abc":
        cache.put(key, key.upper())
    cache.discard("b", "missing")  # a known key goes, an unknown one is no error
    assert [cache.get(k, None) for k in "abc"] == ["A", None, "C"]
    cache.put("d", "D")
    cache.put("e", "E")  # full: the oldest ("a") makes room
    assert [cache.get(k, None) for k in "acde"] == [None, "C", "D", "E"]
    cache.put("c", "C2")  # replacing a key drops nothing
    assert [cache.get(k, None) for k in "cde"] == ["C2", "D", "E"]
    short = TTLCache(ttl=-1, max_entries=2)  # every entry already expired: they go before any live one
    short.put("x", 1)
    short.put("y", 2)
    short.put("z", 3, ttl=60)
    assert short.get("z") == 3 and len(short._entries) == 1
