"""docs/asyncapi.yaml and docs/openapi/*.json are generated from code; these fail when they are stale."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from propdesk.common.asyncapi import build, render
from propdesk.common.contracts import load_catalog
from propdesk.common.web import dumps, openapi_of

ROOT = Path(__file__).resolve().parents[3]


def test_asyncapi_is_current():
    assert (ROOT / "docs/asyncapi.yaml").read_text() == render(), "run `uv run propdesk asyncapi`"


def test_asyncapi_describes_every_event_with_producer_and_consumers():
    doc = build()
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {spec.subject() for spec in load_catalog()}
    registered = doc["components"]["messages"]["intake_estate_registered_v1"]
    assert registered["x-consumers"] == ["billing", "identity", "incidents", "notify", "repairs"]
    assert yaml.safe_load(render()) == json.loads(json.dumps(doc))


def test_openapi_is_current():
    from importlib.metadata import entry_points

    for ep in entry_points(group="propdesk.services"):
        definition = ep.load()
        path = ROOT / f"docs/openapi/{definition.name}.json"
        assert path.read_text() == dumps(openapi_of(definition)) + "\n", "run `uv run propdesk openapi`"
