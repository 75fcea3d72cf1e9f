"""Templates rendered with Jinja2 in a sandbox: a template cannot reach Python objects or the system,
and a missing placeholder is an error, never an empty hole in a message."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from propdesk.common.money import format_yuan
from propdesk.common.timeutil import to_local
from propdesk.notify.errors import TemplateBroken

KIND_ZH = {"inquiry": "咨询", "complaint": "投诉", "praise": "表扬", "suggestion": "建议"}
MILESTONE_ZH = {
    "acknowledge": "受理",
    "first_response": "首次回复",
    "resolution": "办结",
    "update": "进度更新",
    "dispatch": "派工",
    "arrive": "到场",
    "complete": "完工",
}
TO_ZH = {"supervisor": "主管", "manager": "经理"}
CATEGORY_ZH = {
    "plumbing": "给排水",
    "electrical": "电气",
    "doors_windows": "门窗",
    "elevator": "电梯",
    "fire_systems": "消防",
    "hvac": "空调暖通",
    "public_facilities": "公共设施",
    "greenery": "绿化",
    "security": "安防",
}
URGENCY_ZH = {"emergency": "急修", "urgent": "紧急", "normal": "一般", "scheduled": "预约"}
STAGE_ZH = {
    "accepted": "维修人员已接单",
    "en_route": "维修人员已出发",
    "on_site": "维修人员已到场",
    "paused": "暂停（待料/待住户/待进场）",
    "resumed": "已恢复维修",
    "reopened": "已重新打开",
    "cancelled": "已取消",
    "closed": "已关闭",
}


def _local(value: object, tz: str = "Asia/Shanghai") -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return f"{to_local(value, tz):%Y-%m-%d %H:%M}"
    return str(value)


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
    env.filters["local"] = _local
    env.filters["yuan"] = lambda fen: format_yuan(int(fen))
    return env


@lru_cache(maxsize=2048)
def _compile(source: str):
    return environment().from_string(source)


def enrich(context: dict) -> dict:
    """The payload plus friendly words the templates use (zh-CN names of kinds, milestones, roles)."""
    extra = {}
    if "kind" in context:
        extra["kind_zh"] = KIND_ZH.get(context["kind"], context["kind"])
    if "milestone" in context:
        extra["milestone_zh"] = MILESTONE_ZH.get(context["milestone"], context["milestone"])
    if "to" in context:
        extra["to_zh"] = TO_ZH.get(context["to"], context["to"])
    if "urgency" in context:
        extra["urgency_zh"] = URGENCY_ZH.get(context["urgency"], context["urgency"])
    if "stage" in context:
        extra["stage_zh"] = STAGE_ZH.get(context["stage"], context["stage"])
    if "category" in context:
        extra["category_zh"] = CATEGORY_ZH.get(context["category"], context["category"])
    return {**context, **extra}


def render(source: str, context: dict) -> str:
    try:
        return _compile(source).render(**enrich(context)).strip()
    except TemplateError as exc:
        raise TemplateBroken(f"{type(exc).__name__}: {exc}") from exc
