"""A region's scorecards: its offices' month side by side, its best and weakest clerks, and the CSV.

Routes of the ``scorecards`` blueprint (registered when views imports this module).
"""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..authz import covers_unit
from ..csvsafe import stream
from ..domain import RootCause, label
from ..models import Office, User
from ..regions import tree
from . import months, regions
from .views import bp


def _card_for(user: User, code: str) -> regions.RegionCard:
    """The unit named by ``code`` (404), if the user covers it all (403), for a valid month (422)."""
    unit = tree.find_unit(code)
    regions.require_viewer(user, unit)
    zone = current_app.config["TIMEZONE"]  # a region spans offices: the application's zone says "now"
    month = months.parse(request.args.get("month"), clock.now(), zone)
    return regions.region_card(unit, month)


def cause_label(cause: str) -> str:
    return label(RootCause(cause)) if cause != regions.UNRECORDED else _("Not recorded")


@bp.get("/scorecards/region/<code>")
@login_required
def region_card(code: str):
    card = _card_for(current_user, code)
    zone = current_app.config["TIMEZONE"]
    return render_template(
        "scorecards/region.html", card=card, unit=card.unit, month=card.month, cause_label=cause_label,
        path=tree.ancestors(card.unit.id) if card.unit.kind == "region" else [],
        prev_month=months.shift(card.month, -1),
        next_month=months.shift(card.month, 1) if card.month < months.current(clock.now(), zone) else None)


@bp.get("/scorecards/region/<code>.csv")
@login_required
def region_csv(code: str):
    card = _card_for(current_user, code)
    causes = card.causes
    header = [_("Region"), _("Month"), _("Office"), _("Office name"), _("Clerks"), _("Average total"),
              *[cause_label(c) for c in causes], _("Customer gap"), _("Follow-ups")]
    rows = ((card.unit.code, card.month, o.code, o.name, o.clerks, _blank(o.average_total),
             *[o.negatives.get(c, 0) for c in causes], _blank(o.customer_gap), o.follow_ups)
            for o in card.offices)
    filename = f"scorecard-{card.unit.code}-{card.month}.csv"
    return Response(stream(header, rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/scorecards/region/<code>/clerks.csv")
@login_required
def region_clerks_csv(code: str):
    """The page's best and weakest clerks, in the order shown."""
    card = _card_for(current_user, code)
    header = [_("Region"), _("Month"), _("List"), _("Rank"), _("Clerk"), _("Email"), _("Office"), _("Office name"),
              _("Total")]
    rows = ((card.unit.code, card.month, title, rank, c.name, c.email, c.office_code, c.office_name, c.total)
            for title, listed in ((_("Best clerks"), card.best), (_("Weakest clerks"), card.weakest))
            for rank, c in enumerate(listed, start=1))
    filename = f"scorecard-{card.unit.code}-{card.month}-clerks.csv"
    return Response(stream(header, rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.app_template_global()
def region_scorecard_url(office: Office, month: str) -> str | None:
    """The scorecard page of the office's region, for the office's page, when the user may open it."""
    if office.region is None or not current_user.is_authenticated:
        return None
    unit = tree.region_unit(office.region)
    if not covers_unit(current_user, unit):
        return None
    return url_for("scorecards.region_card", code=unit.code, month=month)


def _blank(value: float | None) -> object:
    return "" if value is None else value
