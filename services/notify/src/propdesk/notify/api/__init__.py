"""notify's HTTP routers, one module per sub-domain: parse, authorize, call the service, return."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.notify.api import callbacks, config, inbox, notices, templates

    return [config.router, inbox.router, callbacks.router, templates.router, notices.router]
