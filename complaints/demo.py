"""Demo data: 3 offices, their staff, an admin, and tickets in every state over 3 months.

Tickets are driven through the real workflow operations, so the demo history is the
same shape as a real one.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .admin.operations import create_office, create_user
from .auth.passwords import DEMO_PASSWORD
from .domain import Contact, Finding, Kind, RejectReason, Role, Severity
from .extensions import db
from .models import Office, Ticket, User
from .tickets.operations import fire_event, log_ticket

OFFICES = [
    ("SH-0101", "上海徐汇营业部"),
    ("SH-0102", "上海静安营业部"),
    ("BJ-0201", "北京朝阳营业部"),
]
CLERK_NAMES = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷"]
SUPERVISOR_NAMES = ["孙建国", "吴丽华", "郑海峰"]
# (description, what went wrong, the product of the item it names or None, the likely root cause)
COMPLAINTS = [
    ("营业员服务态度生硬，对客户询问不耐烦。", "counter", None, "attitude"),
    ("排队时间过长，窗口只开了一个。", "counter", None, "management"),
    ("包裹寄出一周仍未送达，查询无结果。", "delay", "parcel", "responsibility"),
    ("工作人员未按规定解释资费，客户多付了邮费。", "charges", "registered", "skill"),
    ("柜台人员接听私人电话，让客户等候。", "counter", None, "attitude"),
    ("客户反映汇款到账延迟，营业员答复含糊。", "delay", "remittance", "skill"),
    ("包裹外包装破损，内件摔坏，客户带来三张照片。", "damage", "parcel", "hardware"),
]
ERRORS = [
    ("邮资计算错误，少收了挂号费。", "charges", "registered", "skill"),
    ("汇款金额录入错误，多录了一位数字。", "acceptance", "remittance", "responsibility"),
    ("邮件分拣错误，发往了错误的城市。", "delivery", "ems", "responsibility"),
    ("客户回执遗失，无法提供凭证。", "loss", "registered", "management"),
    ("快递单号录入错误，客户无法查询。", "acceptance", "express", "skill"),
]
S10_PREFIX = {"parcel": "CP", "registered": "RR", "ems": "EA", "remittance": "RA", "express": "EB"}


def _item_number(rng: random.Random, product: str) -> str:
    """A valid S10 number for the demo (the check digit computed as the counter's scanner would)."""
    from .tickets.items import s10_check_digit

    serial = f"{rng.randint(0, 99_999_999):08d}"
    return f"{S10_PREFIX[product]}{serial}{s10_check_digit(serial)}CN"


def _import_national_calendar(now: datetime) -> list[int]:
    """China's official days off and make-up days around the demo's months, as an admin would import them.

    Years the installed chinese-calendar does not know yet are left out (not guessed).
    """
    from .errors import InvalidInput
    from .sla.national import import_year

    years = []
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            import_year(year)
        except InvalidInput:
            continue
        years.append(year)
    return years


def demo_accounts() -> list[tuple[str, str, str]]:
    """(email, role, offices) of every demo account, for the README and tests."""
    rows = [("admin@example.com", "admin", "all")]
    for i, (code, _name) in enumerate(OFFICES, start=1):
        rows.append((f"supervisor{i}@example.com", "supervisor", code))
        for j in range(1, 4):
            rows.append((f"clerk{i}{j}@example.com", "clerk", code))
    return rows


def _demo_assessments(rng: random.Random, offices: list[Office], staff: dict, now: datetime) -> None:
    """Three months of supervisor assessments, so that the scorecards have something to show."""
    from .scorecards import months
    from .scorecards.operations import save

    for office in offices:
        sup = staff[office.id]["supervisors"][0]
        this = months.current(now, office.timezone)
        for month in months.last(months.shift(this, -1), 3):
            rows = {c.id: {f: rng.randint(5, 10) for f in ("attitude", "skill", "responsibility", "management")}
                    | {"highlights": rng.randint(0, 4)} for c in staff[office.id]["clerks"]}
            save(office, month, sup, rows, {"score": rng.randint(6, 9)}, now)


def seed_demo_data(tickets: int, seed: int, now: datetime) -> str:
    if db.session.scalar(select(func.count()).select_from(Office)):
        return "offices exist already: demo data not loaded"
    rng = random.Random(seed)
    # Opening hours stay the shipped default week; the days off come from the national calendar.
    _import_national_calendar(now)
    offices = [create_office(code, name) for code, name in OFFICES]
    admin = create_user("admin@example.com", "系统管理员", Role.ADMIN.value, [], DEMO_PASSWORD)
    staff: dict[int, dict[str, list[User]]] = {}
    for i, office in enumerate(offices, start=1):
        sup = create_user(f"supervisor{i}@example.com", SUPERVISOR_NAMES[i - 1],
                          Role.SUPERVISOR.value, [office.code], DEMO_PASSWORD)
        clerks = [
            create_user(f"clerk{i}{j}@example.com", CLERK_NAMES[(i - 1) * 3 + j - 1],
                        Role.CLERK.value, [office.code], DEMO_PASSWORD)
            for j in range(1, 4)
        ]
        staff[office.id] = {"supervisors": [sup], "clerks": clerks}
    for n in range(tickets):
        _demo_ticket(rng, n, offices, staff, admin, now)
    _demo_assessments(rng, offices, staff, now)
    return (f"demo data: {len(offices)} offices, "
            f"{db.session.scalar(select(func.count()).select_from(User))} users, "
            f"{tickets} tickets; every password is {DEMO_PASSWORD}")


class _Hours:
    """An office's opening hours and holidays, to keep demo times where a real office's are."""

    def __init__(self, office: Office) -> None:
        from .sla.calendar import WORKDAY_HOURS_FROM
        from .sla.policies import calendar_for, office_week

        self.week = office_week(office)
        calendar = calendar_for(office)
        self.holidays, self.workdays = calendar.holidays, calendar.workdays
        self.monday = WORKDAY_HOURS_FROM
        self.zone = ZoneInfo(office.timezone)

    def _open(self, day) -> tuple[time, time] | None:  # noqa: ANN001
        if day in self.holidays:
            return None
        return self.week.get(self.monday if day in self.workdays else day.weekday())

    def back(self, rng: random.Random, moment: datetime) -> datetime:
        """``moment`` when the office is open then, else a time in the last opening before it."""
        local = moment.astimezone(self.zone)
        for _ in range(30):
            hours = self._open(local.date())
            if hours and hours[0] <= local.time() < hours[1]:
                return local.astimezone(moment.tzinfo)
            if hours and local.time() >= hours[1]:
                closes = datetime.combine(local.date(), hours[1], self.zone)
                span = int((closes - datetime.combine(local.date(), hours[0], self.zone)).total_seconds() // 60)
                return (closes - timedelta(minutes=rng.randint(1, max(1, min(span, 240))))).astimezone(moment.tzinfo)
            local = datetime.combine(local.date() - timedelta(days=1), time(23, 59), self.zone)
        return moment

    def forward(self, rng: random.Random, moment: datetime) -> datetime:
        """``moment`` when the office is open then, else a little after the next opening."""
        local = moment.astimezone(self.zone)
        for _ in range(30):
            hours = self._open(local.date())
            if hours and hours[0] <= local.time() < hours[1]:
                return local.astimezone(moment.tzinfo)
            if hours and local.time() < hours[0]:
                opens = datetime.combine(local.date(), hours[0], self.zone)
                return (opens + timedelta(minutes=rng.randint(0, 45))).astimezone(moment.tzinfo)
            local = datetime.combine(local.date() + timedelta(days=1), time(0, 0), self.zone)
        return moment


# How far along the workflow each demo ticket goes, with weights.
_PATHS = [
    ("new", 12), ("rejected", 6), ("triaged", 14), ("awaiting", 8),
    ("resolved", 16), ("closed", 36), ("reopened", 8),
]


def _demo_ticket(rng: random.Random, n: int, offices: list[Office], staff: dict, admin: User,
                 now: datetime) -> Ticket:
    office = offices[n % len(offices)]
    people = staff[office.id]
    clerk = rng.choice(people["clerks"])
    sup = people["supervisors"][0]
    kind = Kind.COMPLAINT if rng.random() < 0.6 else Kind.ERROR
    # Logged, and handled, while the office is open: the demo's SLA figures look like a real office's.
    if "hours" not in people:
        people["hours"] = _Hours(office)
    hours = people["hours"]
    t = hours.back(rng, now - timedelta(days=rng.uniform(0.5, 90), minutes=rng.randint(0, 600)))
    description, category, product, cause = rng.choice(COMPLAINTS if kind == Kind.COMPLAINT else ERRORS)
    raw = {
        "kind": kind.value,
        "channel": rng.choice(["counter", "phone", "letter", "online", "hotline"]),
        "office": office.code,
        "category": category,
        "items": [{"number": _item_number(rng, product), "product": product}] if product else [],
        "description": description,
        "occurred_at": hours.back(rng, t - timedelta(hours=rng.randint(0, 48))).isoformat(),
        "clerk": clerk.email if rng.random() < 0.7 else None,
    }
    if kind == Kind.COMPLAINT or rng.random() < 0.3:
        raw["customer_name"] = rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士"])
        raw["customer_phone"] = f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
    ticket = log_ticket(clerk, raw, now=t)
    path = rng.choices([p for p, _w in _PATHS], weights=[w for _p, w in _PATHS])[0]

    when = hours

    def step(event: str, data: dict, hours: float) -> None:
        nonlocal t
        later = when.forward(rng, t + timedelta(hours=hours))
        t = later if later <= now else max(t, when.back(rng, now))
        fire_event(ticket, sup, event, data, version=ticket.version, now=t)

    if path == "new":
        return ticket
    if path == "rejected":
        step("reject", {"reason": rng.choice([RejectReason.INVALID, RejectReason.OUT_OF_SCOPE]
                                             ).value}, 3)
        return ticket
    step("triage", {"severity": rng.choice(list(Severity)).value, "category": category,
                    "assignee": sup.email if rng.random() < 0.8 else clerk.email}, rng.uniform(1, 20))
    if rng.random() < 0.5:
        step("contact_customer", {"how": "phone", "outcome": rng.choice(["reached", "no_answer"]),
                                  "summary": "已致电客户说明处理进度。"}, 2)
    if path == "triaged":
        return ticket
    if path == "awaiting":
        step("request_info", {"note": "请客户补充回执照片。"}, 4)
        return ticket
    substantiated = rng.random() < 0.65
    resolve = {"outcome": "已处理，感谢您的反馈。", "resolution": "已核实情况，与客户沟通并致歉，相关人员已批评教育。",
               "finding": (Finding.SUBSTANTIATED if substantiated else Finding.UNFOUNDED).value}
    if substantiated:
        resolve["root_cause"] = cause
        if raw.get("clerk") and cause != "hardware":
            resolve["attributed_clerk"] = clerk.email
    step("resolve", resolve, rng.uniform(4, 60))
    if path == "resolved":
        return ticket
    if path == "reopened":
        step("reopen", {"reason": "客户再次来电，问题未彻底解决。"}, 24)
        return ticket
    if rng.random() < 0.15:
        step("follow_up", {"contact": Contact.UNREACHABLE.value}, 24)
    else:
        expectation = rng.randint(3, 5)
        step("follow_up", {"contact": Contact.REACHED.value, "expectation": expectation,
                           "perception": rng.randint(max(1, expectation - 2), 5),
                           "satisfied": True}, 24)
    return ticket
