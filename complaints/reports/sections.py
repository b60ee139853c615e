"""The report laid out as sections of rows: what the page, the XLSX and the API all show.

Each row has a stable key (the API's), a translated label (the page's and the XLSX's headers), a
value per column (this period, the previous one, the same one last year) and the queue filters that
list the tickets behind it (``/tickets`` with the unit and the period's dates added).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from ..domain import Category, Channel, CompensationStatus, Kind, RootCause, label
from .figures import STAGES, Figures, Report

COUNT, PCT, YUAN, RATE, MEAN = "count", "pct", "yuan", "rate", "mean"

Value = int | float | Decimal | None


@dataclass
class Row:
    key: str
    label: str
    kind: str  # COUNT, PCT, YUAN, RATE or MEAN: how the value is shown and typed
    values: tuple[Value, Value, Value]
    filters: dict[str, str] | None  # queue filters for the tickets behind the figure; None: no list

    @property
    def current(self) -> Value:
        return self.values[0]


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row]
    note: str = ""

    def chart_rows(self) -> list[Row]:
        """The rows drawn as bars: one unit per chart (yuan, else counts, else means), no totals or volumes."""
        kinds = {r.kind for r in self.rows}
        kind = next((k for k in (YUAN, COUNT, MEAN) if k in kinds), None)
        return [r for r in self.rows if r.kind == kind and r.key not in NOT_CHARTED]

    def chart_top(self) -> float:
        return max([1.0, *(float(v) for r in self.chart_rows() for v in r.values if v is not None)])


NOT_CHARTED = frozenset({"total", "items", "volumes_missing", "gap", "followed_up"})
STAGE_LABELS = {"triage": _l("Triage"), "resolve": _l("Resolution"), "follow_up": _l("Follow-up")}


def _row(report: Report, key: str, text: Any, kind: str, value: Callable[[Figures], Value],
         filters: dict[str, str] | None) -> Row:
    return Row(key, str(text), kind, tuple(value(f) for f in report.columns), filters)  # type: ignore[arg-type]


def sections(report: Report) -> list[Section]:
    r = report
    kinds = [_row(r, k.value, label(k), COUNT, lambda f, k=k: f.by_kind.get(k.value, 0), {"kind": k.value})
             for k in Kind]
    kinds.append(_row(r, "total", _l("All tickets"), COUNT, lambda f: f.total, {}))
    categories = [_row(r, c.value, label(c), COUNT, lambda f, c=c: f.by_category.get(c.value, 0),
                       {"category": c.value, "cases": "1"}) for c in Category]
    channels = [_row(r, c.value, label(c), COUNT, lambda f, c=c: f.by_channel.get(c.value, 0),
                     {"channel": c.value}) for c in Channel]
    causes = [_row(r, c.value, label(c), COUNT, lambda f, c=c: f.by_root_cause.get(c.value, 0),
                   {"root_cause": c.value}) for c in RootCause]
    appeal = {"appeal": "1"}
    valid = {"appeal": "1", "verdict": "valid"}
    appeals = [
        _row(r, "appeals", _l("Appeals forwarded by the regulator"), COUNT, lambda f: f.appeals, appeal),
        _row(r, "valid", _l("Valid appeals"), COUNT, lambda f: f.valid_appeals, valid),
        _row(r, "not_valid", _l("Not valid"), COUNT, lambda f: f.not_valid_appeals,
             {"appeal": "1", "verdict": "not_valid"}),
        _row(r, "pending", _l("Waiting for a verdict"), COUNT, lambda f: f.pending_appeals, None),
        _row(r, "items", _l("Items handled"), COUNT, lambda f: f.items, None),
        _row(r, "volumes_missing", _l("Office-months without an items figure"), COUNT, lambda f: f.volumes_missing,
             None),
        _row(r, "valid_per_million", _l("Valid appeals per million items"), RATE, lambda f: f.valid_per_million,
             valid),
    ]
    complaint = {"kind": Kind.COMPLAINT.value}
    replies = [
        _row(r, "met", _l("Replied to in time"), COUNT, lambda f: f.reply.get("met", 0), {**complaint, "reply": "met"}),
        _row(r, "missed", _l("Replied to late"), COUNT, lambda f: f.reply.get("missed", 0),
             {**complaint, "reply": "missed"}),
        _row(r, "overdue", _l("Not replied to, past the deadline"), COUNT, lambda f: f.reply.get("overdue", 0),
             {**complaint, "reply": "overdue"}),
        _row(r, "pending", _l("Not replied to, not yet due"), COUNT, lambda f: f.reply.get("pending", 0), None),
        _row(r, "in_time_pct", _l("Replied to within the deadline (%)"), PCT, lambda f: f.reply_in_time_pct,
             {**complaint, "reply": "met"}),
    ]
    sla = []
    for clock in STAGES:
        name = STAGE_LABELS[clock]
        sla += [
            _row(r, f"{clock}_met", _l("%(stage)s: met", stage=name), COUNT, lambda f, c=clock: f.stage("met", c),
                 {"due": "met", "stage": clock}),
            _row(r, f"{clock}_missed", _l("%(stage)s: missed", stage=name), COUNT,
                 lambda f, c=clock: f.stage("missed", c), {"due": "missed", "stage": clock}),
        ]
    sla += [_row(r, f"{clock}_pct", _l("%(stage)s: met (%%)", stage=STAGE_LABELS[clock]), PCT,
                 lambda f, c=clock: f.stage_met_pct(c), {"due": "met", "stage": clock}) for clock in STAGES]
    sla.append(_row(r, "met_pct", _l("All stages: met (%)"), PCT, lambda f: f.stage_met_pct(), {"due": "met"}))
    compensation = [
        _row(r, "offered_count", _l("Compensation offered (tickets, not refused)"), COUNT, lambda f: f.offered_count,
             {"compensated": "1"}),
        _row(r, "offered", _l("Compensation offered (yuan, not refused)"), YUAN, lambda f: f.offered_yuan,
             {"compensated": "1"}),
        _row(r, "paid_count", _l("Compensation paid (tickets)"), COUNT,
             lambda f: f.compensation_count(CompensationStatus.PAID), {"compensation": "paid"}),
        _row(r, "paid", _l("Compensation paid (yuan)"), YUAN, lambda f: f.compensation_yuan(CompensationStatus.PAID),
             {"compensation": "paid"}),
    ]
    for s in CompensationStatus:
        if s != CompensationStatus.PAID:
            compensation.append(_row(r, f"{s.value}_yuan", _l("%(status)s (yuan)", status=label(s)), YUAN,
                                     lambda f, s=s: f.compensation_yuan(s), {"compensation": s.value}))
    voice = {"voice": "1"}
    voices = [
        _row(r, "followed_up", _l("Follow-ups with the customer's scores"), COUNT, lambda f: f.voice_count, voice),
        _row(r, "expectation", _l("Mean expectation (1 to 5)"), MEAN, lambda f: f.mean_expectation, voice),
        _row(r, "perception", _l("Mean perception (1 to 5)"), MEAN, lambda f: f.mean_perception, voice),
        _row(r, "gap", _l("Gap: perception minus expectation"), MEAN, lambda f: f.gap, voice),
    ]
    repeat = [_row(r, "repeat_complainants", _l("Repeat complainants"), COUNT, lambda f: f.repeat_complainants, None)]
    return [
        Section("kinds", str(_l("Tickets logged by kind")), kinds),
        Section("categories", str(_l("What went wrong")), categories),
        Section("channels", str(_l("Channels")), channels),
        Section("root_causes", str(_l("Root causes of substantiated tickets")), causes),
        Section("appeals", str(_l("Regulator appeals")), appeals,
                note=str(_l("Per million items handled in the period's months, as entered on the volumes page."))),
        Section("replies", str(_l("Replies to complaints")), replies,
                note=str(_l("Within 7 working days (an appeal: by the regulator's date). Not yet due: left out of "
                            "the percentage."))),
        Section("sla", str(_l("Stage deadlines")), sla),
        Section("compensation", str(_l("Compensation")), compensation),
        Section("voice", str(_l("The customers' expectation and perception")), voices),
        Section("repeat", str(_l("Repeat complainants")), repeat,
                note=str(_l("The same phone with a complaint in the period and another in the period or the "
                            "90 days before it, at these offices."))),
    ]


def ticket_args(report: Report, column: int, filters: dict[str, str]) -> dict[str, str]:
    """The /tickets query that lists the tickets behind a figure of ``column`` (0 this period, 1 the
    previous, 2 last year): the unit, the period's dates (logged from, to), the row's filters."""
    figures = report.columns[column]
    unit = report.unit
    return {("office" if unit.kind == "office" else "region"): unit.code,
            **figures.period.logged_args, **filters}


def as_json_value(row: Row, value: Value) -> Any:
    if value is None:
        return None
    if row.kind == YUAN:
        return f"{value:.2f}"  # exact decimals, as the rest of the API gives money
    return value
