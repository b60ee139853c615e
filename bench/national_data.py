"""A national-scale data set (issue 14): 5,000 offices in a four-level tree, 1,000,000 tickets over 24 months.

    .venv/bin/python bench/national_data.py --database-url postgresql://postgres@127.0.0.1/bench_national
    .venv/bin/python bench/national_data.py --database-url sqlite:////tmp/bench_national.sqlite3
                                            [--tickets 1000000] [--no-search] [--fresh]

The tree: 5 provinces (P1..P5) -> 10 cities each (P1C01..) -> 10 districts each (P1C01D01..)
-> 10 offices each (P1C01D01O01..): 555 regions (through ``regions.tree.add_region``), 5,000 offices,
1,000 per province, 100 per city, 10 per district. Users: an admin (id 1), two clerks per office
(ids 2o and 2o+1 for office o), a supervisor per region assigned through ``user_regions``
(emails ``sup-<region code>@example.com``, lower case).

Tickets (bulk: COPY on PostgreSQL, executemany of plain rows on SQLite; ids follow time): over the
24 months before the build (volume growing 30 % over the span, office loads spread lognormally),
complaints ~60 %, service errors ~35 %, commendations ~5 %; channels with ~8 % of complaints
forwarded by the regulator (case number, regulator deadline, reply and verdict once answered);
categories; states by age (old ones mostly closed or rejected, recent ones open); severities;
findings, root causes and attributed clerks for the resolved ones (no clerk for hardware);
expectation/perception and satisfaction for the closed ones; customer phones with repeats (a pool
of returning customers) and some landlines. Deadlines as the clocks keep them: triage, resolve
and follow-up stage clocks (ended met/missed, cancelled on rejection, or running/paused) and the
reply clock of every complaint (7 working days taken as 9 calendar days; the regulator's deadline
for an appeal). Compensations for a share of the resolved delay/loss/damage cases; items handled
per office and month (a few missing); assessments and hardware scores for the last 3 months;
search terms (the description's, customer's and phone's, written by SQL) unless ``--no-search``.

Resumable: the tickets go in chunks of 50,000 (each chunk from its own seed), each committed with
its deadlines and compensations; a rerun continues after the last whole chunk. The secondary
indexes of the bulk tables are dropped while loading and rebuilt from their saved definitions
at the end (a crashed run rebuilds them on its rerun). ANALYZE at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import func, select, text  # noqa: E402

from complaints.extensions import db  # noqa: E402
from complaints.models import Office, Region, Ticket  # noqa: E402
from complaints.sla.policies import DEFAULT_POLICIES  # noqa: E402

SEED = 14
CHUNK = 50_000
PROVINCES, CITIES, DISTRICTS, OFFICES_PER_DISTRICT = 5, 10, 10, 10
CLERKS_PER_OFFICE = 2
MONTHS = 24
BULK_TABLES = ("tickets", "deadlines", "compensations", "search_terms")

SUBJECTS = ["营业员", "柜员", "投递员", "窗口人员"]
ISSUES = ["态度生硬", "服务不耐烦", "少找零钱", "包裹丢失", "邮件延误", "排队过久", "系统故障", "填单错误",
          "未按规定收费", "回执遗失"]
EXTRAS = ["客户等候过久", "客户多次投诉", "客户要求赔偿", "电话无人接听", "已向客户致歉"]
TEMPLATES = [f"{s}{i}，{e}。" for s in SUBJECTS for i in ISSUES for e in EXTRAS]  # 200 texts
PRAISE = ["营业员热情周到，耐心解答。", "投递员冒雨送件，服务认真。", "柜员帮助老人填单，值得表扬。",
          "窗口人员业务熟练，办理迅速。", "投递员主动电话联系，服务贴心。"]
NAMES = ["王先生", "李女士", "张先生", "刘女士", "陈先生", "杨女士", "赵先生", "黄女士", "周先生", "吴女士",
         "徐先生", "孙女士", "胡先生", "朱女士", "高先生", "林女士", "何先生", "郭女士", "马先生", "罗女士"]
COMBOS = len(TEMPLATES) * len(NAMES)  # description and name of ticket i: combo (i % 4000) * 7919 % 4000


def combo(tid: int) -> tuple[int, int]:
    k = (tid % COMBOS) * 7919 % COMBOS
    return k // len(NAMES), k % len(NAMES)


def weighted(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    r = rng.random() * sum(w for _, w in pairs)
    for value, w in pairs:
        r -= w
        if r < 0:
            return value
    return pairs[-1][0]


CATEGORIES = [("delay", 20), ("loss", 10), ("damage", 10), ("delivery", 15), ("acceptance", 10),
              ("charges", 8), ("cod", 5), ("counter", 17), ("other", 5)]
CHANNELS = [("counter", 42), ("phone", 22), ("hotline", 16), ("online", 15), ("letter", 5)]
SEVERITIES = [("low", 30), ("medium", 45), ("high", 20), ("critical", 5)]
ROOT_CAUSES = [("attitude", 30), ("skill", 25), ("responsibility", 20), ("hardware", 10), ("management", 15)]
# States by age of the ticket: over 30 days, 7 to 30 days, under 7 days.
STATES_OLD = [("closed", 82), ("rejected", 6), ("resolved", 7), ("awaiting_customer", 2), ("triaged", 2), ("new", 1)]
STATES_MID = [("closed", 55), ("rejected", 5), ("resolved", 20), ("awaiting_customer", 7), ("triaged", 10), ("new", 3)]
STATES_NEW = [("closed", 10), ("rejected", 5), ("resolved", 20), ("awaiting_customer", 10), ("triaged", 35),
              ("new", 20)]
COMPENSABLE = {"delay", "loss", "damage"}
REPLY_DAYS = 9  # 7 working days, as calendar days
REPLY_ESCALATE = 86400  # a working day after the due instant

TICKET_COLS = [
    "id", "ref", "kind", "channel", "state", "version", "office_id", "description", "occurred_at",
    "customer_name", "customer_phone", "involved_clerk_id", "customer_consent", "customer_email",
    "regulator_case", "regulator_due", "appeal_of_id", "regulator_reply", "regulator_replied_on", "verdict",
    "verdict_at", "logged_by_id", "created_at", "updated_at", "category", "severity", "assignee_id",
    "reject_reason", "duplicate_of_id", "resolution", "outcome", "finding", "root_cause", "attributed_clerk_id",
    "resolved_at", "contact", "expectation", "perception", "satisfied", "closed_at"]
DEADLINE_COLS = [
    "id", "ticket_id", "office_id", "clock", "cycle", "severity", "target_seconds", "escalate_seconds", "always_open",
    "started_at", "running_since", "consumed_seconds", "warn_at", "due_at", "escalate_at", "next_level",
    "next_fire_at", "ended_at", "outcome"]
COMP_COLS = ["id", "ticket_id", "claimed", "offered", "basis", "status", "approved_by_id", "approved_at", "paid_on",
             "payment_ref", "refused_reason", "created_at", "updated_at"]


def region_code(p: int, c: int | None = None, d: int | None = None) -> str:
    code = f"P{p}"
    if c is not None:
        code += f"C{c:02d}"
    if d is not None:
        code += f"D{d:02d}"
    return code


# ---------------------------------------------------------------------------------------- loading


class Loader:
    """Plain rows into a table: COPY on PostgreSQL, executemany on SQLite (values as SQLAlchemy stores them)."""

    def __init__(self) -> None:
        self.pg = db.engine.dialect.name == "postgresql"

    def rows(self, table: str, cols: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        conn = db.session.connection().connection.driver_connection
        if self.pg:
            cur = conn.cursor()
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            cur = conn.cursor()
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [tuple(map(_sqlite_value, r)) for r in rows])


def _sqlite_value(v: object) -> object:
    if isinstance(v, datetime):
        return v.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # as SQLAlchemy stores it
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


def _session_for_load() -> None:
    if db.engine.dialect.name == "postgresql":
        # Data consistent by construction: no per-row foreign-key triggers while loading.
        db.session.execute(text("SET session_replication_role = replica"))
        db.session.execute(text("SET synchronous_commit = off"))
    else:
        db.session.execute(text("PRAGMA foreign_keys = OFF"))  # no effect inside a transaction: called after commits
        db.session.execute(text("PRAGMA synchronous = OFF"))
        db.session.execute(text("PRAGMA cache_size = -400000"))


def _table_exists(name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(db.engine).has_table(name)


def drop_secondary_indexes() -> None:
    """Save the definitions of the bulk tables' secondary indexes (once) and drop them."""
    pg = db.engine.dialect.name == "postgresql"
    if not _table_exists("bench_saved_indexes"):
        db.session.execute(text("CREATE TABLE bench_saved_indexes (name VARCHAR(200) PRIMARY KEY, ddl TEXT)"))
        if pg:
            found = db.session.execute(text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
                "AND i.tablename = ANY(:t) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname)"), {"t": list(BULK_TABLES)}).all()
        else:
            found = db.session.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
                f"({', '.join(repr(t) for t in BULK_TABLES)})")).all()
        for name, ddl in found:
            db.session.execute(text("INSERT INTO bench_saved_indexes (name, ddl) VALUES (:n, :d)"),
                               {"n": name, "d": ddl})
        db.session.commit()
    for (name,) in db.session.execute(text("SELECT name FROM bench_saved_indexes")).all():
        db.session.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    db.session.commit()


def rebuild_indexes() -> None:
    if not _table_exists("bench_saved_indexes"):
        return
    pg = db.engine.dialect.name == "postgresql"
    if pg:
        db.session.execute(text("SET maintenance_work_mem = '1GB'"))
    saved = db.session.execute(text("SELECT name, ddl FROM bench_saved_indexes ORDER BY name")).all()
    for name, ddl in saved:
        t0 = time.perf_counter()
        ddl = ddl.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
        ddl = ddl.replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1)
        db.session.execute(text(ddl))
        db.session.commit()
        print(f"  index {name}: {time.perf_counter() - t0:.1f}s", flush=True)
    db.session.execute(text("DROP TABLE bench_saved_indexes"))
    db.session.commit()


# ---------------------------------------------------------------------------------------- the tree


def build_tree(now: datetime) -> None:
    """Regions (through the tree module), offices, users, assignments, volumes, assessments."""
    from complaints.regions.tree import add_region

    t0 = time.perf_counter()
    district_ids = []
    for p in range(1, PROVINCES + 1):
        prov = add_region(region_code(p), f"Province {p}", None)
        for c in range(1, CITIES + 1):
            city = add_region(region_code(p, c), f"City {p}-{c}", prov)
            for d in range(1, DISTRICTS + 1):
                district = add_region(region_code(p, c, d), f"District {p}-{c}-{d}", city)
                district_ids.append((district.id, region_code(p, c, d)))
    db.session.commit()
    load = Loader()
    offices, oid = [], 0
    for district_id, dcode in district_ids:
        for o in range(1, OFFICES_PER_DISTRICT + 1):
            oid += 1
            offices.append((oid, f"{dcode}O{o:02d}", f"Office {dcode}-{o}", "Asia/Shanghai", f"0{oid:04d}-1234",
                            None, True, district_id, now))
    load.rows("offices", ["id", "code", "name", "timezone", "phone", "address", "active", "region_id", "created_at"],
              offices)
    n_off = len(offices)
    ucols = ["id", "email", "name", "role", "password_hash", "active", "locale", "created_at", "session_generation",
             "must_change_password"]
    users = [(1, "admin@example.com", "admin", "admin", "x", True, None, now, 0, False)]
    links = []
    for o in range(1, n_off + 1):
        for k in range(CLERKS_PER_OFFICE):
            uid = CLERKS_PER_OFFICE * o + k
            users.append((uid, f"clerk{uid}@example.com", f"clerk {uid}", "clerk", "x", True, None, now, 0, False))
            links.append((uid, o))
    next_uid = CLERKS_PER_OFFICE * (n_off + 1)
    sups = []
    for rid, code in db.session.execute(select(Region.id, Region.code).order_by(Region.id)).all():
        users.append((next_uid, f"sup-{code.lower()}@example.com", f"supervisor {code}", "supervisor", "x", True,
                      None, now, 0, False))
        sups.append((next_uid, rid))
        next_uid += 1
    load.rows("users", ucols, users)
    load.rows("user_offices", ["user_id", "office_id"], links)
    load.rows("user_regions", ["user_id", "region_id"], sups)
    # Items handled per office and month (a few missing), from the first month of the span to this one.
    rng = random.Random(SEED)
    first = month_floor(now - timedelta(days=30 * MONTHS + 31))
    months = []
    m = first
    while m <= now.date():
        months.append(m)
        m = add_month(m)
    vols = []
    for o in range(1, n_off + 1):
        base = rng.lognormvariate(math.log(60_000), 0.7)
        for m in months:
            if rng.random() < 0.02:
                continue
            vols.append((o, m, int(base * rng.uniform(0.8, 1.2)), now, 1))
    load.rows("office_volumes", ["office_id", "month", "items", "updated_at", "updated_by_id"], vols)
    # Assessments of every clerk and hardware scores of every office, the last 3 months.
    assess, hw, aid = [], [], 0
    for m in months[-4:-1]:
        code = m.strftime("%Y-%m")
        for o in range(1, n_off + 1):
            hw.append((o, code, rng.randint(5, 10), None, 1, now))
            for k in range(CLERKS_PER_OFFICE):
                aid += 1
                assess.append((aid, CLERKS_PER_OFFICE * o + k, o, code, rng.randint(5, 10), rng.randint(5, 10),
                               rng.randint(5, 10), rng.randint(5, 10), rng.randint(0, 3), None, 1, now))
    load.rows("assessments", ["id", "clerk_id", "office_id", "month", "attitude", "skill", "responsibility",
                              "management", "highlights", "comments", "updated_by_id", "updated_at"], assess)
    load.rows("hardware_scores", ["office_id", "month", "score", "comment", "updated_by_id", "updated_at"], hw)
    db.session.commit()
    regions = db.session.scalar(select(func.count()).select_from(Region))
    print(f"tree: {regions} regions, {n_off} offices, {len(users)} users, "
          f"{len(vols)} volumes, {len(assess)} assessments ({time.perf_counter() - t0:.1f}s)", flush=True)


def month_floor(d: datetime | date) -> date:
    return date(d.year, d.month, 1)


def add_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


# ---------------------------------------------------------------------------------------- tickets


def office_weights(n_off: int) -> list[float]:
    rng = random.Random(SEED + 1)
    cum, total = [], 0.0
    for _ in range(n_off):
        total += rng.lognormvariate(0, 0.8)
        cum.append(total)
    return cum


def instant(u: float, start: datetime, span_days: int, rng: random.Random) -> datetime:
    """The time at quantile ``u`` of a volume growing 30 % over the span, in office hours (Asia/Shanghai)."""
    x = (-1 + math.sqrt(1 + 0.6 * 1.15 * u)) / 0.3
    day = min(span_days - 1, int(x * span_days))
    # 08:30-17:30 local (00:30-09:30 UTC), a few in the evening online/hotline.
    minute = 30 + int(rng.triangular(0, 540, 200)) if rng.random() < 0.95 else rng.randint(600, 900)
    return start + timedelta(days=day, minutes=minute, seconds=rng.randint(0, 59))


def phone(rng: random.Random, tid: int) -> str | None:
    r = rng.random()
    if r < 0.05:
        return None
    if r < 0.35:  # a returning customer: a pool of 40,000, the first ones much more often
        k = int(40_000 * rng.random() ** 3)
        return f"139{(k * 7919) % 10**8:08d}"
    if r < 0.42:
        return f"0{rng.choice([10, 21, 20, 25, 28, 571, 731])}-{rng.randint(2000_0000, 8999_9999)}"
    return f"13{rng.randint(0, 9)}{(tid * 104729) % 10**8:08d}"


def chunk_rows(chunk: int, n: int, now: datetime, start: datetime, span_days: int, cum: list[float],
               dl_id0: int, comp_id0: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    rng = random.Random(SEED * 1000 + chunk)
    first, last = chunk * CHUNK + 1, min(n, (chunk + 1) * CHUNK)
    times = sorted(instant((tid - rng.random()) / n, start, span_days, rng) for tid in range(first, last + 1))
    n_off = len(cum)
    offices = rng.choices(range(1, n_off + 1), cum_weights=cum, k=len(times))
    tickets, deadlines, comps = [], [], []
    dl_id, comp_id = dl_id0, comp_id0
    last_complaint: dict[int, int] = {}
    for k, tid in enumerate(range(first, last + 1)):
        at = min(times[k], now - timedelta(minutes=1))
        office = offices[k]
        clerks = [CLERKS_PER_OFFICE * office + j for j in range(CLERKS_PER_OFFICE)]
        r = rng.random()
        kind = "complaint" if r < 0.60 else ("error" if r < 0.95 else "commendation")
        appeal = kind == "complaint" and rng.random() < 0.08
        channel = "regulator" if appeal else weighted(rng, CHANNELS)
        age = (now - at).days
        if kind == "commendation":
            state = "new" if age < 5 and rng.random() < 0.4 else ("rejected" if rng.random() < 0.05 else "closed")
        else:
            state = weighted(rng, STATES_OLD if age > 30 else STATES_MID if age >= 7 else STATES_NEW)
        d_i, n_i = combo(tid)
        desc = PRAISE[d_i % len(PRAISE)] if kind == "commendation" else TEMPLATES[d_i]
        t = dict.fromkeys(TICKET_COLS)
        prefix = {"complaint": "C", "error": "E", "commendation": "P"}[kind]
        t.update(id=tid, ref=f"{prefix}-{at.year}-{tid:07d}", kind=kind, channel=channel, state=state,
                 office_id=office, description=desc, occurred_at=at - timedelta(minutes=rng.randint(0, 4320)),
                 customer_name=NAMES[n_i], customer_phone=phone(rng, tid), customer_consent=rng.random() < 0.6,
                 logged_by_id=rng.choice(clerks), created_at=at, updated_at=at,
                 category="other" if kind == "commendation" else weighted(rng, CATEGORIES))
        if rng.random() < 0.1:
            t["customer_email"] = f"customer{tid}@example.com"
        if kind == "commendation" or rng.random() < 0.5:
            t["involved_clerk_id"] = rng.choice(clerks)
        version = 1
        if kind == "commendation":
            if state == "closed":
                t["attributed_clerk_id"] = t["involved_clerk_id"]
                t["resolved_at"] = t["closed_at"] = at + timedelta(hours=rng.randint(1, 72))
                version = 2
            elif state == "rejected":
                t["reject_reason"] = "invalid"
                version = 2
            if t["closed_at"] and t["closed_at"] > now:
                t["resolved_at"] = t["closed_at"] = now - timedelta(seconds=1)
            t["updated_at"] = t["closed_at"] or at
            t["version"] = version
            tickets.append(tuple(t[c] for c in TICKET_COLS))
            continue
        if appeal:
            t["regulator_case"] = f"YZ{at.year}{tid:08d}"
            t["regulator_due"] = (at + timedelta(days=15)).date()
            if rng.random() < 0.35 and office in last_complaint:
                t["appeal_of_id"] = last_complaint[office]
        elif kind == "complaint":
            last_complaint[office] = tid
        severity = weighted(rng, SEVERITIES)
        tri_m, res_m, fol_m, esc_m, _cal = DEFAULT_POLICIES[(kind, severity)]
        # Stage instants: triaged, resolved, closed (each may lie ahead of now: then not reached).
        triaged = at + timedelta(minutes=rng.uniform(5, tri_m * 1.4))
        resolved = triaged + timedelta(minutes=rng.uniform(30, res_m * 1.5))
        closed = resolved + timedelta(minutes=rng.uniform(30, fol_m * 1.3))
        if state != "new":
            t["severity"] = severity if state != "rejected" else None
        if state in ("triaged", "awaiting_customer", "resolved", "closed"):
            t["assignee_id"] = rng.choice(clerks)
            version += 1
        if state == "rejected":
            reason = weighted(rng, [("duplicate", 50), ("invalid", 35), ("out_of_scope", 15)])
            t["reject_reason"] = reason
            if reason == "duplicate" and tid > first:
                t["duplicate_of_id"] = tid - rng.randint(1, min(500, tid - first))
            version += 1
        resolved_states = ("resolved", "closed")
        if state in resolved_states:
            t["resolved_at"] = min(resolved, now - timedelta(seconds=2))
            version += 1
            substantiated = rng.random() < 0.55
            t["finding"] = "substantiated" if substantiated else "unfounded"
            t["resolution"] = "已核实处理。"
            t["outcome"] = "已向客户说明处理结果。"
            if substantiated:
                t["root_cause"] = weighted(rng, ROOT_CAUSES)
                if t["root_cause"] != "hardware" and rng.random() < 0.9:
                    t["attributed_clerk_id"] = t["involved_clerk_id"] or rng.choice(clerks)
        if state == "closed":
            t["closed_at"] = min(closed, now - timedelta(seconds=1))
            version += 1
            if rng.random() < 0.85:
                t["contact"] = "reached"
                t["expectation"] = rng.randint(3, 5)
                t["perception"] = rng.choices([1, 2, 3, 4, 5], [5, 10, 20, 35, 30])[0]
                t["satisfied"] = t["perception"] >= 3
            else:
                t["contact"] = "unreachable"
        if appeal and state in resolved_states:
            t["regulator_reply"] = "已答复。"
            replied = t["resolved_at"].date()
            t["regulator_replied_on"] = replied
            if state == "closed" and rng.random() < 0.7:
                t["verdict"] = "valid" if rng.random() < 0.4 else "not_valid"
                t["verdict_at"] = min(t["closed_at"] + timedelta(days=rng.randint(1, 10)), now - timedelta(seconds=1))
        t["version"] = version
        t["updated_at"] = max(x for x in (at, t["resolved_at"], t["closed_at"], t["verdict_at"]) if x)
        tickets.append(tuple(t[c] for c in TICKET_COLS))

        # The clocks.
        def clock(name: str, started: datetime, target_s: int, esc_s: int, end: datetime | None,
                  cancelled: bool = False, paused: bool = False, due: datetime | None = None,
                  tid: int = tid, office: int = office, severity: str = severity) -> None:
            nonlocal dl_id
            dl_id += 1
            due = due or started + timedelta(seconds=target_s)
            warn = started + (due - started) * 0.75
            levels = (warn, due, due + timedelta(seconds=esc_s))
            if end is not None:
                consumed = int((end - started).total_seconds())
                outcome = "cancelled" if cancelled else ("met" if end <= due else "missed")
                level = sum(x <= end for x in levels)
                deadlines.append((dl_id, tid, office, name, 1, severity, target_s, esc_s, False, started, None,
                                  consumed, levels[0], levels[1], levels[2], level, None, end, outcome))
            else:
                level = sum(x <= now for x in levels)
                consumed = int((now - started).total_seconds() * 0.5) if paused else 0
                deadlines.append((dl_id, tid, office, name, 1, severity, target_s, esc_s, False, started,
                                  None if paused else started, consumed, levels[0], levels[1], levels[2], level,
                                  levels[level] if level < 3 and not paused else None, None, None))

        tri_end = None if state == "new" else min(triaged, now - timedelta(seconds=3))
        clock("triage", at, tri_m * 60, esc_m * 60, tri_end, cancelled=state == "rejected")
        if state not in ("new", "rejected"):
            res_end = t["resolved_at"] if state in resolved_states else None
            clock("resolve", tri_end, res_m * 60, esc_m * 60, res_end, paused=state == "awaiting_customer")
        if state in resolved_states:
            clock("follow_up", t["resolved_at"], fol_m * 60, esc_m * 60, t["closed_at"])
        if kind == "complaint":
            reply_end = t["resolved_at"] if state in resolved_states else None
            if state == "rejected":
                reply_end = tri_end
            due = (datetime.combine(t["regulator_due"], datetime.min.time(), UTC) + timedelta(hours=16)
                   if appeal else None)
            clock("reply", at, REPLY_DAYS * 86400, REPLY_ESCALATE, reply_end, cancelled=state == "rejected",
                  due=due)
        if state in resolved_states and t["category"] in COMPENSABLE and rng.random() < 0.4:
            comp_id += 1
            claimed = rng.randint(10, 2000) * 100
            offered = min(claimed, rng.randint(5, 2000) * 100)
            status = weighted(rng, [("paid", 50), ("approved", 20), ("offered", 20), ("refused", 5), ("over_cap", 5)])
            made = t["resolved_at"]
            approved = made + timedelta(days=1) if status in ("approved", "paid") else None
            paid = (made + timedelta(days=rng.randint(2, 20))).date() if status == "paid" else None
            comps.append((comp_id, tid, claimed, offered, weighted(rng, [("insured", 40), ("uninsured", 45),
                                                                          ("goodwill", 15)]),
                          status, 1 if approved else None, min(approved, now) if approved else None, paid,
                          f"PAY{tid:09d}" if paid else None, "不符合赔偿条件。" if status == "refused" else None,
                          made, made))
    return tickets, deadlines, comps


def search_terms() -> None:
    """Every ticket's search terms, written by SQL from the 4,000 (description, name) combinations' terms."""
    from complaints.search.terms import index_terms

    pg = db.engine.dialect.name == "postgresql"
    db.session.execute(text("CREATE TEMP TABLE bench_terms (k INTEGER, term VARCHAR(40))"))
    rows = []
    for k in range(COMBOS):
        d_i, n_i = k // len(NAMES), k % len(NAMES)
        for kind_key, desc in ((0, TEMPLATES[d_i]), (1, PRAISE[d_i % len(PRAISE)])):
            rows += [{"k": k * 2 + kind_key, "term": term} for term in index_terms(desc, NAMES[n_i], None)]
    db.session.execute(text("INSERT INTO bench_terms (k, term) VALUES (:k, :term)"), rows)
    key = (f"((t.id % {COMBOS}) * 7919 % {COMBOS}) * 2 + CASE WHEN t.kind = 'commendation' THEN 1 ELSE 0 END")
    db.session.execute(text("INSERT INTO search_terms (ticket_id, office_id, term) "  # noqa: S608 - constants
                            f"SELECT t.id, t.office_id, b.term FROM tickets t JOIN bench_terms b ON b.k = {key}"))
    digits = "regexp_replace(customer_phone, '[^0-9]', '', 'g')" if pg else \
        "replace(replace(customer_phone, '-', ''), '+', '')"
    last4 = f"right({digits}, 4)" if pg else f"substr({digits}, -4)"
    db.session.execute(text("INSERT INTO search_terms (ticket_id, office_id, term) "  # noqa: S608
                            f"SELECT id, office_id, 'tel:' || {last4} FROM tickets WHERE customer_phone IS NOT NULL"))
    db.session.execute(text("DROP TABLE bench_terms"))
    db.session.commit()


# ---------------------------------------------------------------------------------------- build


def data_now() -> datetime:
    """The instant the data set describes (its clocks were planned at it): the start of the build's hour."""
    return datetime.fromisoformat(db.session.scalar(text("SELECT v FROM bench_national_meta WHERE k = 'now'")))


def build(n: int, with_search: bool = True, fresh: bool = False) -> None:
    from flask_migrate import upgrade

    started = time.perf_counter()
    if fresh:
        from _common import empty_database

        empty_database()
    upgrade()
    meta_ok = _table_exists("bench_national_meta")
    if not meta_ok:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        db.session.execute(text("CREATE TABLE bench_national_meta (k VARCHAR(40) PRIMARY KEY, v VARCHAR(100))"))
        db.session.execute(text("INSERT INTO bench_national_meta VALUES ('now', :now), ('tickets', :n)"),
                           {"now": now.isoformat(), "n": str(n)})
        db.session.commit()
    meta = dict(db.session.execute(text("SELECT k, v FROM bench_national_meta")).all())
    now = datetime.fromisoformat(meta["now"])
    if int(meta["tickets"]) != n:
        raise SystemExit(f"this database was started for {meta['tickets']} tickets: use --fresh")
    _session_for_load()
    if not db.session.scalar(select(func.count()).select_from(Office)):
        build_tree(now)
    n_off = db.session.scalar(select(func.count()).select_from(Office))
    cum = office_weights(n_off)
    start = datetime.combine((now - timedelta(days=730)).date(), datetime.min.time(), UTC)
    span_days = (now - start).days
    done = db.session.scalar(select(func.coalesce(func.max(Ticket.id), 0)))
    chunks = math.ceil(n / CHUNK)
    if done % CHUNK and done != n:
        raise SystemExit(f"tickets stop at {done}, inside a chunk: use --fresh")
    first_chunk = done // CHUNK
    if first_chunk < chunks:
        drop_secondary_indexes()
        _session_for_load()
    load = Loader()
    for chunk in range(first_chunk, chunks):
        t0 = time.perf_counter()
        dl0 = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM deadlines"))
        c0 = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM compensations"))
        tickets, deadlines, comps = chunk_rows(chunk, n, now, start, span_days, cum, dl0, c0)
        t1 = time.perf_counter()
        load.rows("tickets", TICKET_COLS, tickets)
        load.rows("deadlines", DEADLINE_COLS, deadlines)
        load.rows("compensations", COMP_COLS, comps)
        db.session.commit()
        _session_for_load()
        print(f"chunk {chunk + 1}/{chunks}: {len(tickets)} tickets, {len(deadlines)} deadlines, {len(comps)} "
              f"compensations (rows {t1 - t0:.1f}s, load {time.perf_counter() - t1:.1f}s)", flush=True)
    if with_search and not db.session.scalar(text("SELECT count(*) FROM (SELECT 1 FROM search_terms LIMIT 1) s")):
        t0 = time.perf_counter()
        drop_secondary_indexes()
        search_terms()
        print(f"search terms: {time.perf_counter() - t0:.1f}s", flush=True)
    t0 = time.perf_counter()
    rebuild_indexes()
    print(f"indexes rebuilt: {time.perf_counter() - t0:.1f}s", flush=True)
    if db.engine.dialect.name == "postgresql":
        for table in ("tickets", "deadlines", "compensations", "assessments", "users", "offices"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.execute(text("DELETE FROM ref_counters"))
    for prefix in ("C", "E", "P"):
        for year in range(start.year, now.year + 1):
            db.session.execute(text("INSERT INTO ref_counters (prefix, year, last) VALUES (:p, :y, :n)"),
                               {"p": prefix, "y": year, "n": n})
    db.session.commit()
    t0 = time.perf_counter()
    from _common import analyze

    db.session.remove()
    analyze()
    print(f"analyze: {time.perf_counter() - t0:.1f}s", flush=True)
    print(f"built in {time.perf_counter() - started:.0f}s: " + summary(), flush=True)


def summary() -> str:
    counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - constant names
              for t in ("regions", "offices", "users", "tickets", "deadlines", "compensations", "office_volumes",
                        "search_terms")}
    return ", ".join(f"{v:,} {k}" for k, v in counts.items())


def app_for(url: str):  # noqa: ANN201
    from complaints import create_app

    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--no-search", action="store_true", help="no search terms (faster; search is not timed)")
    ap.add_argument("--fresh", action="store_true", help="empty the database first")
    args = ap.parse_args()
    from config import normalise_db_url

    app = app_for(normalise_db_url(args.database_url))
    with app.app_context():
        build(args.tickets, with_search=not args.no_search, fresh=args.fresh)


if __name__ == "__main__":
    main()
