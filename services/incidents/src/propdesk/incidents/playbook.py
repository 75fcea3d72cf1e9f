"""Playbooks as data: versioned YAML, validated on load with the exact problem (unknown role, missing
deadline, a step depending on itself through others, an unknown step or broadcast). The seeded ones live
in `playbooks/`; an estate may override any of them with its own version."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from propdesk.common import taxonomy

ROLES = frozenset({"commander", "security", "engineering", "customer_service", "manager", "general_manager"})
PARTIES = frozenset(
    {"fire_brigade", "police", "ambulance", "elevator_contractor", "utility", "family", "other"}
)
# who a playbook role is among the staff: (intake staff role, department)
STAFF_OF_ROLE: dict[str, tuple[str | None, str | None]] = {
    "commander": ("duty_officer", None),
    "security": (None, "security"),
    "engineering": (None, "engineering"),
    "customer_service": (None, "customer_service"),
    "manager": ("manager", None),
    "general_manager": ("admin", None),
}


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class WorkOrderSpec(BaseModel):
    """What a `repair` step asks repairs for (the shared taxonomy's category and problem)."""

    model_config = ConfigDict(extra="forbid")

    category: str
    problem: str
    urgency: Literal["emergency", "urgent", "normal"] = "emergency"
    description: Text


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    role: str
    deadline_minutes: int = Field(ge=0, le=7 * 24 * 60, description="after the trigger")
    kind: Literal["action", "call", "notify", "broadcast", "repair"] = "action"
    checklist: list[Text] = []
    depends_on: list[str] = []
    escalation: list[str] | None = None
    party: str | None = None
    broadcast: str | None = None
    work_order: WorkOrderSpec | None = None  # a `repair` step: opened when the incident starts


class Broadcast(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text
    body: Text


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    name: Text
    severity: Literal["critical", "major", "minor"]
    scope: Literal["estate", "building", "floors", "units"]
    roles: list[str] = Field(min_length=1)
    escalation: list[str] = Field(min_length=1)
    repeat_minutes: int = Field(5, ge=1, le=240)
    steps: list[Step] = Field(min_length=1)
    broadcasts: dict[str, Broadcast] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        problems: list[str] = []
        for role in self.roles:
            if role not in ROLES:
                problems.append(f"roles: unknown role {role!r} (known: {', '.join(sorted(ROLES))})")
        for role in self.escalation:
            if role not in ROLES:
                problems.append(f"escalation: unknown role {role!r}")
        keys = [s.key for s in self.steps]
        for dup in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(f"steps: the key {dup!r} is used twice")
        for step in self.steps:
            where = f"step {step.key!r}"
            if step.role not in self.roles:
                problems.append(f"{where}: role {step.role!r} is not one of the playbook's roles")
            for role in step.escalation or []:
                if role not in ROLES:
                    problems.append(f"{where}: unknown escalation role {role!r}")
            for dep in step.depends_on:
                if dep not in keys:
                    problems.append(f"{where}: depends on unknown step {dep!r}")
            if step.kind == "call" and step.party not in PARTIES:
                problems.append(f"{where}: a call step needs a party (one of: {', '.join(sorted(PARTIES))})")
            if step.kind == "broadcast" and step.broadcast not in self.broadcasts:
                problems.append(f"{where}: broadcast {step.broadcast!r} is not defined under broadcasts")
            if step.kind == "repair":
                problems += _repair_problems(where, step.work_order)
        if cycle := _cycle({s.key: s.depends_on for s in self.steps}):
            problems.append("steps: depends_on has a cycle: " + " → ".join(cycle))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def chain(self, step: Step) -> list[str]:
        return step.escalation or self.escalation


def _repair_problems(where: str, spec: WorkOrderSpec | None) -> list[str]:
    if spec is None:
        return [f"{where}: a repair step needs a work_order (category, problem, description)"]
    found = taxonomy.problem(spec.category, spec.problem)
    if found is None:
        return [f"{where}: work_order: unknown problem {spec.problem!r} for category {spec.category!r}"]
    if found.emergency:
        return [
            f"{where}: work_order: {spec.problem!r} is itself an emergency (it would start another incident)"
        ]
    return []


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path (a → b → a), or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in graph:
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


class PlaybookInvalid(ValueError):
    """A playbook that does not load, with every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse(text: str) -> Playbook:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlaybookInvalid([f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise PlaybookInvalid(["a playbook is a YAML mapping"])
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        problems = []
        steps = data.get("steps") if isinstance(data.get("steps"), list) else []
        for err in exc.errors():
            parts = list(err["loc"])
            if (
                len(parts) >= 2
                and parts[0] == "steps"
                and isinstance(parts[1], int)
                and parts[1] < len(steps)
            ):
                key = steps[parts[1]].get("key") if isinstance(steps[parts[1]], dict) else None
                parts[:2] = [f"step {key!r}" if key else f"steps[{parts[1]}]"]
            loc = ".".join(str(p) for p in parts)
            msg = err["msg"].removeprefix("Value error, ")
            problems.extend(f"{loc}: {m}" if loc else m for m in msg.split("; "))
        raise PlaybookInvalid(problems) from exc


def seeded() -> dict[str, tuple[Playbook, str]]:
    """The standard playbooks shipped with propdesk: key → (playbook, its YAML)."""
    out = {}
    for entry in sorted(
        resources.files("propdesk.incidents").joinpath("playbooks").iterdir(), key=lambda p: p.name
    ):
        if entry.name.endswith(".yaml"):
            text = entry.read_text(encoding="utf-8")
            book = parse(text)
            out[book.key] = (book, text)
    return out
