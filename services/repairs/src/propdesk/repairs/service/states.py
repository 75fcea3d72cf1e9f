"""A work order's states and which command may move it from where.

reported → triaged → assigned → accepted → en_route → on_site → completed → confirmed → closed;
paused (from accepted, en route or on site; resume goes back); reopened (from completed, confirmed or
closed; dispatchable again); cancelled. Every transition, actor and note is a timeline entry."""

from __future__ import annotations

from propdesk.repairs.service.clocks import MILESTONES

CLOSED = frozenset({"closed", "cancelled"})
DONE = frozenset({"completed", "confirmed", "closed", "cancelled"})
DISPATCHABLE = frozenset({"reported", "triaged", "reopened"})
OPEN = frozenset({"reported", "triaged", "assigned", "accepted", "en_route", "on_site", "paused", "reopened"})

# command -> (the states it may start from, the state it leads to; None: stays, or back to where it paused)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "triage": (frozenset({"reported", "reopened"}), "triaged"),
    "assign": (frozenset({"reported", "triaged", "reopened", "assigned", "accepted"}), "assigned"),
    "accept": (frozenset({"assigned"}), "accepted"),
    "decline": (frozenset({"assigned"}), "triaged"),
    "en_route": (frozenset({"accepted"}), "en_route"),
    "arrive": (frozenset({"accepted", "en_route"}), "on_site"),
    "pause": (frozenset({"accepted", "en_route", "on_site"}), "paused"),
    "resume": (frozenset({"paused"}), None),
    "complete": (frozenset({"on_site"}), "completed"),
    "confirm": (frozenset({"completed"}), "confirmed"),
    "reject": (frozenset({"completed"}), "reopened"),
    "reopen": (frozenset({"completed", "confirmed", "closed"}), "reopened"),
    "cancel": (frozenset({"reported", "triaged", "assigned", "accepted", "reopened"}), "cancelled"),
    "change_urgency": (OPEN, None),
}
# the SLA milestones a command meets
MEETS: dict[str, tuple[str, ...]] = {
    "triage": ("acknowledge",),
    "assign": ("acknowledge", "dispatch"),
    "arrive": ("acknowledge", "dispatch", "arrive"),
    "complete": ("acknowledge", "dispatch", "arrive", "complete"),
    "cancel": MILESTONES,
}
# the stage reporters hear of (`repairs.work_order.progressed`)
STAGE = {
    "accept": "accepted",
    "en_route": "en_route",
    "arrive": "on_site",
    "pause": "paused",
    "resume": "resumed",
    "reject": "reopened",
    "reopen": "reopened",
    "cancel": "cancelled",
}
TECHNICIAN_COMMANDS = frozenset({"accept", "decline", "en_route", "arrive", "pause", "resume", "complete"})
RESIDENT_COMMANDS = frozenset({"confirm", "reject", "cancel"})
DISPATCHER_COMMANDS = frozenset({"triage", "assign", "reopen", "cancel", "change_urgency", "pause", "resume"})
RECEPTIONIST_COMMANDS = frozenset({"cancel", "reopen", "change_urgency", "triage"})
