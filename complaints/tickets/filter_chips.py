"""The queue's filters that have no control of their own on the page (those the report's and the
dashboards' links set: a region, the dates logged, a root cause, a stage clock's outcome...): each is
shown as a chip that says what it keeps and links to the same queue without it, and is carried by
the filter form so that changing another filter does not drop it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from ..domain import label
from ..models import Office
from ..sla.messages import clock_label
from .queries import QueueFilters


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    kept: dict[str, str]  # the query arguments that make this filter (hidden inputs of the form)
    without: dict[str, str]  # the queue's arguments with this filter taken off


def chips(f: QueueFilters, offered: list[Office]) -> list[Chip]:
    """``offered``: the offices of the page's office select (shown when there are two or more)."""
    args = f.as_args()
    out: list[Chip] = []

    def add(text: str, value: str, *names: str) -> None:
        kept = {n: args[n] for n in names if n in args}
        if kept:
            out.append(Chip(text, value, kept, {k: v for k, v in args.items() if k not in names}))

    if f.office and (len(offered) < 2 or f.office.id not in {o.id for o in offered}):
        add(_("Office"), f"{f.office.code} {f.office.name}", "office")  # one the select does not offer
    if f.region:
        add(_("Region"), f"{f.region.code} {f.region.name}", "region")
    if f.created_from or f.created_to:
        span = f"{f.created_from.isoformat() if f.created_from else '…'} – " \
               f"{f.created_to.isoformat() if f.created_to else '…'}"
        add(_("Logged"), span, "created_from", "created_to")
    if f.cases:
        add(_("Kind"), _("Complaints and errors"), "cases")
    if f.root_cause:
        add(_("Root cause"), label(f.root_cause), "root_cause")
    if f.stage:  # which stage clock a "met" or "missed" deadline filter reads
        add(_("Stage"), clock_label(f.stage), "stage")
    if f.verdict:
        add(_("Verdict"), label(f.verdict), "verdict")
    if f.compensation:
        add(_("Compensation"), label(f.compensation), "compensation")
    if f.compensated:
        add(_("Compensation"), _("offered (not refused)"), "compensated")
    if f.appeal_late:
        add(_("Appeals"), _("past the regulator's deadline without a reply"), "appeal_late")
    if f.voice:
        add(_("Follow-up"), _("customer's scores recorded"), "voice")
    return out
