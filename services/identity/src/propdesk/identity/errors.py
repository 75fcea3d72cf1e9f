"""identity's errors: problem+json types with zh-CN and en titles; the token endpoint answers as RFC 6749 says
(`OAuthError`, §5.2)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from propdesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from propdesk.common.i18n import Text
from propdesk.common.projections import EstateNotKnown

__all__ = ["EstateNotKnown", "TooManyRequests"]


class OAuthError(Exception):
    """An RFC 6749 §5.2 error from the token endpoint: `invalid_request`, `invalid_client`, `invalid_grant`,
    `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`; extra fields say what to do next
    (`mfa_required`, `password_change_required`)."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, retry_after: int | None = None, **extra: Any
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status
        self.retry_after, self.extra = retry_after, extra

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="propdesk"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description, **self.extra},
            status_code=self.status,
            headers=headers,
        )


class AccountNotFound(NotFound):
    code = "account-not-found"
    title = Text("账号不存在", "Account not found")


class SessionNotFound(NotFound):
    code = "session-not-found"
    title = Text("会话不存在", "Session not found")


class LoginTaken(Conflict):
    code = "login-taken"
    title = Text("登录名已被使用", "That login name is taken")


class WeakPassword(InvalidInput):
    code = "weak-password"
    title = Text("密码强度不足", "The password is too weak")


class WrongPassword(Unauthorized):
    code = "wrong-password"
    title = Text("当前密码不正确", "The current password is wrong")


class TotpNotEnrolled(Conflict):
    code = "totp-not-enrolled"
    title = Text("尚未开始绑定动态口令", "No authenticator enrolment in progress")


class BadTotpCode(InvalidInput):
    code = "bad-totp-code"
    title = Text("动态口令不正确", "The authenticator code is wrong")


class NotYourAccount(Forbidden):
    code = "not-your-account"
    title = Text("无权管理该账号", "You may not manage this account")


class OidcNotConfigured(NotFound):
    code = "oidc-not-configured"
    title = Text("未配置外部身份提供方", "No outside identity provider is configured")


class OidcFailed(Unauthorized):
    code = "oidc-failed"
    title = Text("外部身份提供方登录失败", "Sign-in through the outside provider failed")


class ReturnUrlNotAllowed(InvalidInput):
    code = "return-url-not-allowed"
    title = Text("不允许的返回地址", "That return address is not allowed")


class TotpAlreadyEnabled(Conflict):
    code = "totp-already-enabled"
    title = Text("已绑定动态口令", "An authenticator is already enrolled")
