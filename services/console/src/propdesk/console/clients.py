"""One client per service, called with the signed-in user's token. Each call names its operation
(`OPERATIONS`), and a test checks every one against the service's generated OpenAPI, so the console cannot
drift from the APIs it uses. A problem+json answer becomes `Problem` (shown to the user in their language);
a service that does not answer becomes `Unavailable` (a banner; the rest of the console keeps working)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from propdesk.console.config import BACKENDS, ConsoleSettings

# (service, method, OpenAPI path) of every call the console makes
OPERATIONS: set[tuple[str, str, str]] = set()


def operation(service: str, method: str, path: str) -> tuple[str, str, str]:
    op = (service, method, path)
    OPERATIONS.add(op)
    return op


ESTATES = operation("intake", "get", "/v1/estates")
ESTATE = operation("intake", "get", "/v1/estates/{estate_id}")
BUILDINGS = operation("intake", "get", "/v1/estates/{estate_id}/buildings")
QUEUE = operation("repairs", "get", "/v1/estates/{estate_id}/dispatch-queue")
WORK_ORDERS = operation("repairs", "get", "/v1/estates/{estate_id}/work-orders")
WORK_ORDER = operation("repairs", "get", "/v1/work-orders/{work_order_id}")
ACT = operation("repairs", "post", "/v1/work-orders/{work_order_id}/actions")
PART = operation("repairs", "post", "/v1/work-orders/{work_order_id}/parts")
TECHNICIANS = operation("repairs", "get", "/v1/estates/{estate_id}/technicians")
PRICE_ITEMS = operation("repairs", "get", "/v1/estates/{estate_id}/price-items")
TAXONOMY = operation("repairs", "get", "/v1/repair-taxonomy")
TOKEN = operation("identity", "post", "/v1/token")
REVOKE = operation("identity", "post", "/v1/revoke")
STATUS = {s: operation(s, "get", "/admin/status") for s in BACKENDS}
DEAD_LETTERS = {s: operation(s, "get", "/admin/dead-letters") for s in BACKENDS}
REPLAY = {s: operation(s, "post", "/admin/dead-letters/{dead_letter_id}/replay") for s in BACKENDS}


@dataclass
class Problem(Exception):
    """A service's problem+json answer (4xx): its title and detail in the user's language, and the fields
    it names (422), so a form can show each message next to its field."""

    status: int
    title: str
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    body: dict = field(default_factory=dict)


@dataclass
class Unavailable(Exception):
    service: str
    reason: str = ""


class Api:
    """httpx clients (one pool per service), shared by every request of the process."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.clients = {
            s: httpx.AsyncClient(
                base_url=settings.url(s),
                timeout=settings.api_timeout_seconds,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            )
            for s in BACKENDS
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(
        self,
        op: tuple[str, str, str],
        *,
        token: str | None,
        lang: str = "zh-CN",
        path: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
    ) -> Any:
        service, method, template = op
        url = template.format(**(path or {}))
        headers = {"Accept-Language": lang}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            r = await self.clients[service].request(
                method.upper(), url, params=params, json=json, data=data, headers=headers
            )
        except httpx.HTTPError as exc:
            raise Unavailable(service, type(exc).__name__) from exc
        if r.status_code >= 500:
            raise Unavailable(service, f"HTTP {r.status_code}")
        if r.status_code >= 400:
            raise problem_of(r)
        if r.status_code == 204 or not r.content:
            return None
        return r.json()


def problem_of(r: httpx.Response) -> Problem:
    try:
        body = r.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    fields: dict[str, str] = {}
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            loc = error.get("loc") or error.get("field") or []
            name = loc[-1] if isinstance(loc, list) and loc else str(loc or "")
            fields[str(name)] = str(error.get("msg") or error.get("message") or "")
    title = str(body.get("title") or body.get("error_description") or body.get("error") or r.reason_phrase)
    return Problem(r.status_code, title, str(body.get("detail") or ""), fields, body)
