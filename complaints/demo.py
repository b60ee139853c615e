"""Demo data: 3 offices, their staff, an admin, and tickets in every state over 3 months.

Tickets are driven through the real workflow operations, so the demo history is the
same shape as a real one: outcome texts for the customer, compensation on delay, loss and
damage (approved, paid, one above the cap approved by the administrator), and a few
appeals the postal regulator forwarded (12305), one of them escalating a demo complaint, and
customers' commendations of clerks (表扬), mostly verified.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .admin.operations import create_office, create_user
from .auth.passwords import DEMO_PASSWORD
from .domain import COMPENSABLE, CompensationBasis, Contact, Finding, Kind, RejectReason, Role, Severity, Verdict
from .extensions import db
from .models import Office, Ticket, User
from .regions.operations import create_region
from .tickets.operations import fire_event, log_ticket

# (code, name, phone, address): the phone and address are shown to customers (slip, status page).
OFFICES = [
    ("SH-0101", "上海徐汇营业部", "021-64381234", "上海市徐汇区漕溪北路 88 号"),
    ("SH-0102", "上海静安营业部", "021-62471234", "上海市静安区南京西路 1601 号"),
    ("BJ-0201", "北京朝阳营业部", "010-65071234", "北京市朝阳区建国路 93 号"),
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
# What the customer is told at resolve (the status page, the message), by finding and category.
OUTCOMES = {
    "counter": "经核查，您反映的情况属实。我们已对相关营业员进行批评教育，并调整了窗口安排，给您带来不便深表歉意。",
    "charges": "经核查，确有多收资费的情况，多收部分已退还给您，我们对此深表歉意。",
    "acceptance": "经核查，收寄时的信息录入有误，已为您更正，相关人员已接受培训。给您带来不便深表歉意。",
    "delivery": "经核查，邮件因分拣差错发往了错误的城市，现已改寄并妥投。给您带来不便深表歉意。",
    "compensated": "经核查，您反映的问题属实，我们深表歉意。按规定我局向您赔偿 %s 元，工作人员将与您联系办理。",
    "unfounded": "经核查，邮件的收寄和处理均符合规定，未发现服务差错。如有疑问，欢迎致电本营业部。",
}
# The region tree above the offices (code, name, parent), and where each office sits.
REGIONS = [("SH", "上海市", None), ("SH-XH", "徐汇区", "SH"), ("SH-JA", "静安区", "SH"),
           ("BJ", "北京市", None), ("BJ-CY", "朝阳区", "BJ")]
PLACED = {"SH-0101": "SH-XH", "SH-0102": "SH-JA", "BJ-0201": "BJ-CY"}
DEMO_EMAIL_NAMES = ["wang.li", "zhang.wei", "chen.jing", "liu.yang", "zhao.min", "huang.qiang"]
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
    for i, (code, *_rest) in enumerate(OFFICES, start=1):
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
    for code, name, parent in REGIONS:
        create_region(code, name, parent)
    offices = [create_office(code, name, phone=phone, address=address, region=PLACED[code])
               for code, name, phone, address in OFFICES]
    admin = create_user("admin@example.com", "系统管理员", Role.ADMIN.value, [], DEMO_PASSWORD)
    # A city's quality manager: covers every office of 上海市 through the region.
    create_user("manager.sh@example.com", "上海市质量经理", Role.SUPERVISOR.value, [], DEMO_PASSWORD, regions=["SH"])
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
    appeals = len(APPEALS) if tickets >= 3 * len(APPEALS) else 0
    praised = len(COMMENDATIONS) if tickets >= 10 * len(COMMENDATIONS) else 0
    demo = _Demo(rng, offices, staff, admin, now)
    made = [demo.ticket(n) for n in range(tickets - appeals - praised)]
    for n, appeal in enumerate(APPEALS[:appeals]):
        demo.appeal(n, appeal, made)
    for n, spec in enumerate(COMMENDATIONS[:praised]):
        demo.commendation(n, spec)
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

# Customers' commendations of a clerk (表扬): (what they said, channel, how far it goes).
COMMENDATIONS = [
    ("客户来信表扬营业员耐心帮助老人填写汇款单，并主动讲解防范诈骗的知识。", "letter", "verified"),
    ("客户致电表扬营业员在下班前仍协助其寄出加急文件。", "phone", "verified"),
    ("客户送来锦旗“热情服务 真诚为民”，感谢营业员帮助找回遗失的包裹。", "counter", "verified"),
    ("客户在网上留言表扬营业员业务熟练、办理迅速。", "online", "verified"),
    ("客户通过热线表扬营业员细心核对地址，避免了一次误投。", "hotline", "verified"),
    ("客户来信表扬营业员，经核实所述并非本营业部的工作人员。", "letter", "rejected"),
    ("客户致电表扬营业员耐心解答集邮业务的问题。", "phone", "new"),
]

# Appeals the postal regulator forwarded (申诉转办, from its 12305 line): how far each goes.
# "linked" escalates an earlier demo complaint (same customer phone) and gets the regulator's verdict.
APPEALS = [
    {"case": "SH2026-12305-000123", "path": "linked", "days_ago": 12, "category": "delay",
     "description": "用户向12305申诉：包裹寄出十天仍未送达，向营业部投诉后未获答复。",
     "reply": "经核查，该邮件在转运环节延误，现已妥投。我局已向用户致歉并按规定退还邮费，相关环节已整改。",
     "outcome": "经核查，您的邮件在转运环节延误，现已妥投。我们已按规定退还邮费，给您带来不便深表歉意。",
     "verdict": Verdict.VALID},
    {"case": "SH2026-12305-000187", "path": "resolved", "days_ago": 6, "category": "counter",
     "description": "用户向12305申诉：营业员拒绝办理代收货款业务，态度生硬。",
     "reply": "经核查，因用户未能提供寄件人身份证件，营业员按规定暂缓办理，并已向用户解释。",
     "outcome": "经核查，营业员按规定需要核验寄件人身份证件，已向您说明办理所需材料，欢迎再次到营业部办理。",
     "verdict": None},
    {"case": "BJ2026-12305-000045", "path": "triaged", "days_ago": 2, "category": "loss",
     "description": "用户向12305申诉：挂号信投递后收件人称未收到，要求查明去向。",
     "reply": None, "outcome": None, "verdict": None},
]


class _Demo:
    """Makes the demo tickets one by one, each through the real workflow operations."""

    def __init__(self, rng: random.Random, offices: list[Office], staff: dict, admin: User,
                 now: datetime) -> None:
        self.rng, self.offices, self.staff, self.admin, self.now = rng, offices, staff, admin, now
        self.over_cap_done = False
        self.payments = 0

    def _hours(self, office: Office) -> _Hours:
        people = self.staff[office.id]
        if "hours" not in people:
            people["hours"] = _Hours(office)
        return people["hours"]

    def _customer(self, raw: dict) -> None:
        """Name, phone and, mostly, consent to messages; an email now and then."""
        rng = self.rng
        raw["customer_name"] = rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士"])
        raw["customer_phone"] = f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        raw["customer_consent"] = rng.random() < 0.7
        if raw["customer_consent"] and rng.random() < 0.35:
            raw["customer_email"] = f"{rng.choice(DEMO_EMAIL_NAMES)}{rng.randint(1, 99)}@example.com"

    def _stepper(self, ticket: Ticket, hours: _Hours, start: datetime):  # noqa: ANN202 - a closure
        rng, now = self.rng, self.now
        moment = [start]

        def step(actor: User, event: str, data: dict, after: float) -> datetime:
            later = hours.forward(rng, moment[0] + timedelta(hours=after))
            moment[0] = later if later <= now else max(moment[0], hours.back(rng, now))
            fire_event(ticket, actor, event, data, version=ticket.version, now=moment[0])
            return moment[0]

        return step

    def _compensation(self, category: str, product: str | None) -> dict:
        """Claimed and offered yuan and the basis, as a supervisor states them at resolve."""
        from .tickets.compensation import cap

        rng = self.rng
        if not self.over_cap_done and category in ("loss", "damage"):
            self.over_cap_done = True  # an insured parcel of value: above the cap, for the administrator
            claimed = cap() + Decimal(rng.randint(5, 30) * 100)
            return {"claimed_amount": str(claimed), "offered_amount": str(claimed - 200),
                    "compensation_basis": CompensationBasis.INSURED.value}
        if category == "delay":  # the postage back, sometimes a little more for the trouble
            claimed = Decimal(rng.randint(20, 200))
            offered = Decimal(rng.randint(10, 60)) + Decimal("0.50") * rng.randint(0, 1)
            basis = CompensationBasis.GOODWILL if product in (None, "remittance") else CompensationBasis.UNINSURED
        else:
            claimed = Decimal(rng.randint(100, 1500))
            offered = min(claimed, Decimal(rng.randint(50, 800)))
            basis = CompensationBasis.INSURED if rng.random() < 0.5 else CompensationBasis.UNINSURED
        return {"claimed_amount": str(claimed), "offered_amount": str(offered), "compensation_basis": basis.value}

    def _settle(self, ticket: Ticket, step, sup: User) -> None:  # noqa: ANN001
        """Approve most compensations (the administrator above the cap) and pay some of them."""
        from .domain import CompensationStatus

        status = ticket.compensation_status
        if status == CompensationStatus.OVER_CAP:
            step(self.admin, "approve_compensation_over_cap", {}, 20)
        elif status == CompensationStatus.OFFERED and self.rng.random() < 0.75:
            step(sup, "approve_compensation", {}, 4)
        else:
            return
        if self.rng.random() < 0.6:
            self.payments += 1
            paid = step(sup, "add_note", {"note": "赔款已通过邮政汇款支付给客户。"}, 30)
            zone = ZoneInfo(ticket.office.timezone)
            day = paid.astimezone(zone).date()
            step(sup, "pay_compensation", {"paid_on": day.isoformat(),
                                           "payment_ref": f"PC{day:%Y%m%d}{self.payments:04d}"}, 0.1)

    def ticket(self, n: int) -> Ticket:
        rng, now = self.rng, self.now
        office = self.offices[n % len(self.offices)]
        people = self.staff[office.id]
        clerk = rng.choice(people["clerks"])
        sup = people["supervisors"][0]
        kind = Kind.COMPLAINT if rng.random() < 0.6 else Kind.ERROR
        # Logged, and handled, while the office is open: the demo's SLA figures look like a real office's.
        hours = self._hours(office)
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
            self._customer(raw)
        ticket = log_ticket(clerk, raw, now=t)
        path = rng.choices([p for p, _w in _PATHS], weights=[w for _p, w in _PATHS])[0]
        step = self._stepper(ticket, hours, t)

        if path == "new":
            return ticket
        if path == "rejected":
            step(sup, "reject", {"reason": rng.choice([RejectReason.INVALID, RejectReason.OUT_OF_SCOPE]).value}, 3)
            return ticket
        step(sup, "triage", {"severity": rng.choice(list(Severity)).value, "category": category,
                             "assignee": sup.email if rng.random() < 0.8 else clerk.email}, rng.uniform(1, 20))
        if rng.random() < 0.5:
            step(sup, "contact_customer", {"how": "phone", "outcome": rng.choice(["reached", "no_answer"]),
                                           "summary": "已致电客户说明处理进度。"}, 2)
        if path == "triaged":
            return ticket
        if path == "awaiting":
            step(sup, "request_info", {"note": "请客户补充回执照片。"}, 4)
            return ticket
        substantiated = rng.random() < 0.65
        resolve = {"resolution": "已核实情况，与客户沟通并致歉，相关人员已批评教育。",
                   "finding": (Finding.SUBSTANTIATED if substantiated else Finding.UNFOUNDED).value,
                   "outcome": OUTCOMES["unfounded"]}
        if substantiated:
            resolve["root_cause"] = cause
            if raw.get("clerk") and cause != "hardware":
                resolve["attributed_clerk"] = clerk.email
            if category in COMPENSABLE:
                resolve |= self._compensation(category, product)
                resolve["outcome"] = OUTCOMES["compensated"] % resolve["offered_amount"]
            else:
                resolve["outcome"] = OUTCOMES.get(category, OUTCOMES["counter"])
        step(sup, "resolve", resolve, rng.uniform(4, 60))
        if raw.get("customer_phone") and rng.random() < 0.8:
            # Most customers hear the outcome by phone soon after: that ends the statutory reply clock.
            step(sup, "contact_customer", {"how": "phone", "outcome": "reached",
                                           "summary": "已电话告知客户处理结果。"}, rng.uniform(1, 20))
        self._settle(ticket, step, sup)
        if path == "resolved":
            return ticket
        if path == "reopened":
            step(sup, "reopen", {"reason": "客户再次来电，问题未彻底解决。"}, 24)
            return ticket
        if rng.random() < 0.15:
            step(clerk, "follow_up", {"contact": Contact.UNREACHABLE.value}, 24)
        else:
            expectation = rng.randint(3, 5)
            step(clerk, "follow_up", {"contact": Contact.REACHED.value, "expectation": expectation,
                                      "perception": rng.randint(max(1, expectation - 2), 5),
                                      "satisfied": True}, 24)
        return ticket

    def commendation(self, n: int, spec: tuple[str, str, str]) -> Ticket:
        """A customer's praise of a clerk: a letter, a call, a banner; the supervisor verifies it (or not)."""
        rng, now = self.rng, self.now
        description, channel, path = spec
        office = self.offices[n % len(self.offices)]
        people = self.staff[office.id]
        clerk, sup = people["clerks"][n % len(people["clerks"])], people["supervisors"][0]
        hours = self._hours(office)
        t = hours.back(rng, now - timedelta(days=rng.uniform(1, 80)))
        raw = {"kind": Kind.COMMENDATION.value, "channel": channel, "office": office.code, "description": description,
               "occurred_at": hours.back(rng, t - timedelta(hours=rng.randint(0, 48))).isoformat(),
               "clerk": clerk.email}
        ticket = log_ticket(sup if channel == "letter" else clerk, raw, now=t)
        step = self._stepper(ticket, hours, t)
        if path == "verified":
            step(sup, "verify_commendation", {"clerk": clerk.email, "note": "已核实，在周例会上通报表扬。"},
                 rng.uniform(2, 30))
        elif path == "rejected":
            step(sup, "reject", {"reason": RejectReason.INVALID.value}, 3)
        return ticket

    def appeal(self, n: int, spec: dict, made: list[Ticket]) -> Ticket:
        """An appeal the regulator forwarded: logged by the supervisor with its case number and deadline."""
        rng, now = self.rng, self.now
        original = None
        if spec["path"] == "linked":
            # An earlier complaint of a customer who went on to the regulator: the same phone.
            older = [t for t in made if t.kind == Kind.COMPLAINT and t.customer_phone
                     and t.created_at < now - timedelta(days=spec["days_ago"] + 3)]
            original = older[0] if older else None
        office = original.office if original is not None else self.offices[n % len(self.offices)]
        sup = self.staff[office.id]["supervisors"][0]
        hours = self._hours(office)
        t = hours.back(rng, now - timedelta(days=spec["days_ago"], hours=rng.randint(0, 5)))
        raw = {"kind": Kind.COMPLAINT.value, "channel": "regulator", "office": office.code,
               "category": spec["category"], "description": spec["description"],
               "occurred_at": t.isoformat(), "regulator_case": spec["case"],
               "regulator_due": (t.astimezone(ZoneInfo(office.timezone)).date() + timedelta(days=10)).isoformat()}
        if original is not None:
            raw |= {"customer_name": original.customer_name, "customer_phone": original.customer_phone,
                    "customer_consent": original.customer_consent, "appeal_of": original.ref,
                    "occurred_at": original.occurred_at.isoformat()}
        else:
            self._customer(raw)
        ticket = log_ticket(sup, raw, now=t)
        step = self._stepper(ticket, hours, t)
        step(sup, "triage", {"severity": Severity.HIGH.value, "category": spec["category"],
                             "assignee": sup.email}, 1)
        if spec["path"] == "triaged":
            return ticket
        step(sup, "contact_customer", {"how": "phone", "outcome": "reached",
                                       "summary": "已致电申诉人，说明核查进展。"}, 3)
        # The reply to the regulator is sent the day the appeal is resolved.
        when = hours.forward(rng, t + timedelta(hours=30))
        resolve = {"resolution": "核查邮件轨迹与窗口录像，已书面答复邮政管理局。", "outcome": spec["outcome"],
                   "finding": Finding.SUBSTANTIATED.value if spec["verdict"] else Finding.UNFOUNDED.value,
                   "regulator_reply": spec["reply"],
                   "regulator_replied_on": when.astimezone(ZoneInfo(office.timezone)).date().isoformat()}
        if spec["verdict"]:
            resolve["root_cause"] = "responsibility"
            if spec["category"] in COMPENSABLE:
                resolve |= {"claimed_amount": "30", "offered_amount": "30",
                            "compensation_basis": CompensationBasis.GOODWILL.value}
        step(sup, "resolve", resolve, 30)
        if spec["path"] == "resolved":
            return ticket
        self._settle(ticket, step, sup)
        step(sup, "follow_up", {"contact": Contact.REACHED.value, "expectation": 4, "perception": 3,
                                "satisfied": True}, 24)
        step(sup, "record_verdict", {"verdict": spec["verdict"].value,
                                     "note": "邮政管理局认定为有效申诉。"}, 48)
        return ticket
