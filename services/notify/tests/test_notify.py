"""notify against real PostgreSQL, NATS, an SMTP sink and two HTTP provider sinks."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks.webhooks import Webhook

from propdesk.common.contracts import load_catalog
from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import token, wait_until
from propdesk.notify.defaults import CHANNELS, default_templates
from propdesk.notify.service.render import render

from .conftest import SECRET, deliveries, resident, set_quiet


def test_every_notifying_event_has_templates_in_both_languages():
    templates = default_templates()
    notifying = [spec for spec in load_catalog() if spec.notifies]
    assert len(notifying) >= 10
    from propdesk.notify.service.templates import sample_context

    for spec in notifying:
        for channel in CHANNELS:
            for language in ("zh-CN", "en"):
                _subject, body = templates[(spec.type, channel, language)]
                assert render(body, sample_context(spec.type)), (spec.type, channel, language)


async def notice(p, *, critical=False, units=(), category="notice", **text_overrides):
    body = {
        "unit_ids": [str(u) for u in units],
        "title_zh": "停水通知",
        "body_zh": "明日 9:00-12:00 停水",
        "title_en": "Water off",
        "body_en": "Water is off tomorrow 9:00-12:00",
        "critical": critical,
        "category": category,
        **text_overrides,
    }
    r = await p["notify"].post(f"/v1/estates/{p['estate']['id']}/notices", json=body, headers=p["manager"])
    assert r.status_code == 201, r.text
    return r.json()


async def inbox_of(p, person) -> list[dict]:
    return (await p["notify"].get("/v1/me/inbox", headers=person["token"])).json()["items"]


class TestLanguagesAndChannels:
    async def test_case_resolution_reaches_the_resident_in_english_on_every_channel(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        li = await resident(p)
        case = (
            await p["intake"].post(
                f"/v1/estates/{p['estate']['id']}/cases",
                headers=li["token"],
                json={
                    "kind": "inquiry",
                    "unit_id": li["unit"]["id"],
                    "subject": "Parking card",
                    "description": "How?",
                },
            )
        ).json()
        await p["intake"].post(
            f"/v1/cases/{case['id']}/actions", json={"action": "acknowledge"}, headers=p["desk"]
        )
        await p["intake"].post(
            f"/v1/cases/{case['id']}/actions",
            headers=p["desk"],
            json={"action": "resolve", "note": "Card ready at the desk"},
        )
        [message] = await wait_until(lambda: inbox_of(p, li), message="the resolution in the inbox")
        assert message["title"] == f"Your case was resolved {case['reference']}"
        assert "Card ready at the desk" in message["body"]
        await wait_until(lambda: _sent(p, message["id"], "sms", "email"), message="sms and e-mail sent")
        [sms] = p["sinks"]["primary"].requests
        payload = Webhook(SECRET).verify(sms.body, {k.lower(): v for k, v in sms.headers.items()})
        assert payload["to"] == "+8613912345678" and payload["text"].startswith(
            "[阳明山庄] Your case was resolved"
        )
        [mail] = p["sinks"]["smtp"].mails
        assert mail.recipients == ["lina@example.com"] and mail.subject == message["title"]
        assert "Card ready" in mail.body

    async def test_zh_resident_without_email_gets_chinese_and_email_is_suppressed(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        wang = await resident(p, name="王建国", phone="13812345678", language="zh-CN", email=None)
        await notice(p, units=[wang["unit"]["id"]])
        [message] = await wait_until(lambda: inbox_of(p, wang), message="the notice in the inbox")
        assert (message["title"], message["body"]) == ("停水通知", "明日 9:00-12:00 停水")
        await wait_until(lambda: _sent(p, message["id"], "sms"), message="the sms")
        d = await deliveries(p, message["id"])
        assert (d["email"]["state"], d["email"]["reason"]) == ("suppressed", "no_contact_point")
        assert d["inapp"]["state"] == "delivered"
        assert (
            p["sinks"]["primary"].requests[0].json()["text"] == "【阳明山庄】停水通知: 明日 9:00-12:00 停水"
        )


async def _sent(p, message_id: str, *channels: str) -> bool:
    d = await deliveries(p, message_id)
    return all(d[c]["state"] == "sent" for c in channels)


class TestQuietHoursAndCritical:
    async def test_non_critical_waits_for_morning_critical_passes_and_is_recorded(self, platform):
        p = platform
        li = await resident(p)
        await set_quiet(p, now_inside=True)
        await notice(p, units=[li["unit"]["id"]])
        await notice(
            p, units=[li["unit"]["id"]], critical=True, title_en="Fire alarm, building B", category="safety"
        )
        messages = await wait_until(lambda: _n(inbox_of(p, li), 2), message="both messages in the inbox")
        quiet, critical = sorted(messages, key=lambda m: m["critical"])
        held = await deliveries(p, quiet["id"])
        assert (held["sms"]["state"], held["sms"]["reason"]) == ("pending", "quiet_hours")
        assert held["sms"]["held_until"] is not None and held["inapp"]["state"] == "delivered"
        await wait_until(
            lambda: _sent(p, critical["id"], "sms", "email"), message="the critical message sent"
        )
        assert (await deliveries(p, critical["id"]))["sms"]["override"] == "quiet_hours"
        assert [r.json()["text"] for r in p["sinks"]["primary"].requests] == [
            "[阳明山庄] Fire alarm, building B: Water is off tomorrow 9:00-12:00"
        ]
        engine = create_async_engine(asyncpg_url(p["env"].database_url))
        async with engine.begin() as conn:  # morning comes
            await conn.execute(text("UPDATE notify.timer SET due_at = now() WHERE kind = 'delivery.send'"))
        await engine.dispose()
        await wait_until(lambda: _sent(p, quiet["id"], "sms"), message="the held sms released")

    async def test_opt_out_suppresses_but_not_a_critical_message(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        li = await resident(p)
        r = await p["notify"].put(
            f"/v1/recipients/{li['id']}/preferences",
            headers=li["token"],
            json={"category": "*", "channel": "sms", "enabled": False},
        )
        assert r.status_code == 200
        await notice(p, units=[li["unit"]["id"]])
        await notice(p, units=[li["unit"]["id"]], critical=True, category="safety")
        plain, critical = sorted(
            await wait_until(lambda: _n(inbox_of(p, li), 2), message="messages"), key=lambda m: m["critical"]
        )
        assert (await deliveries(p, plain["id"]))["sms"]["reason"] == "opt_out"
        await wait_until(lambda: _sent(p, critical["id"], "sms"), message="critical sms despite the opt-out")
        assert (await deliveries(p, critical["id"]))["sms"]["override"] == "opt_out"


async def _n(coro, n):
    items = await coro
    return items if len(items) >= n else None


class TestRetriesAndFailover:
    async def test_failing_provider_fails_over_to_the_second(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        p["sinks"]["primary"].fail_with = 503
        li = await resident(p)
        await notice(p, units=[li["unit"]["id"]])
        [message] = await wait_until(lambda: inbox_of(p, li), message="the notice")
        await wait_until(lambda: _sent(p, message["id"], "sms"), message="sent through the backup")
        sms = (await deliveries(p, message["id"]))["sms"]
        assert (sms["provider"], sms["attempts"]) == ("backup-sms", 2)
        assert p["sinks"]["primary"].attempts == 1 and len(p["sinks"]["backup"].requests) == 1

    async def test_every_provider_down_ends_failed_after_the_attempts(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        p["sinks"]["primary"].fail_with = p["sinks"]["backup"].fail_with = 500
        li = await resident(p)
        await notice(p, units=[li["unit"]["id"]])
        [message] = await wait_until(lambda: inbox_of(p, li), message="the notice")

        async def failed():
            sms = (await deliveries(p, message["id"]))["sms"]
            return sms if sms["state"] == "failed" else None

        sms = await wait_until(failed, message="the delivery to fail")
        assert sms["attempts"] == 4 and "HTTP 500" in sms["reason"]
        assert p["sinks"]["primary"].attempts == 2 and p["sinks"]["backup"].attempts == 2


class TestDedup:
    async def test_a_redelivered_event_sends_nothing_twice(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        li = await resident(p)
        from propdesk.common.uow import unit_of_work
        from propdesk.notify.service import fanout, recipients

        runtime = p["notify"].app.state.runtime
        audience = fanout.Audience(
            uuid.uuid4(), "notify.notice", uuid.UUID(p["estate"]["id"]), "notice", False
        )
        for _ in range(3):  # the same event handled three times (as if three consumers had it)
            async with unit_of_work(runtime.sessionmaker) as session:
                people = await recipients.by_ids(session, [uuid.UUID(li["id"])])
                texts = {"title_zh": "a", "body_zh": "b", "title_en": "c", "body_en": "d"}
                await fanout.fan_out(session, audience, people, texts)
        [message] = await wait_until(lambda: inbox_of(p, li), message="one message")
        await wait_until(lambda: _sent(p, message["id"], "sms", "email"), message="sent")
        assert len(p["sinks"]["primary"].requests) == 1 and len(p["sinks"]["smtp"].mails) == 1


class TestCachedLookups:
    async def test_an_entry_expiring_while_others_load_keeps_its_recipient(self, platform, monkeypatch):
        """by_ids reads each id's cache entry once. Here the clock jumps past the TTL while an unknown id is
        looked up in the database: the recipient already found in the cache must still be returned (a
        technician once lost an assignment notice this way under load)."""
        import propdesk.common.cache as cache
        from propdesk.common.uow import unit_of_work
        from propdesk.notify.service import recipients

        li = await resident(platform)
        known, unknown = uuid.UUID(li["id"]), uuid.uuid4()
        runtime = platform["notify"].app.state.runtime
        async with unit_of_work(runtime.sessionmaker) as session:
            assert [r.id for r in await recipients.by_ids(session, [known])] == [known]
        assert recipients.CACHE.get(known, None) is not None  # cached once that unit of work committed
        async with unit_of_work(runtime.sessionmaker) as session:
            real, calls = cache.time.monotonic, []

            def jumping() -> float:  # every read of the clock is 3 s later: the 5 s TTL runs out mid-call
                calls.append(1)
                return real() + 3.0 * len(calls)

            monkeypatch.setattr(cache.time, "monotonic", jumping)
            people = await recipients.by_ids(session, [known, unknown])
            monkeypatch.setattr(cache.time, "monotonic", real)
        assert [r.id for r in people] == [known]


class TestAccessAndBadInput:
    async def test_nobody_reads_another_persons_inbox(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        li = await resident(p)
        other = await resident(p, name="Zhou", phone="13600000000")
        await notice(p, units=[li["unit"]["id"]])
        [message] = await wait_until(lambda: inbox_of(p, li), message="the notice")
        assert await inbox_of(p, other) == []
        assert (
            await p["notify"].post(f"/v1/me/inbox/{message['id']}/read", headers=other["token"])
        ).status_code == 404
        assert (
            await p["notify"].get(f"/v1/messages/{message['id']}/deliveries", headers=other["token"])
        ).status_code == 404
        read = await p["notify"].post(f"/v1/me/inbox/{message['id']}/read", headers=li["token"])
        assert read.json()["read_at"] is not None
        assert (await p["notify"].get("/v1/me/inbox/unread-count", headers=li["token"])).json() == {
            "unread": 0
        }
        assert (
            await p["notify"].put(
                f"/v1/recipients/{li['id']}/preferences",
                headers=other["token"],
                json={"category": "*", "channel": "sms", "enabled": False},
            )
        ).status_code == 403

    @pytest.mark.parametrize(
        ("body", "kind"),
        [
            ({"subject": "x", "body": "{{ no_such_field.x }}"}, "template-does-not-render"),
            ({"subject": "x", "body": "{{ unclosed"}, "template-does-not-render"),
            ({"subject": "x", "body": "{{ ''.__class__.__mro__ }}"}, "template-does-not-render"),
        ],
    )
    async def test_a_template_that_does_not_render_is_refused(self, platform, body, kind):
        p = platform
        r = await p["notify"].put(
            "/v1/templates",
            headers=p["manager"],
            json={
                "event_type": "intake.case.resolved",
                "channel": "sms",
                "language": "en",
                "estate_id": p["estate"]["id"],
                **body,
            },
        )
        assert r.status_code == 422 and r.json()["type"].endswith(kind), r.text

    async def test_templates_change_preview_and_access(self, platform):
        p = platform
        r = await p["notify"].put(
            "/v1/templates",
            headers=p["manager"],
            json={
                "event_type": "intake.case.resolved",
                "channel": "sms",
                "language": "en",
                "subject": None,
                "body": "{{ estate.name }}: case {{ reference }} done - {{ resolution }}",
                "estate_id": p["estate"]["id"],
            },
        )
        assert r.status_code == 200 and r.json()["source"] == "estate", r.text
        # the platform's templates are the platform admins', another estate's are its own managers'
        template = {"event_type": "intake.case.resolved", "channel": "sms", "language": "en", "body": "x"}
        platform_wide = await p["notify"].put("/v1/templates", headers=p["manager"], json=template)
        assert platform_wide.status_code == 403, platform_wide.text
        elsewhere = await p["notify"].put(
            "/v1/templates", headers=p["manager"], json={**template, "estate_id": str(uuid.uuid4())}
        )
        assert elsewhere.status_code == 403
        admin = token("admin", all_estates=True)
        assert (await p["notify"].put("/v1/templates", headers=admin, json=template)).json()[
            "source"
        ] == "platform"
        shown = await p["notify"].get(
            "/v1/templates",
            headers=p["manager"],
            params={"estate_id": p["estate"]["id"], "event_type": "intake.case.resolved"},
        )
        sms_en = [t for t in shown.json() if (t["channel"], t["language"]) == ("sms", "en")]
        assert [t["source"] for t in sms_en] == ["estate"]  # the estate's own wins over the platform's
        foreign_list = await p["notify"].get(
            "/v1/templates",
            headers=token("manager", estates=[uuid.uuid4()]),
            params={"estate_id": p["estate"]["id"]},
        )
        assert foreign_list.status_code == 403
        preview = await p["notify"].post(
            "/v1/templates/preview",
            headers=p["manager"],
            json={
                "event_type": "intake.case.resolved",
                "channel": "sms",
                "language": "en",
                "estate_id": p["estate"]["id"],
                "context": {"reference": "CASE-1", "resolution": "fixed"},
            },
        )
        assert preview.json()["body"] == "阳明山庄: case CASE-1 done - fixed"
        bad = await p["notify"].put(
            "/v1/templates",
            headers=p["manager"],
            json={**template, "channel": "fax", "estate_id": p["estate"]["id"]},
        )
        assert bad.status_code == 422
        assert (
            await p["notify"].put(
                "/v1/templates",
                headers=p["desk"],
                json={**template, "estate_id": p["estate"]["id"]},
            )
        ).status_code == 403
        assert (
            await p["notify"].post(
                f"/v1/estates/{p['estate']['id']}/notices",
                headers=p["manager"],
                json={"title_zh": "a", "body_zh": "b", "title_en": "c", "body_en": "d"},
            )
        ).status_code == 422
        foreign = token("manager", estates=[uuid.uuid4()])
        assert (
            await p["notify"].post(
                f"/v1/estates/{p['estate']['id']}/notices",
                headers=foreign,
                json={
                    "unit_ids": [str(uuid.uuid4())],
                    "title_zh": "a",
                    "body_zh": "b",
                    "title_en": "c",
                    "body_en": "d",
                },
            )
        ).status_code == 403


class TestUnitOfWork:
    async def test_a_rolled_back_fan_out_writes_nothing_and_caches_nothing(self, platform):
        """People and preferences read while fanning out are cached only when the unit of work commits."""
        from propdesk.common.uow import unit_of_work
        from propdesk.notify.service import fanout, preferences, recipients

        class Boom(Exception):
            pass

        p = platform
        li = await resident(p)
        rid = uuid.UUID(li["id"])
        recipients.CACHE.discard(rid)
        preferences.CACHE.discard(rid)
        runtime = p["notify"].app.state.runtime
        audience = fanout.Audience(
            uuid.uuid4(), "notify.notice", uuid.UUID(p["estate"]["id"]), "notice", False
        )
        texts = {"title_zh": "a", "body_zh": "b", "title_en": "c", "body_en": "d"}
        with pytest.raises(Boom):
            async with unit_of_work(runtime.sessionmaker) as session:
                people = await recipients.by_ids(session, [rid])
                assert await fanout.fan_out(session, audience, people, texts) == 1
                raise Boom
        assert recipients.CACHE.get(rid, None) is None and preferences.CACHE.get(rid, None) is None
        async with unit_of_work(runtime.sessionmaker) as session:
            count = "SELECT count(*) FROM notify.message WHERE source_event_id = :e"
            assert (await session.execute(text(count), {"e": audience.source_event_id})).scalar() == 0
            await fanout.fan_out(session, audience, await recipients.by_ids(session, [rid]), texts)
        # committed: now both are cached, and the message is there once
        assert recipients.CACHE.get(rid).id == rid and preferences.CACHE.get(rid) == []
        [message] = await wait_until(lambda: inbox_of(p, li), message="the message")
        assert message["title"]
