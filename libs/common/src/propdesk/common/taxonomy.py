"""Place × category × problem: the seeded repair taxonomy, shared by every door a repair comes through (the
desk in intake, the resident's app and repairs itself) so that a classification chosen anywhere means the
same. The problem decides the skill (the category), whether a certificate is required, whether it is an
emergency for incidents, and the default urgency."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    zh: str
    en: str
    urgency: str = "normal"
    emergency: str | None = None  # "elevator_entrapment" | "fire": incidents opens an incident
    outage: str | None = None  # "power" | "water": incidents counts these per building


CATEGORIES: dict[str, tuple[str, str]] = {
    "plumbing": ("给排水", "Plumbing"),
    "electrical": ("电气", "Electrical"),
    "doors_windows": ("门窗", "Doors and windows"),
    "elevator": ("电梯", "Elevator"),
    "fire_systems": ("消防", "Fire systems"),
    "hvac": ("空调暖通", "HVAC"),
    "public_facilities": ("公共设施", "Public facilities"),
    "greenery": ("绿化", "Greenery"),
    "security": ("安防", "Security"),
}

PROBLEMS: dict[str, list[Problem]] = {
    "plumbing": [
        Problem("leak", "漏水", "Leak", "urgent"),
        Problem("burst_pipe", "爆管", "Burst pipe", "emergency"),
        Problem("blocked_drain", "下水堵塞", "Blocked drain"),
        Problem("no_water", "停水/水压低", "No water or low pressure", "urgent", outage="water"),
        Problem("tap_toilet", "龙头/马桶故障", "Tap or toilet fault"),
    ],
    "electrical": [
        Problem("power_out", "断电", "No power", "urgent", outage="power"),
        Problem("short_circuit", "短路/跳闸", "Short circuit or tripping", "urgent"),
        Problem("socket_switch", "插座/开关故障", "Socket or switch fault"),
        Problem("lighting", "照明故障", "Lighting fault"),
    ],
    "doors_windows": [
        Problem("lock", "门锁故障", "Lock fault", "urgent"),
        Problem("window", "窗户损坏", "Broken window"),
        Problem("door", "门损坏", "Damaged door"),
    ],
    "elevator": [
        Problem("entrapment", "电梯困人", "Person trapped in elevator", "emergency", "elevator_entrapment"),
        Problem("out_of_service", "电梯停运", "Elevator out of service", "urgent"),
        Problem("noise_shake", "异响/抖动", "Noise or shaking"),
    ],
    "fire_systems": [
        Problem("fire", "火情", "Fire", "emergency", "fire"),
        Problem("alarm", "火警报警", "Fire alarm sounding", "emergency", "fire"),
        Problem("extinguisher", "灭火器/消防栓", "Extinguisher or hydrant"),
        Problem("emergency_light", "应急灯/疏散指示", "Emergency light or exit sign"),
    ],
    "hvac": [
        Problem("no_cooling", "空调不制冷/不制热", "No cooling or heating"),
        Problem("ventilation", "通风故障", "Ventilation fault"),
    ],
    "public_facilities": [
        Problem("road_paving", "道路/铺装破损", "Damaged paving"),
        Problem("gate_barrier", "道闸/门禁", "Gate or barrier", "urgent"),
        Problem("playground", "游乐设施", "Playground equipment"),
        Problem("other", "其他", "Other"),
    ],
    "greenery": [
        Problem("fallen_tree", "树木倒伏", "Fallen tree", "urgent"),
        Problem("irrigation", "喷灌", "Irrigation"),
    ],
    "security": [Problem("cctv", "监控故障", "CCTV fault"), Problem("intercom", "对讲门禁", "Intercom")],
}

# Certificates a technician must hold for a category (special equipment: 特种设备作业人员证).
REQUIRED_CERTIFICATE: dict[str, str] = {"elevator": "电梯"}


OTHER = Problem("other", "其他", "Other")


def problem(category: str, code: str) -> Problem | None:
    """The problem, or None when the category does not have it ('other' fits every category)."""
    if category not in PROBLEMS:
        return None
    return next((p for p in PROBLEMS[category] if p.code == code), OTHER if code == "other" else None)


def as_json() -> list[dict]:
    return [
        {
            "category": category,
            "zh": zh,
            "en": en,
            "certificate_required": REQUIRED_CERTIFICATE.get(category),
            "problems": [
                {
                    "code": p.code,
                    "zh": p.zh,
                    "en": p.en,
                    "default_urgency": p.urgency,
                    "emergency": p.emergency,
                }
                for p in PROBLEMS[category]
            ],
        }
        for category, (zh, en) in CATEGORIES.items()
    ]
