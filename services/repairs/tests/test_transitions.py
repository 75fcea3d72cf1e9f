"""Every action from every state it is not allowed in: 409, and the order is unchanged (state, timeline)."""

from __future__ import annotations

from propdesk.repairs.service.states import TRANSITIONS

from .conftest import act, report

BODIES = {
    "pause": {"pause_reason": "parts"},
    "complete": {"note": "done"},
    "decline": {"reason": "busy"},
    "reject": {"note": "not fixed"},
    "reopen": {"note": "again"},
    "cancel": {"note": "no longer needed"},
    "change_urgency": {"urgency": "emergency", "note": "worse"},
}
RESIDENT = {"confirm", "reject"}


async def in_state(s, state: str) -> dict:
    if state == "triaged":  # nobody has the skill: triaged and left for the dispatcher
        return await report(
            s, unit_id=None, place_id=s["places"]["lobby"]["id"], category="greenery", problem="irrigation"
        )
    wo = await report(s)
    tech = s["tech_token"][next(k for k, t in s["techs"].items() if t["id"] == wo["technician_id"])]
    steps = {
        "assigned": [],
        "accepted": [(tech, "accept")],
        "en_route": [(tech, "accept"), (tech, "en_route")],
        "on_site": [(tech, "accept"), (tech, "arrive")],
        "paused": [(tech, "accept"), (tech, "pause")],
        "completed": [(tech, "accept"), (tech, "arrive"), (tech, "complete")],
        "closed": [(tech, "accept"), (tech, "arrive"), (tech, "complete"), (s["me"], "confirm")],
        "cancelled": [(s["dispatcher"], "cancel")],
    }[state]
    for headers, action in steps:
        r = await act(s, wo, headers, action, **BODIES.get(action, {}))
        assert r.status_code == 200, (state, action, r.text)
    got = (await s["repairs"].get(f"/v1/work-orders/{wo['id']}", headers=s["dispatcher"])).json()
    assert got["state"] == state
    return got


async def test_every_illegal_transition_is_409_and_changes_nothing(site):
    s = site
    tried = 0
    for state in (
        "triaged",
        "assigned",
        "accepted",
        "en_route",
        "on_site",
        "paused",
        "completed",
        "closed",
        "cancelled",
    ):
        wo = await in_state(s, state)
        for action, (allowed, _) in TRANSITIONS.items():
            if state in allowed:
                continue
            headers = s["me"] if action in RESIDENT else s["manager"]
            r = await act(s, wo, headers, action, **BODIES.get(action, {}))
            assert r.status_code == 409, (state, action, r.status_code, r.text)
            assert (r.json()["state"], r.json()["action"]) == (state, action)
            tried += 1
        after = (await s["repairs"].get(f"/v1/work-orders/{wo['id']}", headers=s["dispatcher"])).json()
        assert (after["state"], len(after["timeline"])) == (state, len(wo["timeline"])), state
    assert tried >= 60
