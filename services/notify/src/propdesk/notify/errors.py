"""notify's errors (problem+json types with zh-CN and en titles)."""

from __future__ import annotations

from propdesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.projections import EstateNotKnown

__all__ = ["EstateNotKnown"]


class TemplateBroken(InvalidInput):
    code = "template-does-not-render"
    title = Text("模板无法渲染", "The template does not render")


class MessageNotFound(NotFound):
    code = "message-not-found"
    title = Text("消息不存在", "Message not found")


class RecipientNotFound(NotFound):
    code = "recipient-not-found"
    title = Text("收件人不存在", "Recipient not found")


class NotARecipient(Forbidden):
    code = "not-a-recipient"
    title = Text("此令牌不属于任何收件人", "This token belongs to no recipient")


class UnknownProvider(NotFound):
    code = "unknown-provider"
    title = Text("未知的服务商", "Unknown provider")


class UnknownMessageRef(NotFound):
    code = "unknown-message"
    title = Text("回调所指的消息不存在", "The callback names no message we sent")


class WebhookNotFound(NotFound):
    code = "webhook-not-found"
    title = Text("订阅不存在", "Webhook subscription not found")


class InvalidProvider(InvalidInput):
    code = "invalid-provider"
    title = Text("服务商设置无效", "Invalid provider settings")


class InvalidCallback(InvalidInput):
    code = "invalid-callback"
    title = Text("回调内容无效", "The callback's body is not valid")


class ProviderNameTaken(Conflict):
    code = "provider-name-taken"
    title = Text("服务商名称已被使用", "That provider name is taken")


class WrongEstate(InvalidInput):
    code = "wrong-estate"
    title = Text("所引用的记录属于其他小区", "The record referenced belongs to another estate")
