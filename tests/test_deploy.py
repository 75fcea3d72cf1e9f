"""The deploy files name every service, port and setting the code expects, and they parse."""

from __future__ import annotations

import json
import os
import re
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml

from propdesk.common.embedded import nats_server_binary
from propdesk.common.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = sorted((ep.load() for ep in entry_points(group="propdesk.services")), key=lambda d: d.port)
FRONTENDS = sorted((ep.load() for ep in entry_points(group="propdesk.frontends")), key=lambda d: d.port)
SETTINGS = {f"PROPDESK_{name.upper()}" for name in ServiceSettings.model_fields}


def test_five_services_with_distinct_ports():
    assert [d.name for d in DEFINITIONS] == [
        "intake",
        "repairs",
        "billing",
        "incidents",
        "notify",
        "identity",
    ]
    assert len({d.port for d in DEFINITIONS}) == 6


def _env_names(env: dict) -> set[str]:
    return {k for k in env if k.startswith("PROPDESK_")}


def _known(name: str) -> bool:
    """A common setting (PROPDESK_X), or a service's own or scoped one (PROPDESK_<SERVICE>_X)."""
    from propdesk.console.config import ConsoleSettings

    if name.startswith("PROPDESK_CONSOLE_"):
        return name[len("PROPDESK_CONSOLE_") :].lower() in ConsoleSettings.model_fields
    for d in DEFINITIONS:
        prefix = f"PROPDESK_{d.name.upper()}_"
        if name.startswith(prefix):
            return name[len(prefix) :].lower() in d.settings_cls.model_fields
    return name in SETTINGS


def test_docker_compose():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svc = compose["services"]
    assert {"postgres", "nats"} <= set(svc)
    assert "/etc/nats/single.conf" in svc["nats"]["command"]
    for d in [*DEFINITIONS, *FRONTENDS]:
        s = svc[d.name]
        assert s["build"]["args"]["SERVICE"] == d.name
        assert s["ports"] == [f"{d.port}:{d.port}"]
        assert s["environment"]["PORT"] == str(d.port)
        assert "/readyz" in " ".join(s["healthcheck"]["test"]) and str(d.port) in " ".join(
            s["healthcheck"]["test"]
        )
        assert {"PROPDESK_DATABASE_URL", "PROPDESK_NATS_URL", "PROPDESK_JWT_JWKS_URL"} <= _env_names(
            s["environment"]
        )
        assert all(_known(n) for n in _env_names(s["environment"])), s["environment"]
        assert s["depends_on"]["postgres"]["condition"] == "service_healthy"
    urls = json.loads(svc["console"]["environment"]["PROPDESK_CONSOLE_SERVICE_URLS"])
    # the console reaches every service
    assert urls == {d.name: f"http://{d.name}:{d.port}" for d in DEFINITIONS}


def test_dockerfile_builds_any_service():
    text = (ROOT / "Dockerfile").read_text()
    assert "ARG SERVICE" in text and "propdesk migrate --service" in text
    assert "propdesk.$PROPDESK_SERVICE.main:create_app" in text


def test_kubernetes_base():
    base = ROOT / "deploy/k8s/base"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    docs = [doc for res in kustomization["resources"] for doc in yaml.safe_load_all((base / res).read_text())]
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert all(_known(k) for k in config["data"]) and config["data"]["PROPDESK_STREAM_REPLICAS"] == "3"
    for d in [*DEFINITIONS, *FRONTENDS]:
        dep = next(x for x in docs if x["kind"] == "Deployment" and x["metadata"]["name"] == d.name)
        svc = next(x for x in docs if x["kind"] == "Service" and x["metadata"]["name"] == d.name)
        [container] = dep["spec"]["template"]["spec"]["containers"]
        assert container["ports"][0]["containerPort"] == d.port
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"name": "PORT", "value": str(d.port)} in container["env"]
        assert svc["spec"]["ports"][0]["port"] == d.port
        assert dep["spec"]["selector"]["matchLabels"] == svc["spec"]["selector"]


def test_probe_paths_exist_in_every_app():
    from propdesk.common.web import create_service_app

    for d in DEFINITIONS:
        app = create_service_app(d)
        assert [app.url_path_for(n) for n in ("healthz", "readyz", "metrics")] == [
            "/healthz",
            "/readyz",
            "/metrics",
        ]


@pytest.mark.parametrize("conf", ["nats-1.conf", "nats-2.conf", "nats-3.conf", "single.conf"])
def test_nats_configs_are_valid_and_durable(conf):
    path = ROOT / "deploy/nats" / conf
    from propdesk.common.broker import PLATFORM_USER, password_variable, services

    passwords = {password_variable(u): f"test-{u}" for u in [*services(), PLATFORM_USER]}
    checked = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **passwords},
    )
    assert checked.returncode == 0, checked.stderr
    assert "include ./auth.conf" in path.read_text()  # no deployment runs NATS without users
    text = path.read_text()
    assert re.search(r"^\s*sync_interval:\s*always\s*$", text, re.M)
    if conf != "single.conf":
        assert len(re.findall(r"nats-route://nats-\d:6222", text)) == 3
