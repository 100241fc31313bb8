"""Demo customers and vehicles: realistic, deterministic zh_CN rows for a tenant's book.

Pure generation (no database): a seeded ``random.Random`` and a seeded Faker produce the same
people, VINs and plates on every run. VINs carry a correct check digit and real Chinese
manufacturer codes, so they pass the same validation as typed ones; plates follow the GB
pattern of the store's city, eight characters for new-energy cars.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from faker import Faker
from stdnum.cn import ric

from pitstop.crm.validators import normalize_phone, vin_check_digit
from pitstop.db.base import new_id

MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "LSV": ("上汽大众", ("朗逸", "帕萨特", "途观L")),
    "LFV": ("一汽-大众", ("速腾", "迈腾", "宝来")),
    "LBV": ("华晨宝马", ("3系", "5系", "X3")),
    "LSG": ("上汽通用", ("英朗", "君威", "昂科威")),
    "LHG": ("广汽本田", ("雅阁", "飞度", "凌派")),
    "LVG": ("广汽丰田", ("凯美瑞", "汉兰达", "雷凌")),
    "LFM": ("一汽丰田", ("卡罗拉", "亚洲龙", "RAV4荣放")),
    "LGB": ("东风日产", ("轩逸", "天籁", "奇骏")),
    "LGW": ("长城汽车", ("哈弗H6", "坦克300", "哈弗大狗")),
    "LVV": ("奇瑞汽车", ("瑞虎8", "艾瑞泽5", "瑞虎7")),
}
EV_MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "LGX": ("比亚迪", ("秦PLUS", "汉", "元PLUS", "海豚")),
    "LRW": ("特斯拉", ("Model 3", "Model Y")),
}
YEAR_CODES = {2016: "G", 2017: "H", 2018: "J", 2019: "K", 2020: "L", 2021: "M", 2022: "N",
              2023: "P", 2024: "R", 2025: "S", 2026: "T"}  # fmt: skip
PLATE_PREFIX = {"上海": "沪", "杭州": "浙A", "成都": "川A", "北京": "京"}
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "156", "157", "158", "159", "176", "177", "180", "181",
                   "182", "185", "186", "187", "188", "189", "198", "199")  # fmt: skip
OCCUPATIONS = (("office_worker", 40), ("business_owner", 20), ("civil_servant", 10),
               ("migrant_worker", 12), ("farmer", 6), ("other", 12))  # fmt: skip
SOURCES = (("walk_in", 45), ("phone", 10), ("mini_program", 20), ("referral", 12),
           ("platform", 8), ("web", 5))  # fmt: skip
TAGS = ("vip", "fleet", "price_sensitive", "new_energy", "referrer")
COLOURS = ("白色", "黑色", "银色", "灰色", "蓝色", "红色")


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


@dataclass
class Book:
    """One tenant's generated customers and vehicles (rows ready for bulk insert)."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    ownerships: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PeopleMaker:
    tenant_id: uuid.UUID
    stores: list[dict[str, Any]]
    now: dt.datetime
    seed: int
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)
    _phones: set[str] = field(default_factory=set)
    _plates: set[str] = field(default_factory=set)
    _serial: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(self.seed)

    def phone(self) -> str:
        while True:
            raw = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if raw not in self._phones:
                self._phones.add(raw)
                return normalize_phone(raw)

    def customer(self, created_at: dt.datetime) -> dict[str, Any]:
        store = self.rng.choice(self.stores)
        phone = self.phone()
        id_number = self.fake.ssn() if self.rng.random() < 0.6 else None
        birthday = ric.get_birth_date(id_number) if id_number else None
        if birthday is None and self.rng.random() < 0.5:
            birthday = self.fake.date_of_birth(minimum_age=20, maximum_age=68)
        gender = None
        if id_number:
            gender = "male" if int(id_number[16]) % 2 else "female"
        consent = self.rng.random() < 0.6
        return {
            "tenant_id": self.tenant_id,
            "id": new_id(),
            "name": self.fake.name(),
            "phone": phone,
            "phone_last4": phone[-4:],
            "gender": gender,
            "birthday": birthday,
            "id_number": id_number,
            "email": self.fake.email() if self.rng.random() < 0.3 else None,
            "address": self.fake.street_address() if self.rng.random() < 0.5 else None,
            "city": store["city"],
            "region": store["region"],
            "occupation": weighted(self.rng, OCCUPATIONS),
            "usage": weighted(self.rng, (("private", 85), ("commercial", 10), ("official", 5))),
            "source": weighted(self.rng, SOURCES),
            "home_store_id": store["id"],
            "tags": sorted(self.rng.sample(TAGS, self.rng.choice((0, 0, 0, 1, 1, 2)))),
            "marketing_consent": consent,
            "consent_at": created_at if consent else None,
            "consent_channel": self.rng.choice(("paper", "mini_program", "sms"))
            if consent
            else None,
            "created_at": created_at,
            "updated_at": created_at,
        }

    def vin(self, wmi: str, year: int) -> str:
        self._serial += 1
        vds = "".join(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(5))
        body = f"{wmi}{vds}0{YEAR_CODES[year]}{self.rng.choice('ABCDEFGH')}{self._serial:06d}"
        return body[:8] + vin_check_digit(body) + body[9:]

    def plate(self, city: str, ev: bool) -> str:
        prefix = PLATE_PREFIX.get(city, "沪")
        if len(prefix) == 1:
            prefix += self.rng.choice("ABCDEFGHJKLMN")
        while True:
            if ev:
                tail = self.rng.choice("DF") + self.rng.choice(PLATE_LETTERS + "0123456789")
                tail += f"{self.rng.randrange(10**4):04d}"
            else:
                tail = self.rng.choice(PLATE_LETTERS) + f"{self.rng.randrange(10**4):04d}"
            if prefix + tail not in self._plates:
                self._plates.add(prefix + tail)
                return prefix + tail

    def vehicle(self, customer: dict[str, Any], since: dt.datetime) -> dict[str, Any]:
        roll = self.rng.random()
        fuel = (
            "ev"
            if roll < 0.2
            else "hybrid"
            if roll < 0.3
            else "diesel"
            if roll < 0.34
            else "petrol"
        )
        catalogue = EV_MODELS if fuel == "ev" else MODELS
        wmi = self.rng.choice(sorted(catalogue))
        make, models = catalogue[wmi]
        year = self.rng.randint(2016, min(2025, since.year))
        purchased = dt.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        return {
            "tenant_id": self.tenant_id,
            "id": new_id(),
            "customer_id": customer["id"],
            "vin": self.vin(wmi, year),
            "plate": self.plate(customer["city"], fuel == "ev"),
            "make": make,
            "model": self.rng.choice(models),
            "year": year,
            "colour": self.rng.choice(COLOURS),
            "fuel": fuel,
            "purchase_date": purchased,
            "warranty_end": purchased.replace(year=purchased.year + (8 if fuel == "ev" else 3)),
            "mileage_km": None,
            "created_at": since,
            "updated_at": since,
        }

    def book(self, customers: int, vehicles: int, start: dt.datetime) -> Book:
        book = Book()
        span = (self.now - start).total_seconds()
        for _ in range(customers):
            created = start + dt.timedelta(seconds=self.rng.random() * span * 0.5)
            book.customers.append(self.customer(created))
        owners = book.customers + self.rng.sample(book.customers, vehicles - customers)
        for owner in owners:
            vehicle = self.vehicle(owner, owner["created_at"])
            book.vehicles.append(vehicle)
            book.ownerships.append(
                {
                    "tenant_id": self.tenant_id,
                    "id": new_id(),
                    "vehicle_id": vehicle["id"],
                    "customer_id": owner["id"],
                    "started_at": owner["created_at"],
                    "ended_at": None,
                }
            )
        return book
