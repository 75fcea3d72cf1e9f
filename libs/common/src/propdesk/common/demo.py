"""The demo estate, generated deterministically: a villa estate in the manner of the manuals' 阳明山庄,
with buildings, units, residents, staff and technicians with realistic Chinese names.

`generate()` is pure and seeded: the same call gives the same estate on every machine.
`load()` sends it through intake's public API (so every change emits its events), with a month of desk
work on top; it reports what it skipped.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from dataclasses import asdict, dataclass, field

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强文婷雪梅海燕红梅玉兰晓东晓红子涵浩然欣怡宇轩梓萱一诺思远佳怡俊杰嘉怡"
DEPARTMENTS = {
    "customer_service": ("客服部", "Customer service", "receptionist"),
    "engineering": ("工程部", "Engineering", "technician"),
    "security": ("保安部", "Security", "duty_officer"),
    "cleaning": ("环境部", "Cleaning", "receptionist"),
    "finance": ("财务部", "Finance", "finance"),
    "management": ("管理处", "Management", "manager"),
}
SKILLS = ["plumbing", "electrical", "doors_windows", "hvac", "elevator", "fire_systems", "public_facilities"]


@dataclass
class Unit:
    id: str
    building: str
    number: str
    floor: int
    area_m2: str
    kind: str
    state: str


@dataclass
class Resident:
    id: str
    name: str
    phone: str
    language: str
    role: str
    unit_id: str
    email: str | None = None


@dataclass
class Staff:
    id: str
    name: str
    department: str
    role: str
    extension: str
    skills: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    registry_id: str | None = None  # intake's id, once loaded


@dataclass
class DemoEstate:
    code: str
    name: str
    name_en: str
    address: str
    buildings: list[dict]
    units: list[Unit]
    residents: list[Resident]
    staff: list[Staff]

    def summary(self) -> dict[str, int]:
        return {
            "buildings": len(self.buildings),
            "units": len(self.units),
            "residents": len(self.residents),
            "staff": len(self.staff),
            "technicians": sum(1 for s in self.staff if s.role == "technician"),
        }

    def as_dict(self) -> dict:
        return asdict(self)


def _name(rng: random.Random) -> str:
    given = rng.choice([GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2)] + list(GIVEN[:24]))
    return rng.choice(SURNAMES) + given


MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "186",
    "187",
    "188",
    "189",
)


def _phone(rng: random.Random) -> str:
    return f"+86 {rng.choice(MOBILE_PREFIXES)}{rng.randint(10_000_000, 99_999_999)}"


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(seed: int = 2026) -> DemoEstate:
    rng = random.Random(seed)
    buildings, units, residents, staff = [], [], [], []
    for zone, count, floors, per_floor, kind in (
        ("A", 8, 3, 1, "villa"),
        ("B", 6, 4, 2, "townhouse"),
        ("C", 2, 18, 4, "tower"),
    ):
        for b in range(1, count + 1):
            code = f"{zone}{b}"
            buildings.append(
                {
                    "code": code,
                    "name": f"{zone}区{b}栋",
                    "kind": kind,
                    "floors": floors,
                    "elevators": 2 if kind == "tower" else 0,
                }
            )
            for floor in range(1, floors + 1):
                for n in range(1, per_floor + 1):
                    if kind == "villa" and floor > 1:
                        continue  # a villa is one unit over all its floors
                    area = {
                        "villa": rng.randint(260, 420),
                        "townhouse": rng.randint(160, 240),
                        "tower": rng.choice([89, 96, 118, 128, 143]),
                    }[kind]
                    state = rng.choices(["occupied", "vacant", "renovating"], [85, 10, 5])[0]
                    units.append(
                        Unit(
                            _id(rng),
                            code,
                            f"{code}-{floor:02d}{n:02d}",
                            floor,
                            f"{area}.00",
                            "residential",
                            state,
                        )
                    )
    units.append(Unit(_id(rng), "C1", "C1-商铺01", 1, "75.50", "shop", "occupied"))
    for p in range(1, 41):
        units.append(Unit(_id(rng), "P", f"B1-{p:03d}", -1, "12.50", "parking", "occupied"))
    for unit in units:
        if unit.kind != "residential" or unit.state == "vacant":
            continue
        household = rng.randint(1, 4)
        for i in range(household):
            role = "owner" if i == 0 else rng.choice(["household_member", "household_member", "tenant"])
            person = Resident(
                _id(rng), _name(rng), _phone(rng), "en" if rng.random() < 0.05 else "zh-CN", role, unit.id
            )
            if rng.random() < 0.3:
                person.email = f"resident{len(residents) + 1:04d}@yms.example.com"
            residents.append(person)
    ext = 8000
    for dept, (_zh, _en, role) in DEPARTMENTS.items():
        count = {"engineering": 8, "security": 6, "customer_service": 5}.get(dept, 2)
        for n in range(count):
            ext += 1
            # the desk's last seat is the dispatcher (调度员), who runs the repairs board
            seat = "dispatcher" if dept == "customer_service" and n == count - 1 else role
            member = Staff(_id(rng), _name(rng), dept, seat, str(ext))
            if dept == "engineering":
                member.skills = sorted(rng.sample(SKILLS, 3))
                if "elevator" in member.skills:
                    member.certificates = ["TSG T8 电梯安装维修作业证"]
            staff.append(member)
    return DemoEstate(
        "YMS", "阳明山庄", "Yangming Villas", "广东省某市阳明大道 88 号", buildings, units, residents, staff
    )


def csv_bytes(rows: list[dict]) -> bytes:
    """Rows as the CSV intake's bulk import takes (header from the first row's keys)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


# ---------------------------------------------------------------- loading it through intake's API


async def load(
    client, auth: dict[str, str], estate: DemoEstate | None = None, *, warn=print
) -> dict[str, int]:
    """Load the demo estate through intake's public API with any httpx client (a running service or an
    in-process app): estate, buildings, units and residents (bulk import), staff, then a month of desk work
    (calls, visitors, cases with their follow-ups) so the KPI report has something to show. Idempotency keys
    make it safe to run again."""
    estate = estate or generate()

    def key(name: str) -> dict[str, str]:
        return {**auth, "Idempotency-Key": f"demo-{estate.code}-{name}"}

    r = await client.post(
        "/v1/estates",
        headers=key("estate"),
        json={"code": estate.code, "name": estate.name, "name_en": estate.name_en, "address": estate.address},
    )
    if r.status_code not in (200, 201):
        raise RuntimeError(f"seeding the demo estate failed: {r.status_code} {r.text}")
    estate_id = r.json()["id"]
    for b in estate.buildings:
        await client.post(
            f"/v1/estates/{estate_id}/buildings",
            headers=key(f"building-{b['code']}"),
            json={k: b[k] for k in ("code", "name", "floors", "elevators")},
        )
    await client.post(
        f"/v1/estates/{estate_id}/buildings",
        headers=key("building-P"),
        json={"code": "P", "name": "地下车库", "floors": 1},
    )
    units = [
        {
            "building": u.building,
            "number": u.number,
            "floor": max(u.floor, 1),
            "area_m2": u.area_m2,
            "kind": u.kind,
            "state": "vacant" if u.state == "occupied" else u.state,
        }
        for u in estate.units
    ]
    numbers = {u.id: u.number for u in estate.units}
    residents = [
        {
            "name": p.name,
            "phone": p.phone,
            "email": p.email or "",
            "language": p.language,
            "unit": numbers[p.unit_id],
            "role": p.role,
        }
        for p in estate.residents
    ]
    for kind, rows in (("units", units), ("residents", residents)):
        r = await client.post(
            f"/v1/estates/{estate_id}/imports/{kind}",
            params={"skip_bad_rows": "true"},
            content=csv_bytes(rows),
            headers={**key(f"import-{kind}"), "content-type": "text/csv"},
        )
        if r.status_code not in (200, 201):
            raise RuntimeError(f"importing demo {kind} failed: {r.status_code} {r.text[:500]}")
        if r.json()["skipped"]:
            warn(f"  {kind}: {r.json()['skipped']} rows skipped: {r.json()['errors'][:3]}")
    for member in estate.staff:
        made = await client.post(
            f"/v1/estates/{estate_id}/staff",
            headers=key(f"staff-{member.id}"),
            json={
                "name": member.name,
                "department": member.department,
                "roles": [member.role],
                "extension": member.extension,
                "skills": member.skills,
                "certificates": member.certificates,
            },
        )
        if made.status_code in (200, 201):
            member.registry_id = made.json()["id"]
    activity = await _desk_work(client, estate, estate_id, auth, key)
    return {**estate.summary(), **activity}


COMPLAINTS = [
    ("noise", "楼上装修噪音", "晚上九点后仍有电钻声"),
    ("cleanliness", "垃圾未及时清运", "C1 栋垃圾桶满溢两天"),
    ("parking", "车位被占用", "本人车位被外来车辆占用"),
    ("security", "门禁失灵", "单元门禁刷卡无反应"),
    ("service_attitude", "前台态度", "咨询时前台不耐烦"),
    ("facilities", "路灯不亮", "小区东门路灯坏了一周"),
]
INQUIRIES = ["物业费缴纳方式", "装修需要办理哪些手续", "快递柜如何使用", "车位月卡怎么办理"]


async def _desk_work(client, estate: DemoEstate, estate_id: str, auth, key) -> dict[str, int]:
    """Calls, visits and cases of the current month, each through the API; resolved complaints get their
    follow-up (回访) and most are answered."""
    import datetime as dt

    rng = random.Random(7)
    ids = {}
    page = (await client.get(f"/v1/estates/{estate_id}/units", headers=auth, params={"limit": 500})).json()
    for unit in page.get("items", []):
        if unit["kind"] == "residential":
            ids[unit["number"]] = unit["id"]
    homes = sorted(ids.items())
    counts = {"calls": 0, "visits": 0, "cases": 0, "follow_ups_answered": 0}
    lived_in = [p for p in estate.residents if p.role == "owner"]
    for n in range(30):
        caller = rng.choice(lived_in)
        body = {
            "phone": caller.phone.replace(" ", ""),
            "topic": rng.choice(["inquiry", "complaint", "repair", "fees", "other"]),
            "duration_seconds": rng.randint(30, 600),
            "outcome": "missed" if n % 6 == 5 else "answered",
        }
        r = await client.post(f"/v1/estates/{estate_id}/calls", headers=key(f"call-{n}"), json=body)
        counts["calls"] += r.status_code == 201
    now = dt.datetime.now(dt.UTC)
    for n in range(12):
        _, unit_id = rng.choice(homes)
        r = await client.post(
            f"/v1/estates/{estate_id}/visits",
            headers=key(f"visit-{n}"),
            json={
                "unit_id": unit_id,
                "visitor_name": _name(rng),
                "purpose": rng.choice(["探亲", "送货", "维修", "访友"]),
                "window_from": (now - dt.timedelta(minutes=30)).isoformat(),
                "window_to": (now + dt.timedelta(hours=4)).isoformat(),
            },
        )
        if r.status_code in (200, 201):
            counts["visits"] += 1
            if n % 2 == 0 and r.json()["state"] == "expected":
                await client.post(f"/v1/visits/{r.json()['id']}/check_in", headers=key(f"visit-{n}-in"))
    scores = [5, 5, 5, 4, 4, 4, 3, 2, 5, 4]
    for n in range(18):
        _, unit_id = rng.choice(homes)
        if n < 12:
            category, subject, text = COMPLAINTS[n % len(COMPLAINTS)]
            body = {"kind": "complaint", "category": category, "subject": subject, "description": text}
        else:
            question = INQUIRIES[n % len(INQUIRIES)]
            body = {"kind": "inquiry", "subject": question, "description": question}
        r = await client.post(
            f"/v1/estates/{estate_id}/cases",
            headers=key(f"case-{n}"),
            json={**body, "channel": "phone", "unit_id": unit_id},
        )
        if r.status_code not in (200, 201):
            continue
        counts["cases"] += 1
        case_id = r.json()["id"]
        if n % 9 == 8:
            continue  # still open
        await client.post(
            f"/v1/cases/{case_id}/actions", headers=key(f"case-{n}-ack"), json={"action": "acknowledge"}
        )
        if n % 4 == 3:
            continue  # in hand
        await client.post(
            f"/v1/cases/{case_id}/actions",
            headers=key(f"case-{n}-resolve"),
            json={"action": "resolve", "note": "已处理并电话告知住户"},
        )
    follow_ups = (
        await client.get(
            f"/v1/estates/{estate_id}/follow-ups", headers=auth, params={"state": "pending", "limit": 500}
        )
    ).json()
    for n, follow_up in enumerate(follow_ups.get("items", [])):
        if n % 5 == 4:
            continue  # not called yet
        await client.post(
            f"/v1/follow-ups/{follow_up['id']}/attempts",
            headers=key(f"follow-up-{follow_up['id']}"),
            json={"outcome": "reached", "score": scores[n % len(scores)], "comment": "回访记录"},
        )
        counts["follow_ups_answered"] += 1
    return counts


async def load_rota(repairs, auth: dict[str, str], estate_id: str, *, timeout: float = 60.0) -> int:
    """Give the demo's technicians a rota in repairs once it knows them all: day shifts 08:00-20:00 every
    day, every third technician on nights (20:00-08:00), so reports are dispatched round the clock. A rota
    already set is left alone. Returns how many technicians got one."""
    import asyncio
    import time

    expected = sum(1 for s in generate().staff if s.role == "technician")
    deadline, techs = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        r = await repairs.get(f"/v1/estates/{estate_id}/technicians", headers=auth)
        techs = r.json() if r.status_code == 200 else []
        if len(techs) >= expected:
            break
        await asyncio.sleep(0.5)
    given = 0
    for n, tech in enumerate(techs):
        if tech["rota"]["weekly"] or tech["rota"]["on_call"]:
            continue
        night = n % 3 == 2
        weekly = [
            {"weekday": d, "starts": "20:00" if night else "08:00", "ends": "08:00" if night else "20:00"}
            for d in range(7)
        ]
        r = await repairs.put(f"/v1/technicians/{tech['id']}/rota", headers=auth, json={"weekly": weekly})
        given += r.status_code == 200
    return given
