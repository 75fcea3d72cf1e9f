"""One error base. Each subclass carries its HTTP status, a stable type and zh-CN/en titles.

Domain code raises these; one handler in `web.py` renders RFC 9457 problem+json.
"""

from __future__ import annotations

from typing import Any, ClassVar

from propdesk.common.i18n import Text


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[Text] = Text("请求无效", "Bad request")

    def __init__(
        self, detail: str | Text | None = None, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra
        super().__init__(detail.en if isinstance(detail, Text) else (detail or self.title.en))

    def detail_for(self, lang: str) -> str | None:
        if isinstance(self.detail, Text):
            return self.detail.get(lang)
        return self.detail


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = Text("资源不存在", "Not found")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = Text("与当前状态冲突", "Conflict with the current state")


class IllegalTransition(Conflict):
    code = "illegal-transition"
    title = Text("不允许的状态变更", "Illegal state transition")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = Text("无权执行此操作", "Forbidden")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = Text("未认证或凭证无效", "Not authenticated")


class InvalidInput(DomainError):
    """Input that parsed but breaks a domain rule checked before any write (a unit of another estate)."""

    status = 422
    code = "invalid-input"
    title = Text("输入无效", "Invalid input")


class IdempotencyMismatch(DomainError):
    status = 422
    code = "idempotency-key-reused"
    title = Text("幂等键已用于不同的请求", "Idempotency-Key reused with a different request")


class TooManyRequests(DomainError):
    status = 429
    code = "too-many-requests"
    title = Text("请求过于频繁，请稍后再试", "Too many requests; try again later")


class InProgress(Conflict):
    code = "in-progress"
    title = Text("相同的请求正在处理中", "The same request is still being processed")
