"""Business time: a table of cases across nights, weekends, holidays, zones and DST, and a property."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.sla.calendar import BusinessCalendar, CalendarError, parse_holidays, parse_hours, weekly

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = {d: ((time(9), time(17)),) for d in range(5)}  # Mon-Fri, 8 hours


def cal(zone: str = "Asia/Shanghai", hours=None, holidays=()) -> BusinessCalendar:
    return BusinessCalendar(timezone=zone, hours=hours or NINE_TO_FIVE, holidays=frozenset(holidays))


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


H = timedelta(hours=1)
M = timedelta(minutes=1)

# 2026-11-23 is a Monday.
CASES = [
    # (what, calendar, start, amount, expected end)
    ("inside one day", cal(), at(SH, 2026, 11, 23, 10), 2 * H, at(SH, 2026, 11, 23, 12)),
    ("to the closing minute", cal(), at(SH, 2026, 11, 23, 9), 8 * H, at(SH, 2026, 11, 23, 17)),
    ("over the night", cal(), at(SH, 2026, 11, 23, 16), 2 * H, at(SH, 2026, 11, 24, 10)),
    ("started before opening", cal(), at(SH, 2026, 11, 23, 6), 30 * M, at(SH, 2026, 11, 23, 9, 30)),
    ("started after closing", cal(), at(SH, 2026, 11, 23, 20), H, at(SH, 2026, 11, 24, 10)),
    ("over the weekend", cal(), at(SH, 2026, 11, 27, 16), 2 * H, at(SH, 2026, 11, 30, 10)),
    ("logged on a Sunday", cal(), at(SH, 2026, 11, 29, 12), H, at(SH, 2026, 11, 30, 10)),
    ("over a holiday", cal(holidays=[date(2026, 11, 24)]), at(SH, 2026, 11, 23, 16), 2 * H,
     at(SH, 2026, 11, 25, 10)),
    ("a week of holidays", cal(holidays=[date(2026, 10, d) for d in range(1, 8)]), at(SH, 2026, 9, 30, 16),
     2 * H, at(SH, 2026, 10, 8, 10)),
    ("a whole week of work", cal(), at(SH, 2026, 11, 23, 9), 40 * H, at(SH, 2026, 11, 27, 17)),
    ("an instant given in UTC", cal(), datetime(2026, 11, 23, 1, tzinfo=UTC), H, at(SH, 2026, 11, 23, 10)),
    ("late Sunday evening UTC is early Monday here", cal(), datetime(2026, 11, 22, 23, 30, tzinfo=UTC), H,
     at(SH, 2026, 11, 23, 10)),
    # Berlin springs forward on 2026-03-29 (Sunday) and falls back on 2026-10-25 (Sunday).
    ("DST spring, open on Sunday", cal("Europe/Berlin", {6: ((time(1), time(5)),)}), at(BERLIN, 2026, 3, 29, 1),
     3 * H, at(BERLIN, 2026, 3, 29, 5)),  # 01:00 to 05:00 local is 3 real hours that day
    ("DST autumn, open on Sunday", cal("Europe/Berlin", {6: ((time(1), time(5)),)}),
     at(BERLIN, 2026, 10, 25, 1), 5 * H, at(BERLIN, 2026, 10, 25, 5)),  # and 5 real hours here
    ("DST over a weekend keeps local opening", cal("Europe/Berlin"), at(BERLIN, 2026, 3, 27, 16), 2 * H,
     at(BERLIN, 2026, 3, 30, 10)),
    ("24x7", BusinessCalendar.twenty_four_seven(), at(SH, 2026, 11, 28, 23), 3 * H, at(SH, 2026, 11, 29, 2)),
    ("nothing to add", cal(), at(SH, 2026, 11, 28, 23), timedelta(0), at(SH, 2026, 11, 28, 23)),
]


@pytest.mark.parametrize(("what", "calendar", "start", "amount", "end"), CASES, ids=[c[0] for c in CASES])
def test_add_and_between(what, calendar, start, amount, end):
    assert calendar.add(start, amount) == end
    assert calendar.between(start, end) == amount


def test_between_of_a_weekend_is_zero_and_signed_is_negative_backwards():
    c = cal()
    assert c.between(at(SH, 2026, 11, 28, 0), at(SH, 2026, 11, 30, 9)) == timedelta(0)
    assert c.signed_between(at(SH, 2026, 11, 23, 12), at(SH, 2026, 11, 23, 10)) == -2 * H


def test_a_calendar_that_never_opens_is_an_error_not_a_hang():
    with pytest.raises(CalendarError):
        BusinessCalendar(hours={}).add(at(SH, 2026, 11, 23, 9), H)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        cal().add(datetime(2026, 11, 23, 9), H)  # noqa: DTZ001 - the point of the test


def test_holiday_list_parsing_keeps_names_and_reports_bad_lines():
    text = "# 2027\n2027-01-01 元旦\n\n2027-02-17\tSpring festival\nnot a date\n2027-02-30\n2027-01-01 again\n"
    days, errors = parse_holidays(text)
    assert days == [(date(2027, 1, 1), "again"), (date(2027, 2, 17), "Spring festival")]
    assert errors == [(5, "not a date"), (6, "2027-02-30")]  # the line's number, and what was typed


def test_hours_parsing():
    assert parse_hours("08:30", "17:30") == (time(8, 30), time(17, 30))
    with pytest.raises(ValueError):
        parse_hours("17:00", "09:00")
    assert weekly([(0, time(9), time(12)), (0, time(8), time(8, 30))]) == {
        0: ((time(8), time(8, 30)), (time(9), time(12)))}


ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]


@st.composite
def calendars(draw) -> BusinessCalendar:
    hours = {}
    for day in range(7):
        if draw(st.booleans()):
            # At least four hours a day, so that any amount below fits in the search horizon.
            opens = draw(st.integers(0, 19 * 60))
            closes = draw(st.integers(opens + 240, 24 * 60 - 1))
            hours[day] = ((time(opens // 60, opens % 60), time(closes // 60, closes % 60)),)
    if not hours:
        hours[0] = ((time(9), time(17)),)
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=30))
    return BusinessCalendar(timezone=draw(st.sampled_from(ZONES)), hours=hours, holidays=holidays,
                            always_open=draw(st.sampled_from([False, False, False, True])))


instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, st.integers(0, 300 * 60 * 60))  # up to 300 business hours
def test_adding_n_business_seconds_then_measuring_gives_n_back(calendar, start, seconds):
    amount = timedelta(seconds=seconds)
    end = calendar.add(start, amount)
    assert end >= start
    assert calendar.between(start, end) == amount


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, st.integers(0, 10**6), st.integers(0, 10**6))
def test_adding_is_monotonic_and_composes(calendar, start, a, b):
    first = calendar.add(start, timedelta(seconds=a))
    both = calendar.add(start, timedelta(seconds=a + b))
    assert both >= first
    assert calendar.between(start, both) == timedelta(seconds=a + b)


# China's 2026 National Day week, as the chinese-calendar package ships the State Council's
# schedule: Oct 1-7 off; Sunday Sep 20 and Saturday Oct 10 are make-up working days (调休).
def _china_2026() -> BusinessCalendar:
    from complaints.sla.national import official_days
    from complaints.sla.policies import DEFAULT_WEEK

    rows = official_days(2026)
    return BusinessCalendar(
        timezone="Asia/Shanghai", hours=weekly((d, a, b) for d, (a, b) in DEFAULT_WEEK.items()),
        holidays=frozenset(d for d, k, _n in rows if k == "off"),
        workdays=frozenset(d for d, k, _n in rows if k == "work"),
    )


def test_the_package_knows_the_2026_national_day_week_and_its_make_up_days():
    from complaints.sla.national import official_days

    rows = {d: (k, n) for d, k, n in official_days(2026)}
    assert all(rows[date(2026, 10, d)] == ("off", "National Day") for d in range(1, 8))
    assert date(2026, 10, 8) not in rows  # Thursday Oct 8 is an ordinary working day
    assert rows[date(2026, 9, 20)] == ("work", "National Day") and date(2026, 9, 20).weekday() == 6
    assert rows[date(2026, 10, 10)] == ("work", "National Day") and date(2026, 10, 10).weekday() == 5
    assert [d for d, (k, _n) in rows.items() if k == "work"] == sorted(
        [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
         date(2026, 9, 20), date(2026, 10, 10)])


def test_business_time_across_the_2026_national_day_week():
    c = _china_2026()
    # Wednesday Sep 30 16:30 + 2 h: one hour that day, the week off, then Thursday Oct 8 09:30.
    assert c.add(at(SH, 2026, 9, 30, 16, 30), 2 * H) == at(SH, 2026, 10, 8, 9, 30)
    assert c.between(at(SH, 2026, 9, 30, 17, 30), at(SH, 2026, 10, 8, 8, 30)) == timedelta(0)
    # Friday Oct 9 17:00 + 1 h: the make-up Saturday Oct 10 opens at 08:30, with the Monday hours.
    assert c.add(at(SH, 2026, 10, 9, 17), H) == at(SH, 2026, 10, 10, 9)
    assert c.between(at(SH, 2026, 10, 10, 0), at(SH, 2026, 10, 11, 0)) == 9 * H  # not Saturday's 7 h
    # The make-up Sunday Sep 20 is worked; an ordinary Sunday is not.
    assert c.between(at(SH, 2026, 9, 20, 0), at(SH, 2026, 9, 21, 0)) == 9 * H
    assert c.between(at(SH, 2026, 9, 13, 0), at(SH, 2026, 9, 14, 0)) == timedelta(0)
    # The whole stretch Sep 30 - Oct 11: Sep 30 (9 h), Oct 8, 9 (9 h each), Oct 10 (make-up, 9 h).
    assert c.between(at(SH, 2026, 9, 30, 0), at(SH, 2026, 10, 12, 0)) == 36 * H


def test_a_closed_date_beats_a_working_date():
    c = BusinessCalendar(hours=NINE_TO_FIVE, holidays=frozenset({date(2026, 11, 28)}),
                         workdays=frozenset({date(2026, 11, 28), date(2026, 11, 29)}))
    assert c.between(at(SH, 2026, 11, 28), at(SH, 2026, 11, 30)) == 8 * H  # only Sunday, Monday hours


def test_office_exception_lines_closed_and_open():
    from complaints.sla.calendar import parse_exceptions

    days, errors = parse_exceptions("2026-12-24 装修\n2026-12-20 open 周日营业\n2026-12-21 营业\nbad\n")
    assert days == [(date(2026, 12, 20), "周日营业", True), (date(2026, 12, 21), "", True),
                    (date(2026, 12, 24), "装修", False)]
    assert errors == [(4, "bad")]
    assert parse_holidays("2026-12-24 装修\n2026-12-20 open x")[0] == [(date(2026, 12, 24), "装修")]
