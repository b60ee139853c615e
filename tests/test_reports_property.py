"""A region's report is the sum of its offices' (hypothesis): whatever the tickets, every additive figure of a
region (counts, fen, the sums behind the means, items and missing volumes) equals the sum over its offices and
over its sub-regions. Repeat complainants are people, not tickets: a region counts a customer who complained
at two of its offices, so it has at least as many as any of its offices.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from complaints.domain import Category, Channel, CompensationStatus, Finding, Kind, RootCause
from complaints.extensions import db
from complaints.models import Compensation, Deadline, OfficeVolume, Ticket
from complaints.regions.tree import add_region, find_unit
from complaints.reports import figures
from complaints.reports.periods import Period

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=UTC)
WINDOW_START = datetime(2026, 6, 1, tzinfo=UTC)  # from June (the 90 days before October) to mid-December
WINDOW_MINUTES = 200 * 24 * 60
PERIODS = (Period(2026, month=10), Period(2026, month=11), Period(2026, quarter=4), Period(2026, quarter=3))
OFFICES = ("SH-0101", "SH-0102", "HZ-0301", "BJ-0201")  # the last one outside the region

tickets = st.lists(st.fixed_dictionaries({
    "office": st.integers(0, 3),
    "minute": st.integers(0, WINDOW_MINUTES),
    "kind": st.sampled_from(list(Kind)),
    "category": st.sampled_from(list(Category)),
    "channel": st.sampled_from(list(Channel)),
    "phone": st.integers(0, 5),
    "judged": st.sampled_from([None, *RootCause, "unfounded"]),
    "verdict": st.sampled_from([None, "valid", "not_valid"]),
    "scores": st.none() | st.tuples(st.integers(1, 5), st.integers(1, 5)),
    "reply": st.sampled_from([None, "met", "missed", "cancelled", "open-late", "open"]),
    "stages": st.lists(st.tuples(st.sampled_from(figures.STAGES), st.sampled_from(["met", "missed", None])),
                       max_size=3, unique_by=lambda s: s[0]),
    "compensation": st.none() | st.tuples(st.sampled_from(list(CompensationStatus)), st.integers(0, 400_000)),
}), max_size=30)
volumes = st.lists(st.tuples(st.integers(0, 3), st.integers(6, 12), st.integers(0, 10**7)), max_size=10,
                   unique_by=lambda v: v[:2])


def _insert(world, offices, specs, vols) -> None:  # noqa: ANN001
    for n, s in enumerate(specs):
        at = WINDOW_START + timedelta(minutes=s["minute"])
        regulator = s["channel"] == Channel.REGULATOR
        cause = s["judged"] if s["judged"] in list(RootCause) else None
        t = Ticket(ref=f"H-{n:06d}", kind=s["kind"], channel=s["channel"], category=s["category"],
                   office_id=offices[s["office"]].id, description="x", occurred_at=at, created_at=at, updated_at=at,
                   logged_by_id=world.clerk_a.id, customer_phone=f"1390000000{s['phone']}",
                   regulator_case="R" if regulator else None, verdict=s["verdict"] if regulator else None,
                   finding=None if s["judged"] is None else (Finding.SUBSTANTIATED if cause else Finding.UNFOUNDED),
                   root_cause=cause, expectation=s["scores"][0] if s["scores"] else None,
                   perception=s["scores"][1] if s["scores"] else None)
        db.session.add(t)
        db.session.flush()
        clocks = list(s["stages"]) + ([("reply", s["reply"])] if s["reply"] else [])
        for clock, outcome in clocks:
            open_ = outcome in (None, "open", "open-late")
            due = NOW - timedelta(days=1) if outcome == "open-late" else at + timedelta(days=9)
            db.session.add(Deadline(ticket_id=t.id, office_id=t.office_id, clock=clock, cycle=1, severity="low",
                                    target_seconds=60, escalate_seconds=0, started_at=at, due_at=due,
                                    ended_at=None if open_ else at + timedelta(days=1),
                                    outcome=None if open_ else outcome))
        if s["compensation"]:
            status, fen = s["compensation"]
            paid = status == CompensationStatus.PAID
            db.session.add(Compensation(ticket_id=t.id, claimed=Decimal(fen) / 100, offered=Decimal(fen) / 100,
                                        basis="goodwill", status=status, paid_on=date(2026, 12, 1) if paid else None,
                                        payment_ref="P" if paid else None, created_at=at, updated_at=at))
    for office, month, items in vols:
        db.session.add(OfficeVolume(office_id=offices[office].id, month=date(2026, month, 1), items=items))
    db.session.flush()


def _additive(f: figures.Figures) -> Counter:
    out: Counter = Counter()
    for name in ("by_kind", "by_category", "by_channel", "by_root_cause", "reply"):
        out.update({(name, k): v for k, v in getattr(f, name).items()})
    for clock, outcomes in f.stages.items():
        out.update({("stage", clock, o): n for o, n in outcomes.items()})
    for status, (n, fen) in f.compensation.items():
        out.update({("compensation", status, "n"): n, ("compensation", status, "fen"): fen})
    for name in ("appeals", "valid_appeals", "not_valid_appeals", "items", "office_months", "volume_figures",
                 "voice_count", "expectation_sum", "perception_sum"):
        out[name] += getattr(f, name)
    return +out  # zeros dropped: an office without a figure and a zero figure compare equal


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=tickets, vols=volumes)
def test_a_regions_figures_are_the_sums_of_its_offices(world, specs, vols):
    from complaints.admin.operations import create_office
    from complaints.models import Office

    if db.session.scalar(db.select(Office).where(Office.code == "HZ-0301")) is None:
        create_office("HZ-0301", "杭州西湖营业部")
        create_office("BJ-0201", "北京朝阳营业部")
        top = add_region("EAST", "华东", None)
        sh, zj = add_region("SH", "上海", top), add_region("ZJ", "浙江", top)
        for code, region in (("SH-0101", sh), ("SH-0102", sh), ("HZ-0301", zj)):
            db.session.scalar(db.select(Office).where(Office.code == code)).region_id = region.id
        db.session.commit()
    offices = [db.session.scalar(db.select(Office).where(Office.code == c)) for c in OFFICES]
    try:
        _insert(world, offices, specs, vols)
        for period in PERIODS:
            region = figures.compute(find_unit("EAST"), period, "Asia/Shanghai", NOW)
            parts = [figures.compute(find_unit(code), period, "Asia/Shanghai", NOW) for code in OFFICES[:3]]
            assert _additive(region) == sum((_additive(p) for p in parts), Counter()), period
            subregions = [figures.compute(find_unit(code), period, "Asia/Shanghai", NOW) for code in ("SH", "ZJ")]
            assert _additive(region) == sum((_additive(p) for p in subregions), Counter()), period
            assert region.repeat_complainants >= max(p.repeat_complainants for p in parts)
            # And the tickets counted are exactly the region's, logged in the period (Shanghai time).
            start, end = period.bounds("Asia/Shanghai")
            expected = sum(1 for s in specs if s["office"] < 3
                           and start <= WINDOW_START + timedelta(minutes=s["minute"]) < end)
            assert region.total == expected
    finally:
        db.session.rollback()
        for model in (Compensation, Deadline, Ticket, OfficeVolume):
            db.session.execute(delete(model))
        db.session.commit()
