"""The services `propdesk` knows (the `propdesk.services` entry points), where they listen, and a platform
admin's token for the CLI's own calls."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

from propdesk.common.auth import issue_token
from propdesk.common.runtime import FrontendDefinition, ServiceDefinition
from propdesk.common.settings import CommonSettings


def definitions() -> list[ServiceDefinition]:
    defs = [ep.load() for ep in entry_points(group="propdesk.services")]
    return sorted(defs, key=lambda d: d.port)


def frontends() -> list[FrontendDefinition]:
    """Processes that serve screens and own no data (the console): the `propdesk.frontends` entry points."""
    return sorted((ep.load() for ep in entry_points(group="propdesk.frontends")), key=lambda d: d.port)


def settings() -> CommonSettings:
    return CommonSettings()


def service_port(d: ServiceDefinition | FrontendDefinition) -> int:
    return int(os.environ.get(f"PROPDESK_{d.name.upper()}_PORT", d.port))


def service_url(d: ServiceDefinition | FrontendDefinition) -> str:
    host = os.environ.get(f"PROPDESK_{d.name.upper()}_HOST", "127.0.0.1")
    return f"http://{host}:{service_port(d)}"


def admin_headers() -> dict[str, str]:
    s = settings()
    jwt = issue_token(
        s.jwt_secret.get_secret_value(),
        sub="propdesk-cli",
        roles=["admin"],
        all_estates=True,
        issuer=s.jwt_issuer,
    )
    return {"Authorization": f"Bearer {jwt}"}
