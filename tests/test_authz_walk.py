"""Every route, web and API, for every role and for people of another office.

The table below names, for each endpoint, what each person gets. A route added without
a line here fails the first test, so nothing escapes the walk.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from complaints.extensions import db
from complaints.models import Attachment, Office, Ticket, User
from complaints.scorecards import months
from tests.conftest import complaint_body

PEOPLE = ("anon", "clerk_a", "sup_a", "admin", "clerk_b", "sup_b")
WEB_ANON = 302  # web pages send strangers to the sign-in page
API_ANON = 401

# endpoint -> (method, path template, body, {person: status}); {T} is a ticket of office A,
# {U} a clerk of office A (id for the web, email for the API). Missing people get `other`.
ADMIN_ONLY = {"anon": WEB_ANON, "admin": 200, "other": 403}
ADMIN_ONLY_POST = {"anon": WEB_ANON, "admin": 302, "other": 403}
API_ADMIN_ONLY = {"anon": API_ANON, "admin": 200, "other": 403}
TRIAGE = {"event": "triage", "version": 1, "severity": "low", "category": "counter", "assignee": "sup.a@example.com"}
FILE = {"__file__": True}  # a multipart upload of a small PNG (field `files` on the web, `file` in the API)
SLA = {"triage_minutes": 30, "resolve_minutes": 60, "follow_up_minutes": 60, "escalate_after_minutes": 0,
       "calendar": "business"}
# An improvement action reviewed two months from now (the office's zone).
ACTION = {"factor": "skill", "action": "training", "description": "岗位练兵",
          "review_month": months.shift(months.current(datetime.now(UTC), "Asia/Shanghai"), 2)}

ROUTES: dict[str, tuple[str, str, dict | None, dict[str, int]]] = {
    "tickets.home": ("GET", "/", None, {"anon": WEB_ANON, "other": 200}),
    "tickets.queue": ("GET", "/tickets", None, {"anon": WEB_ANON, "other": 200}),
    "tickets.new": ("GET", "/tickets/new", None, {"anon": WEB_ANON, "other": 200}),
    "tickets.slip": ("GET", "/tickets/{T}/slip", None, {"anon": WEB_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "public.status": ("GET", "/status", None, {"other": 200}),
    "public.language": ("POST", "/status/language", {"locale": "en"}, {"other": 303}),
    "health.healthz": ("GET", "/healthz", None, {"other": 200}),
    "tickets.search": ("GET", "/search", None, {"anon": WEB_ANON, "other": 200}),
    "tickets.export_csv": ("GET", "/tickets/export.csv", None, {"anon": WEB_ANON, "other": 200}),
    "tickets.detail": ("GET", "/tickets/{T}", None,
                       {"anon": WEB_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    # A clerk may not triage: the page sends them back to the ticket with a message.
    "tickets.fire": ("GET", "/tickets/{T}/events/triage", None,
                     {"anon": WEB_ANON, "clerk_a": 302, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "auth.login": ("GET", "/login", None, {"anon": 200, "other": 302}),  # signed in: on to the queue
    "auth.logout": ("POST", "/logout", {}, {"other": 302}),
    "auth.account": ("GET", "/account", None, {"anon": WEB_ANON, "other": 200}),
    # Nobody's token 999: the same 404 whether it is another user's or does not exist.
    "auth.revoke_own_token": ("POST", "/account/tokens/999/revoke", {}, {"anon": WEB_ANON, "other": 404}),
    "admin.offices": ("GET", "/admin/offices", None, ADMIN_ONLY),
    "admin.office_new": ("GET", "/admin/offices/new", None, ADMIN_ONLY),
    "admin.office_edit": ("GET", "/admin/offices/SH-0101", None, ADMIN_ONLY),
    "admin.users": ("GET", "/admin/users", None, ADMIN_ONLY),
    "admin.user_new": ("GET", "/admin/users/new", None, ADMIN_ONLY),
    "admin.user_edit": ("GET", "/admin/users/{U}", None, ADMIN_ONLY),
    "admin.user_reset_password": ("POST", "/admin/users/{U}/password", {"password": "new-password-1"},
                                  {"anon": WEB_ANON, "admin": 200, "other": 403}),
    "admin.user_toggle_active": ("POST", "/admin/users/{U}/active", {}, ADMIN_ONLY_POST),
    "admin.user_revoke_tokens": ("POST", "/admin/users/{U}/tokens/revoke", {}, ADMIN_ONLY_POST),
    "sla.policies": ("GET", "/admin/sla", None, ADMIN_ONLY),
    "sla.policy_edit": ("GET", "/admin/sla/complaint/low", None, ADMIN_ONLY),
    "sla.reply_policies": ("GET", "/admin/reply-policies", None, ADMIN_ONLY),
    "sla.reply_policy_edit": ("GET", "/admin/reply-policies/complaint/counter", None, ADMIN_ONLY),
    "sla.calendar": ("GET", "/admin/offices/SH-0101/calendar", None, ADMIN_ONLY),
    "sla.import_holidays": ("POST", "/admin/offices/SH-0101/holidays/import", {"import-text": "2027-01-01"},
                            ADMIN_ONLY_POST),
    "sla.outbox": ("GET", "/admin/outbox", None, ADMIN_ONLY),
    "sla.outbox_retry": ("POST", "/admin/outbox/999/retry", {}, ADMIN_ONLY_POST),
    "customers.templates": ("GET", "/admin/customer-messages", None, ADMIN_ONLY),
    "scorecards.office_month": ("GET", "/scorecards?office=SH-0101&month=2026-10", None,
                                {"anon": WEB_ANON, "clerk_a": 302, "clerk_b": 302, "sup_b": 403, "other": 200}),
    "scorecards.assess": ("GET", "/scorecards/assess?office=SH-0101&month=2026-10", None,
                          {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "scorecards.clerk_card": ("GET", "/scorecards/clerk/{U}?month=2026-10", None,
                              {"anon": WEB_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "scorecards.export_csv": ("GET", "/scorecards/export.csv?office=SH-0101&month=2026-10", None,
                              {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "scorecards.weights": ("GET", "/admin/scoring", None, ADMIN_ONLY),
    # A region's scorecards: admins and supervisors covering every office of it (SH-R holds office A only).
    "scorecards.region_card": ("GET", "/scorecards/region/SH-R?month=2026-10", None,
                               {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "scorecards.region_csv": ("GET", "/scorecards/region/SH-R.csv?month=2026-10", None,
                              {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "scorecards.region_clerks_csv": ("GET", "/scorecards/region/SH-R/clerks.csv?month=2026-10", None,
                                     {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "api.scorecards": ("GET", "/api/v1/scorecards?office=SH-0101&month=2026-10", None,
                       {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    # A month's compensation and appeals per office: scoped as the scorecards (clerks their own office).
    "api.compensation_totals": ("GET", "/api/v1/compensation?office=SH-0101&month=2026-10", None,
                                {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "api.appeal_counts": ("GET", "/api/v1/appeals?office=SH-0101&month=2026-10", None,
                          {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    # Volumes: supervisors their offices, admins all, clerks none. The import without a file is a 422.
    "volumes.grid": ("GET", "/volumes?year=2026", None, {"anon": WEB_ANON, "sup_a": 200, "sup_b": 200,
                                                        "admin": 200, "other": 403}),
    "volumes.import_csv": ("POST", "/volumes/import", {}, {"anon": WEB_ANON, "sup_a": 422, "sup_b": 422,
                                                           "admin": 422, "other": 403}),
    "volumes.export_csv": ("GET", "/volumes/export.csv?year=2026", None,
                           {"anon": WEB_ANON, "sup_a": 200, "sup_b": 200, "admin": 200, "other": 403}),
    "api.list_volumes": ("GET", "/api/v1/volumes?month=2026-10&office=SH-0101", None,
                         {"anon": API_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "api.put_volume": ("PUT", "/api/v1/volumes/SH-0101/2026-10", {"items": 1000},
                       {"anon": API_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    # Improvement actions: recorded by supervisors of the clerk's office and admins; listed for those covering
    # the office (a clerk their own); withdrawing one that does not exist is a 404 for everyone signed in.
    "improvement.record": ("POST", "/scorecards/clerk/{U}/actions", {f"action-{k}": v for k, v in ACTION.items()},
                           {"anon": WEB_ANON, "sup_a": 302, "admin": 302, "other": 403}),
    "improvement.withdraw": ("POST", "/scorecards/actions/999999/withdraw", {}, {"anon": WEB_ANON, "other": 404}),
    "api.list_improvement_actions": ("GET", "/api/v1/improvement-actions?office=SH-0101", None,
                                     {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "api.create_improvement_action": ("POST", "/api/v1/improvement-actions", {"clerk": "clerk.a@example.com", **ACTION},
                                      {"anon": API_ANON, "sup_a": 201, "admin": 201, "other": 403}),
    # Reports: supervisors a unit all of whose offices they cover, admins every unit, clerks none.
    "reports.report": ("GET", "/reports?region=SH-0101&period=2026-10", None,
                       {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "reports.export_xlsx": ("GET", "/reports/export.xlsx?region=SH-0101&period=2026-10", None,
                            {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "reports.stylesheet": ("GET", "/reports/report.css", None, {"other": 200}),
    "api.report": ("GET", "/api/v1/reports?region=SH-0101&period=2026-10", None,
                   {"anon": API_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    # Regions: SH-R holds office A (set up by the walk); nobody in the walk is assigned to it, and sup_a,
    # covering office A, covers all of it (the rule of its report and scorecard).
    "regions.index": ("GET", "/regions", None, {"anon": WEB_ANON, "sup_a": 200, "sup_b": 200, "admin": 200,
                                                 "other": 403}),
    "regions.show": ("GET", "/regions/SH-R", None, {"anon": WEB_ANON, "sup_a": 200, "admin": 200, "other": 403}),
    "regions_admin.admin_tree": ("GET", "/admin/regions", None, ADMIN_ONLY),
    "regions_admin.admin_import": ("POST", "/admin/regions/import", {}, {"anon": WEB_ANON, "admin": 422,
                                                                         "other": 403}),
    "regions_admin.admin_export": ("GET", "/admin/regions/export.csv", None, ADMIN_ONLY),
    "regions_admin.admin_edit": ("GET", "/admin/regions/SH-R", None, ADMIN_ONLY),
    "regions_admin.admin_delete": ("POST", "/admin/regions/NO-SUCH/delete", {}, {"anon": WEB_ANON, "admin": 404,
                                                                                "other": 403}),
    "api.list_regions": ("GET", "/api/v1/regions", None, {"anon": API_ANON, "sup_a": 200, "sup_b": 200,
                                                          "admin": 200, "other": 403}),
    "api.create_region": ("POST", "/api/v1/regions", {"code": "SH-NEW", "name": "新区", "parent": "SH-R"},
                          {"anon": API_ANON, "admin": 201, "other": 403}),
    "api.get_region": ("GET", "/api/v1/regions/SH-R", None, {"anon": API_ANON, "sup_a": 200, "admin": 200,
                                                             "other": 403}),
    "api.patch_region": ("PATCH", "/api/v1/regions/SH-R", {"name": "上海市"},
                         {"anon": API_ANON, "admin": 200, "other": 403}),
    "api.openapi": ("GET", "/api/v1/openapi.json", None, {"other": 200}),
    "api.workflow": ("GET", "/api/v1/workflow", None, {"anon": API_ANON, "other": 200}),
    "api.list_tickets": ("GET", "/api/v1/tickets", None, {"anon": API_ANON, "other": 200}),
    "api.create_ticket": ("POST", "/api/v1/tickets", complaint_body("SH-0101"),
                          {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 201}),
    "api.get_ticket": ("GET", "/api/v1/tickets/{T}", None,
                       {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "api.fire": ("POST", "/api/v1/tickets/{T}/events", TRIAGE,
                 {"anon": API_ANON, "clerk_a": 403, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "api.list_offices": ("GET", "/api/v1/offices", None, {"anon": API_ANON, "other": 200}),
    "api.create_office": ("POST", "/api/v1/offices", {"code": "GZ-0301", "name": "广州天河营业部"},
                          {"anon": API_ANON, "admin": 201, "other": 403}),
    "api.get_office": ("GET", "/api/v1/offices/SH-0101", None,
                       {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "api.patch_office": ("PATCH", "/api/v1/offices/SH-0101", {"name": "徐汇"}, API_ADMIN_ONLY),
    "api.list_users": ("GET", "/api/v1/users", None, API_ADMIN_ONLY),
    "api.create_user": ("POST", "/api/v1/users",
                        {"email": "new.clerk@example.com", "name": "新人", "role": "clerk", "offices": ["SH-0101"],
                         "password": "long-enough-1"}, {"anon": API_ANON, "admin": 201, "other": 403}),
    "api.get_user": ("GET", "/api/v1/users/{U}", None, {"anon": API_ANON, "admin": 200, "clerk_a": 200,
                                                          "other": 403}),
    "api.patch_user": ("PATCH", "/api/v1/users/{U}", {"name": "王芳芳"}, API_ADMIN_ONLY),
    "api.reset_user_password": ("POST", "/api/v1/users/{U}/password", {"password": "another-pass-1"},
                                API_ADMIN_ONLY),
    "api.revoke_user_tokens": ("POST", "/api/v1/users/{U}/tokens/revoke", {}, API_ADMIN_ONLY),
    "api.list_sla_policies": ("GET", "/api/v1/sla-policies", None, API_ADMIN_ONLY),
    "api.get_sla_policy": ("GET", "/api/v1/sla-policies/complaint/low", None, API_ADMIN_ONLY),
    "api.put_sla_policy": ("PUT", "/api/v1/sla-policies/complaint/low", SLA, API_ADMIN_ONLY),
    "api.get_reply_policy": ("GET", "/api/v1/reply-policies/complaint/counter", None, API_ADMIN_ONLY),
    "api.put_reply_policy": ("PUT", "/api/v1/reply-policies/complaint/counter",
                             {"days": 5, "escalate_after_days": 1}, API_ADMIN_ONLY),
    # Evidence: {A} is a photo attached to the ticket {T}.
    "files.upload": ("POST", "/tickets/{T}/attachments", FILE,
                     {"anon": WEB_ANON, "clerk_b": 403, "sup_b": 403, "other": 302}),
    "files.download": ("GET", "/tickets/{T}/attachments/{A}", None,
                       {"anon": WEB_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "files.thumbnail": ("GET", "/tickets/{T}/attachments/{A}/thumbnail", None,
                        {"anon": WEB_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
    "files.redact": ("POST", "/tickets/{T}/attachments/{A}/redact", {"reason": "照片含客户身份证号"},
                     {"anon": WEB_ANON, "admin": 302, "other": 403}),
    "api.upload_attachment": ("POST", "/api/v1/tickets/{T}/attachments", FILE,
                              {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 201}),
    "api.get_attachment": ("GET", "/api/v1/tickets/{T}/attachments/{A}", None,
                           {"anon": API_ANON, "clerk_b": 403, "sup_b": 403, "other": 200}),
}


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 60)).save(buf, "PNG")
    return buf.getvalue()


def _photo_of(ticket, world) -> int:  # noqa: ANN001
    import io
    from datetime import UTC, datetime

    from complaints.files.operations import attach

    att = attach(ticket, world.clerk_a, io.BytesIO(_png()), "photo.png", now=datetime.now(UTC))
    db.session.commit()
    return att.id


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(ROUTES), {"missing": endpoints - set(ROUTES), "stale": set(ROUTES) - endpoints}


def _state(world) -> tuple:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(Ticket)),
        db.session.scalar(select(func.max(Ticket.version))),
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Office)),
        db.session.get(User, world.clerk_a.id).password_hash,
        db.session.get(User, world.clerk_a.id).active,
        db.session.get(Office, world.office_a.id).name,
        db.session.scalar(select(func.count()).select_from(Attachment)),
        db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.redacted_at.is_not(None))),
    )


@pytest.mark.parametrize("person", PEOPLE)
def test_every_route_answers_each_person_as_the_table_says(app, world, login, token_for, make_ticket, person):
    user = None if person == "anon" else getattr(world, person)
    web = login(user) if user is not None else app.test_client()
    api_headers = token_for(user) if user is not None else {}
    clerk_id, clerk_email = world.clerk_a.id, world.clerk_a.email
    from complaints.regions.tree import add_region

    world.office_a.region_id = add_region("SH-R", "上海", None).id
    db.session.commit()
    wrong = []
    for endpoint in sorted(ROUTES):
        method, template, body, expected = ROUTES[endpoint]
        ticket = make_ticket()
        is_api = template.startswith("/api/")
        path = template.replace("{T}", ticket.ref).replace("{U}", clerk_email if is_api else str(clerk_id))
        if "{A}" in path:
            path = path.replace("{A}", str(_photo_of(ticket, world)))
        before = _state(world)
        kwargs = {}
        if body is FILE:
            import io

            kwargs = {"data": {"file" if is_api else "files": (io.BytesIO(_png()), "p.png")},
                      "content_type": "multipart/form-data"}
        elif body is not None:
            kwargs = {"json": body} if is_api else {"data": body}
        client = app.test_client() if is_api else web
        resp = client.open(path, method=method, headers=api_headers if is_api else {}, **kwargs)
        if endpoint == "auth.logout" and user is not None:
            web = login(user)  # sign in again for the rest of the walk
        want = expected.get(person, expected.get("other"))
        text = resp.get_data().decode("utf-8", "replace")  # a served photo is not text
        if resp.status_code != want:
            wrong.append((endpoint, resp.status_code, want, text[:200]))
            continue
        if want in (401, 403, 404) or (person == "anon" and not is_api and want == WEB_ANON):
            if _state(world) != before:
                wrong.append((endpoint, "refused but changed something"))
            if person == "anon" and not is_api and want == WEB_ANON and endpoint != "auth.logout":
                assert "/login" in resp.headers["Location"], endpoint
            if is_api and "error" not in resp.get_json():
                wrong.append((endpoint, "no error message"))
            if ticket.description in text:
                wrong.append((endpoint, "the refusal shows the ticket"))
    assert not wrong, wrong
