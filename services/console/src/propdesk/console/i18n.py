"""zh-CN first, English switchable: every text the screens show, money as ¥ with exact fen, times in the
estate's time zone, countdowns to a milestone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LANGS = ("zh-CN", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # frame
    "app": ("物业客服中心", "Property service desk"),
    "board": ("调度台", "Dispatch board"),
    "my_jobs": ("我的工单", "My jobs"),
    "ops": ("运行状态", "Operations"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "switch_lang": ("English", "中文"),
    "login": ("账号或手机号", "Login or phone number"),
    "password": ("密码", "Password"),
    "totp": ("动态验证码", "Authenticator code"),
    "totp_hint": (
        "已开启两步验证：请输入验证器中的 6 位数字",
        "Two-step sign-in is on: enter the 6 digits from your authenticator",
    ),
    "sign_in_failed": ("账号或密码不正确", "The login or password is not right"),
    "sign_in_locked": (
        "账号已被锁定，请稍后再试或联系管理员",
        "The account is locked: try later or ask an administrator",
    ),
    "totp_wrong": ("动态验证码不正确", "The authenticator code is not right"),
    "sign_in_wait": ("尝试次数过多，请稍后再试", "Too many tries: wait a little and try again"),
    "password_change_required": (
        "初始密码需先修改：请联系管理员或使用 propdesk accounts set-password",
        "The initial password must be changed first: ask an administrator",
    ),
    "session_over": ("登录已过期，请重新登录", "Your session has ended: please sign in again"),
    "csrf": ("页面已过期，请刷新后重试", "This page has expired: reload it and try again"),
    "forbidden": ("您的角色无权打开此页面", "Your role does not open this page"),
    "unavailable": (
        "{service} 服务暂时无法访问，其余功能可继续使用",
        "The {service} service is not answering; the rest of the console still works",
    ),
    "no_estate": ("您的账号未分配项目", "Your account has no estate assigned"),
    "estate": ("项目", "Estate"),
    "live": ("实时", "Live"),
    "live_lost": ("实时连接中断，正在重连…", "Live updates lost, reconnecting…"),
    # board
    "queue": ("待处理工单", "Open work orders"),
    "paused": ("已暂停", "Paused"),
    "unassignable": ("无人可派", "Nobody to dispatch"),
    "technicians": ("维修工", "Technicians"),
    "on_shift": ("在班", "On shift"),
    "off_shift": ("不在班", "Off shift"),
    "load": ("在手", "Load"),
    "current_job": ("当前", "Now"),
    "no_orders": ("没有待处理的工单", "No open work orders"),
    "showing": ("显示 {shown} / {total} 条", "Showing {shown} of {total}"),
    "filters": ("筛选", "Filters"),
    "all": ("全部", "All"),
    "building": ("楼栋", "Building"),
    "category": ("类别", "Category"),
    "urgency": ("紧急程度", "Urgency"),
    "apply": ("筛选", "Apply"),
    "assign": ("派工", "Assign"),
    "reassign": ("改派", "Reassign"),
    "auto_assign": ("自动派工", "Assign automatically"),
    "reason": ("原因", "Reason"),
    "reason_hint": ("改派时必填", "Required when reassigning"),
    "pick_technician": ("选择维修工", "Pick a technician"),
    "change_urgency": ("调整紧急程度", "Change urgency"),
    "pause": ("暂停", "Pause"),
    "resume": ("恢复", "Resume"),
    "cancel": ("取消工单", "Cancel order"),
    "close": ("关闭", "Close"),
    "save": ("保存", "Save"),
    "done": ("已完成", "Done"),
    "saved": ("已保存", "Saved"),
    "timeline": ("处理记录", "Timeline"),
    "reporters": ("报修人", "Reported by"),
    "location": ("位置", "Location"),
    "photos": ("照片", "Photos"),
    "no_photos": ("无照片", "No photos"),
    "technician": ("维修工", "Technician"),
    "unassigned": ("未派工", "Unassigned"),
    "state": ("状态", "State"),
    "shortcuts": (
        "快捷键：J/K 上下移动，Enter 打开，A 派工，/ 筛选，Esc 关闭",
        "Keys: J/K move, Enter opens, A assigns, / filters, Esc closes",
    ),
    "overdue": ("已超时", "overdue"),
    "left": ("剩余", "left"),
    "met": ("已达成", "met"),
    "drag_hint": ("可将工单拖到维修工上派工", "Drag an order onto a technician to assign it"),
    # technician
    "jobs_today": ("我的工单", "My jobs"),
    "no_jobs": ("暂无派给您的工单", "No jobs assigned to you"),
    "accept": ("接单", "Accept"),
    "decline": ("拒单", "Decline"),
    "en_route": ("出发", "On my way"),
    "arrive": ("到达现场", "Arrived"),
    "complete": ("完工", "Complete"),
    "pause_reason": ("暂停原因", "Why pause"),
    "parts": ("配件", "Parts"),
    "add_part": ("添加配件", "Add part"),
    "quantity": ("数量", "Quantity"),
    "labour_minutes": ("工时（分钟）", "Labour (minutes)"),
    "note": ("完工说明", "Completion note"),
    "confirmation": ("住户确认", "Resident's confirmation"),
    "awaiting_confirmation": ("等待住户确认", "Waiting for the resident to confirm"),
    "confirmed": ("住户已确认", "The resident confirmed"),
    "call": ("拨打", "Call"),
    # ops
    "service": ("服务", "Service"),
    "ready": ("就绪", "Ready"),
    "outbox_backlog": ("待发事件", "Outbox backlog"),
    "consumer_lag": ("消费延迟", "Consumer lag"),
    "dead_letters": ("死信", "Dead letters"),
    "pending_timers": ("待触发定时器", "Pending timers"),
    "replay": ("重新处理", "Replay"),
    "replayed": ("已重新处理", "Replayed"),
    "no_dead_letters": ("没有死信", "No dead letters"),
    "error": ("错误", "Error"),
    "received_at": ("时间", "When"),
    "event": ("事件", "Event"),
}

ENUMS: dict[str, dict[str, tuple[str, str]]] = {
    "urgency": {
        "emergency": ("紧急", "Emergency"),
        "urgent": ("加急", "Urgent"),
        "normal": ("一般", "Normal"),
        "scheduled": ("预约", "Scheduled"),
    },
    "state": {
        "reported": ("已报修", "Reported"),
        "triaged": ("待派工", "To dispatch"),
        "assigned": ("已派工", "Assigned"),
        "accepted": ("已接单", "Accepted"),
        "en_route": ("在途", "En route"),
        "on_site": ("现场处理", "On site"),
        "paused": ("已暂停", "Paused"),
        "completed": ("已完工", "Completed"),
        "closed": ("已关闭", "Closed"),
        "cancelled": ("已取消", "Cancelled"),
        "reopened": ("已重开", "Reopened"),
    },
    "milestone": {
        "acknowledge": ("响应", "Acknowledge"),
        "dispatch": ("派工", "Dispatch"),
        "arrive": ("到场", "Arrive"),
        "complete": ("完工", "Complete"),
    },
    "category": {
        "plumbing": ("给排水", "Plumbing"),
        "electrical": ("电气", "Electrical"),
        "doors_windows": ("门窗", "Doors & windows"),
        "elevator": ("电梯", "Elevator"),
        "fire_systems": ("消防", "Fire systems"),
        "hvac": ("空调暖通", "HVAC"),
        "public_facilities": ("公共设施", "Public facilities"),
        "greenery": ("绿化", "Greenery"),
        "security": ("安防", "Security"),
    },
    "entry": {
        "reported": ("报修", "Reported"),
        "triage": ("分诊", "Triaged"),
        "assign": ("派工", "Assigned"),
        "reassign": ("改派", "Reassigned"),
        "unassignable": ("无人可派", "Nobody to dispatch"),
        "accept": ("接单", "Accepted"),
        "decline": ("拒单", "Declined"),
        "en_route": ("出发", "On the way"),
        "arrive": ("到场", "Arrived"),
        "pause": ("暂停", "Paused"),
        "resume": ("恢复", "Resumed"),
        "complete": ("完工", "Completed"),
        "confirm": ("住户确认", "Confirmed by the resident"),
        "reject": ("住户不满意", "Rejected by the resident"),
        "reopen": ("重开", "Reopened"),
        "cancel": ("取消", "Cancelled"),
        "change_urgency": ("调整紧急程度", "Urgency changed"),
        "close": ("关闭", "Closed"),
        "charged": ("计费", "Charged"),
        "part": ("用料", "Part used"),
        "sla_warning": ("时限预警", "SLA warning"),
        "sla_breached": ("超时", "SLA breached"),
        "maintenance_missed": ("保养漏做", "Maintenance missed"),
    },
    "pause_reason": {
        "parts": ("等配件", "Waiting for parts"),
        "resident": ("等住户", "Waiting for the resident"),
        "access": ("无法进入", "No access"),
        "weather": ("天气原因", "Weather"),
        "other": ("其他", "Other"),
    },
}


def negotiate(value: str | None) -> str:
    return "en" if (value or "").lower().startswith("en") else "zh-CN"


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "zh-CN"
        self.i = 0 if self.lang == "zh-CN" else 1

    def __call__(self, key: str, **values: object) -> str:
        pair = TEXTS.get(key)
        text = pair[self.i] if pair else key
        return text.format(**values) if values else text

    def enum(self, kind: str, value: str | None) -> str:
        if value is None:
            return ""
        pair = ENUMS.get(kind, {}).get(value)
        return pair[self.i] if pair else value.replace("_", " ")


def money(fen: int | None) -> str:
    """¥ with exact fen: 123456 -> ¥1,234.56 (integer arithmetic, no float)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def local_time(value: str | dt.datetime | None, tz: str, fmt: str = "%m-%d %H:%M") -> str:
    moment = parse_time(value)
    return moment.astimezone(ZoneInfo(tz)).strftime(fmt) if moment else ""


def countdown(due: str | dt.datetime | None, now: dt.datetime, t: Translator) -> tuple[str, str]:
    """(text, level) for a milestone due at `due`: level ok / warn (under 20 min) / late."""
    moment = parse_time(due)
    if moment is None:
        return "", "none"
    seconds = int((moment - now).total_seconds())
    minutes = abs(seconds) // 60
    span = f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    if seconds < 0:
        return f"{t('overdue')} {span}", "late"
    return f"{t('left')} {span}", "warn" if seconds < 20 * 60 else "ok"
