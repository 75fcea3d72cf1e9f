"""The demo estate, generated deterministically: a villa estate in the manner of the manuals' 阳明山庄,
with buildings, units, residents, staff and technicians with realistic Chinese names.

`generate()` is pure and seeded: the same call gives the same estate on every machine.
`seed()` loads it through the public APIs of the running services (so every change emits its events);
it sends what the services accept today and reports what it skipped.
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
        for _ in range({"engineering": 8, "security": 6, "customer_service": 5}.get(dept, 2)):
            ext += 1
            member = Staff(_id(rng), _name(rng), dept, role, str(ext))
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
