"""Default templates for every event that notifies someone, in zh-CN and en. One title and body per
event and language; each channel takes its form from them (SMS: one line with the estate's signature).
Placeholders are the event's payload fields, plus `recipient` (name, language) and `estate` (name)."""

from __future__ import annotations

CHANNELS = ("inapp", "email", "sms", "push", "voice")

# event type: (zh title, zh body, en title, en body)
TEXTS: dict[str, tuple[str, str, str, str]] = {
    "intake.case.opened": (
        "新工单 {{ reference }}",
        "{{ subject }}（{{ kind_zh }}）已登记，请及时受理。",
        "New case {{ reference }}",
        "{{ subject }} ({{ kind }}) was filed; please acknowledge it.",
    ),
    "intake.case.assigned": (
        "工单已分派 {{ reference }}",
        "工单 {{ reference }} 已分派给您处理。",
        "Case assigned {{ reference }}",
        "Case {{ reference }} was assigned to you.",
    ),
    "intake.case.sla_warning": (
        "工单即将超时 {{ reference }}",
        "工单 {{ reference }} 的{{ milestone_zh }}将于 {{ due_at | local }} 到期。",
        "Case due soon {{ reference }}",
        "The {{ milestone | replace('_', ' ') }} of case {{ reference }} is due at {{ due_at | local }}.",
    ),
    "intake.case.sla_breached": (
        "工单已超时 {{ reference }}",
        "工单 {{ reference }} 的{{ milestone_zh }}已超过时限（{{ due_at | local }}）。",
        "Case overdue {{ reference }}",
        "The {{ milestone | replace('_', ' ') }} of case {{ reference }} missed its "
        "target ({{ due_at | local }}).",
    ),
    "intake.case.escalated": (
        "工单升级 {{ reference }}",
        "工单 {{ reference }} 已升级至{{ to_zh }}：{{ reason }}",
        "Case escalated {{ reference }}",
        "Case {{ reference }} was escalated to the {{ to }}: {{ reason }}",
    ),
    "intake.case.resolved": (
        "您的工单已处理 {{ reference }}",
        "处理结果：{{ resolution }}。如有疑问请联系客服中心。",
        "Your case was resolved {{ reference }}",
        "Resolution: {{ resolution }}. Please confirm or tell us if anything is left.",
    ),
    "intake.case.reopened": (
        "工单被退回 {{ reference }}",
        "住户对工单 {{ reference }} 的处理结果不满意（第 {{ reopen_count }} 次）：{{ reason or '' }}",
        "Case reopened {{ reference }}",
        "The resident rejected the resolution of case {{ reference }} "
        "(time {{ reopen_count }}): {{ reason or '' }}",
    ),
    "intake.message.taken": (
        "您有新留言",
        "{{ from_name }}{% if from_phone %}（{{ from_phone }}）{% endif %}留言：{{ text }}",
        "New message for you",
        "{{ from_name }}{% if from_phone %} ({{ from_phone }}){% endif %} left a message: {{ text }}",
    ),
    "intake.callback.overdue": (
        "回电已逾期",
        "请尽快回电 {{ phone }}：{{ reason }}（应于 {{ due_at | local }} 前）",
        "Callback overdue",
        "Please call {{ phone }} back: {{ reason }} (due {{ due_at | local }}).",
    ),
    "intake.visit.registered": (
        "访客待确认",
        "访客 {{ visitor_name }} 到访，请确认是否接待。",
        "Visitor waiting",
        "{{ visitor_name }} is at the desk to see you; please confirm.",
    ),
    "intake.visit.checked_in": (
        "访客已到达",
        "您的访客 {{ visitor_name }} 已于 {{ checked_in_at | local }} 进入小区。",
        "Your visitor arrived",
        "Your visitor {{ visitor_name }} came in at {{ checked_in_at | local }}.",
    ),
    "intake.visit.overstayed": (
        "访客超时未离开",
        "访客 {{ visitor_name }} 已超过登记时间（{{ window_to | local }}）仍未离开。",
        "Visitor overstayed",
        "Visitor {{ visitor_name }} is still inside after {{ window_to | local }}.",
    ),
    "repairs.work_order.assigned": (
        "派工 {{ reference }}",
        "{{ technician_name }} 已受理 {{ location }} 的维修（{{ category_zh }}，{{ urgency_zh }}）：{{ description }}",
        "Work order {{ reference }}",
        "{{ technician_name }} is assigned the repair at {{ location }} ({{ category }}, "
        "{{ urgency }}): {{ description }}",
    ),
    "notify.digest": (  # staff digests (not an event type)
        "{{ count }} 条提醒",
        "{% for item in items %}{{ loop.index }}. {{ item }}\n{% endfor %}",
        "{{ count }} alerts",
        "{% for item in items %}{{ loop.index }}. {{ item }}\n{% endfor %}",
    ),
    "notify.notice": (  # ad-hoc notices from staff (not an event type)
        "{{ title_zh }}",
        "{{ body_zh }}",
        "{{ title_en }}",
        "{{ body_en }}",
    ),
}


def default_templates() -> dict[tuple[str, str, str], tuple[str | None, str]]:
    """(event type, channel, language) -> (subject, body)."""
    out: dict[tuple[str, str, str], tuple[str | None, str]] = {}
    for event_type, (title_zh, body_zh, title_en, body_en) in TEXTS.items():
        for language, title, body in (("zh-CN", title_zh, body_zh), ("en", title_en, body_en)):
            out[(event_type, "inapp", language)] = (title, body)
            out[(event_type, "email", language)] = (title, body + "\n\n{{ estate.name }}")
            sign = "【{{ estate.name }}】" if language == "zh-CN" else "[{{ estate.name }}] "
            out[(event_type, "sms", language)] = (None, sign + title + ": " + body)
            out[(event_type, "push", language)] = (title, body)
            out[(event_type, "voice", language)] = (
                None,
                title + ("。" if language == "zh-CN" else ". ") + body,
            )
    return out
