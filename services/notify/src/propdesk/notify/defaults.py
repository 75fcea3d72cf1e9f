"""Default templates for every event that notifies someone, in zh-CN and en. One title and body per
event and language; each channel takes its form from them (SMS: one line with the estate's signature).
Placeholders are the event's payload fields, plus `recipient` (name, language) and `estate` (name)."""

from __future__ import annotations

CHANNELS = ("inapp", "email", "sms", "push", "voice")

# event type: (zh title, zh body, en title, en body)
TEXTS: dict[str, tuple[str, str, str, str]] = {
    "intake.case.opened": (
        "新工单 {{ reference }}",
        "{{ subject }}（{{ kind_zh }}）已登记，请及时受理。"
        "{% if employee_name %}被投诉员工：{{ employee_name }}。{% endif %}",
        "New case {{ reference }}",
        "{{ subject }} ({{ kind }}) was filed; please acknowledge it."
        "{% if employee_name %} It is about {{ employee_name }}.{% endif %}",
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
    "intake.follow_up.created": (
        "服务回访",
        "您好，{{ source_reference or '您的服务' }}已完成，请在 {{ due_at | local }} 前为本次服务评分（1-5 分）。",
        "How did we do?",
        "{{ source_reference or 'Your request' }} is done; please rate it (1-5) by {{ due_at | local }}.",
    ),
    "intake.follow_up.dissatisfied": (
        "回访不满意 {{ complaint_reference }}",
        "{{ source_reference or '回访' }} 评分 {{ score }} 分，已立投诉 {{ complaint_reference }}：{{ comment or '' }}",
        "Dissatisfied follow-up {{ complaint_reference }}",
        "{{ source_reference or 'A follow-up' }} scored {{ score }}; complaint {{ complaint_reference }} "
        "was opened: {{ comment or '' }}",
    ),
    "intake.follow_up.overdue": (
        "回访已逾期",
        "{{ source_reference or '回访' }} 的回访应于 {{ due_at | local }} 前完成。",
        "Follow-up overdue",
        "The follow-up of {{ source_reference or 'a request' }} was due by {{ due_at | local }}.",
    ),
    "intake.move_in.completed": (
        "欢迎入住 {{ estate.name }}",
        "{{ resident_name }}，您好！{{ unit_number }} 已于 {{ handed_over_on }} 交付，共 {{ keys }} 把钥匙。"
        "客服中心 24 小时为您服务。",
        "Welcome to {{ estate.name }}",
        "Dear {{ resident_name }}, {{ unit_number }} was handed over on {{ handed_over_on }} with {{ keys }} "
        "keys. The service desk is here for you around the clock.",
    ),
    "intake.renovation.applied": (
        "新装修申请 {{ reference }}",
        "{{ contractor }} 申请装修，计划 {{ planned_start }} 至 {{ planned_end }}，请审核。",
        "Renovation application {{ reference }}",
        "{{ contractor }} applied to renovate from {{ planned_start }} to {{ planned_end }}; please review.",
    ),
    "intake.renovation.reviewed": (
        "装修申请审核结果 {{ reference }}",
        "{% if decision == 'approved' %}您的装修申请已批准，押金 {{ deposit_fen | yuan }}。"
        "{% else %}您的装修申请未获批准：{{ note or '' }}{% endif %}",
        "Renovation {{ reference }} reviewed",
        "{% if decision == 'approved' %}Your renovation was approved; deposit {{ deposit_fen | yuan }}."
        "{% else %}Your renovation was not approved: {{ note or '' }}{% endif %}",
    ),
    "intake.renovation.accepted": (
        "装修验收通过 {{ reference }}",
        "您的装修已于 {{ accepted_on }} 验收通过，押金将办理退还。",
        "Renovation accepted {{ reference }}",
        "Your renovation passed its acceptance on {{ accepted_on }}; the deposit will be released.",
    ),
    "intake.violation.noticed": (
        "整改通知 {{ reference }}",
        "{{ description }}。请于 {{ deadline | local }} 前整改完毕。",
        "Rectification notice {{ reference }}",
        "{{ description }}. Please put it right by {{ deadline | local }}.",
    ),
    "intake.violation.escalated": (
        "违章逾期未整改 {{ reference }}",
        "违章 {{ reference }} 已超过整改期限（{{ deadline | local }}），升级第 {{ level }} 级。",
        "Violation not rectified {{ reference }}",
        "Violation {{ reference }} passed its deadline ({{ deadline | local }}); escalated to level {{ level }}.",
    ),
    "intake.vacant_unit.inspection_due": (
        "空置房巡查到期",
        "空置房 {{ unit_number }} 应于 {{ due_on }} 巡查。",
        "Vacant unit inspection due",
        "Vacant unit {{ unit_number }} is due its inspection on {{ due_on }}.",
    ),
    "repairs.work_order.unassignable": (
        "无人可派 {{ reference }}",
        "{{ location }} 的维修（{{ category_zh }}，{{ urgency_zh }}）无法自动派工：{{ reason }}，请人工派单。",
        "Nobody to dispatch {{ reference }}",
        "The repair at {{ location }} ({{ category }}, {{ urgency }}) could not be dispatched: {{ reason }}. "
        "Please assign it by hand.",
    ),
    "repairs.work_order.progressed": (
        "维修进度 {{ reference }}",
        "{{ location }} 的维修：{{ stage_zh }}。{{ note or '' }}",
        "Repair update {{ reference }}",
        "The repair at {{ location }}: {{ stage | replace('_', ' ') }}. {{ note or '' }}",
    ),
    "repairs.work_order.completed": (
        "维修已完成 {{ reference }}",
        "{{ reference }} 已完成：{{ notes }}。请确认维修结果，如有问题可退回。",
        "Repair completed {{ reference }}",
        "{{ reference }} is done: {{ notes }}. Please confirm it, or send it back if something is wrong.",
    ),
    "repairs.work_order.sla_warning": (
        "维修时限预警 {{ reference }}",
        "{{ reference }}（{{ location }}）的{{ milestone_zh }}已用去 {{ (threshold * 100) | int }}% 时限，"
        "{{ due_at | local }} 到期。",
        "Repair due soon {{ reference }}",
        "{{ reference }} ({{ location }}): {{ (threshold * 100) | int }}% of the {{ milestone }} target used; "
        "due {{ due_at | local }}.",
    ),
    "repairs.work_order.sla_breached": (
        "维修超时 {{ reference }}",
        "{{ reference }}（{{ location }}）的{{ milestone_zh }}已超过时限（{{ due_at | local }}）。",
        "Repair overdue {{ reference }}",
        "{{ reference }} ({{ location }}) missed its {{ milestone }} target ({{ due_at | local }}).",
    ),
    "repairs.maintenance.missed": (
        "计划保养未完成 {{ reference }}",
        "{{ title }} 应于 {{ due_on }} 完成，至今未完成（{{ reference }}）。",
        "Maintenance missed {{ reference }}",
        "{{ title }} was due on {{ due_on }} and is not done ({{ reference }}).",
    ),
    "incidents.incident.triggered": (
        "{% if drill %}【演练】{% endif %}紧急事件 {{ reference }}：{{ title }}",
        "{{ location }} {{ description }}。请立即按预案处置并确认。",
        "{% if drill %}[DRILL] {% endif %}Emergency {{ reference }}: {{ playbook | replace('_', ' ') }}",
        "{{ location }} {{ description }}. Follow the playbook and acknowledge now.",
    ),
    "incidents.help.requested": (
        "{% if drill %}【演练】{% endif %}住户求助 {{ reference }}",
        "{{ unit_number }}（{{ floor }} 层）的住户需要帮助：{{ note or '' }}",
        "{% if drill %}[DRILL] {% endif %}Resident needs help {{ reference }}",
        "The resident of {{ unit_number }} (floor {{ floor }}) needs help: {{ note or '' }}",
    ),
    "incidents.step.escalated": (
        "{% if drill %}【演练】{% endif %}应急步骤超时 {{ reference }}",
        "「{{ step_title_zh }}」已超过时限（{{ due_at | local }}），第 {{ escalations }} 次升级，请立即确认处理。",
        "{% if drill %}[DRILL] {% endif %}Emergency step late {{ reference }}",
        '"{{ step_title_en }}" is past its deadline ({{ due_at | local }}); escalation {{ escalations }}. '
        "Acknowledge it now.",
    ),
    "billing.invoice.issued": (
        "账单 {{ number }}",
        "{% if period %}{{ period }} {% endif %}账单 {{ total_fen | yuan }}，请于 {{ due_on }} 前缴纳。",
        "Invoice {{ number }}",
        "{% if period %}{{ period }} {% endif %}invoice for {{ total_fen | yuan }}, due {{ due_on }}.",
    ),
    "billing.payment.received": (
        "缴费成功 {{ receipt_number }}",
        "已收到缴费 {{ amount_fen | yuan }}"
        "（{{ {'cash': '现金', 'bank_transfer': '银行转账', 'wechat': '微信支付', 'alipay': '支付宝', "
        "'card': '银行卡'}.get(channel, channel) }}），收据号 {{ receipt_number }}。"
        "{% if credit_fen %}其中 {{ credit_fen | yuan }} 存为预收款，将自动抵扣以后的账单。{% endif %}",
        "Payment received {{ receipt_number }}",
        "We received {{ amount_fen | yuan }} ({{ channel }}); receipt {{ receipt_number }}."
        "{% if credit_fen %} {{ credit_fen | yuan }} is kept as credit for the next invoices.{% endif %}",
    ),
    "billing.deposit.released": (
        "押金已退还",
        "您的{% if purpose == 'renovation' %}装修{% endif %}押金 {{ amount_fen | yuan }} 已办理退还："
        "退还 {{ refund_fen | yuan }}{% if deductions_fen %}，扣除 {{ deductions_fen | yuan }}（明细见装修记录）{% endif %}。",
        "Deposit returned",
        "Your {% if purpose == 'renovation' %}renovation {% endif %}deposit of {{ amount_fen | yuan }} was settled: "
        "{{ refund_fen | yuan }} returned{% if deductions_fen %}, {{ deductions_fen | yuan }} deducted (see the "
        "renovation record){% endif %}.",
    ),
    "billing.dunning.stage": (
        "{% if stage == 'manager' %}欠费升级{% else %}缴费提醒{% endif %} {{ number }}",
        "账单 {{ number }} 已逾期 {{ days_overdue }} 天，尚欠 {{ outstanding_fen | yuan }}。"
        "{% if stage == 'formal_notice' %}此为正式催缴通知。{% endif %}如已缴纳请忽略。",
        "{% if stage == 'manager' %}Arrears escalated{% else %}Payment reminder{% endif %} {{ number }}",
        "Invoice {{ number }} is {{ days_overdue }} days overdue; {{ outstanding_fen | yuan }} is outstanding."
        "{% if stage == 'formal_notice' %} This is a formal notice.{% endif %} Please ignore this if you have paid.",
    ),
    "identity.sign_in_code.issued": (  # {{ code }} is unsealed only as the SMS goes out
        "登录验证码",
        "验证码 {{ code }}，{{ minutes }} 分钟内有效。请勿告诉他人。",
        "Sign-in code",
        "Your code is {{ code }}. It expires in {{ minutes }} minutes. Never share it.",
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
