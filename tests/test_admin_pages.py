"""The admin's user list asks before it deactivates or resets, and the reset page is not kept."""

from __future__ import annotations

import re


def test_deactivate_and_reset_ask_once_more_naming_the_person(world, login):
    from complaints.extensions import db

    world.admin.locale = "en"
    db.session.commit()
    page = login(world.admin).get("/admin/users").get_data(as_text=True)
    # Every form that acts on a user sits inside a <details> that names the person first.
    forms = re.findall(r"<details class=\"confirm\">\s*<summary>[^<]+</summary>\s*<form method=\"post\" "
                       r"action=\"/admin/users/(\d+)/(active|password)\">.*?</form>\s*</details>", page, re.S)
    acts = {(int(uid), what) for uid, what in forms}
    assert (world.clerk_a.id, "active") in acts and (world.clerk_a.id, "password") in acts
    # ...and no such form stands outside one (a single click would act).
    assert len(re.findall(r'action="/admin/users/\d+/(?:active|password)"', page)) == len(forms)
    assert f"Deactivate {world.clerk_a.name}? They are signed out at once" in page


def test_the_reset_page_shows_the_password_once_and_is_not_kept(world, login):
    client = login(world.admin)
    resp = client.post(f"/admin/users/{world.clerk_a.id}/password", data={})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert re.search(r'<p class="secret"><code>[^<]{8,}</code></p>', resp.get_data(as_text=True))
