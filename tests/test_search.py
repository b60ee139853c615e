"""Search by reference, customer name, phone digits or Chinese words, within the user's offices."""

from __future__ import annotations

import pytest

from complaints.search.query import search
from complaints.search.terms import index_terms, query_terms, terms


def test_chinese_text_is_cut_into_pairs_and_words():
    assert terms("营业员态度生硬") == {"营业", "业员", "员态", "态度", "度生", "生硬"}
    assert terms("ATM 机 error42 x") == {"atm", "error42"}
    assert query_terms("态度") == ["态度"]
    assert query_terms("王") == []  # a lone character narrows nothing by itself
    assert "tel:5678" in index_terms("描述", "王先生", "+86 138-1234-5678")


@pytest.fixture
def tickets(world, make_ticket):
    return {
        "rude": make_ticket(description="营业员态度生硬，客户等候过久。", customer_name="王先生",
                            customer_phone="13812345678"),
        "attitude2": make_ticket(description="服务态度很好但效率低", customer_name="李女士",
                                 customer_phone="13900001111"),
        "postage": make_ticket(kind="error", description="Wrong postage on parcel 邮资错误", customer_name=None,
                               customer_phone=None),
        "other_office": make_ticket(actor=world.clerk_b, office="SH-0102", description="态度冷淡",
                                    customer_name="王先生", customer_phone="13812345678"),
    }


def refs(results) -> set[str]:
    return {t.ref for t in results.tickets}


def test_a_two_character_word_finds_every_description_containing_it(world, tickets):
    assert refs(search(world.sup_a, "态度")) == {tickets["rude"].ref, tickets["attitude2"].ref}
    assert refs(search(world.sup_a, "态度生硬")) == {tickets["rude"].ref}
    assert refs(search(world.sup_a, "生态")) == set()  # the pairs of 生态 are not in the text


def test_names_phone_digits_references_and_latin_words(world, tickets):
    assert refs(search(world.sup_a, "王先生")) == {tickets["rude"].ref}
    assert refs(search(world.sup_a, "5678")) == {tickets["rude"].ref}
    assert refs(search(world.sup_a, "1234-5678")) == {tickets["rude"].ref}
    assert refs(search(world.sup_a, "0000")) == set()
    assert refs(search(world.sup_a, "POSTAGE")) == {tickets["postage"].ref}
    assert refs(search(world.sup_a, tickets["rude"].ref.lower())) == {tickets["rude"].ref}
    assert search(world.sup_a, "王").kind == "too_short"


def test_results_respect_the_scope(world, tickets):
    assert tickets["other_office"].ref not in refs(search(world.sup_a, "态度"))
    assert refs(search(world.sup_b, "态度")) == {tickets["other_office"].ref}
    assert refs(search(world.sup_b, tickets["rude"].ref)) == set()
    assert len(refs(search(world.admin, "王先生"))) == 2


def test_search_page_posts_the_query_and_redirects_on_a_reference(world, login, tickets):
    client = login(world.clerk_a2)
    page = client.post("/search", data={"q": "态度"})
    assert page.status_code == 200 and tickets["rude"].ref in page.text
    # A clerk with no part in the ticket (clerk_a logged it) sees masked phones.
    assert "138****5678" in page.text and "13812345678" not in page.text
    jump = client.post("/search", data={"q": tickets["rude"].ref})
    assert jump.status_code == 302 and jump.headers["Location"].endswith(f"/tickets/{tickets['rude'].ref}")
    assert client.post("/search", data={"q": "x"}).status_code == 422
    assert client.post("/search", data={"q": "%_\\"}).status_code == 422
    assert 'role="search"' in client.get("/tickets").text  # the box is on every page


def test_the_walk_in_small_batches_finds_the_same_newest_first(world, make_ticket, monkeypatch):
    """Rounds of 2 candidates, then 8: every match in scope, newest first, the limit respected."""
    from complaints.search import query

    texts = ["包裹丢失，客户要求赔偿", "营业员态度生硬", "包裹延误", "包裹丢失"] * 5
    made = [make_ticket(actor=world.clerk_a if i % 3 else world.clerk_b, office="SH-0101" if i % 3 else "SH-0102",
                        description=text) for i, text in enumerate(texts)]
    monkeypatch.setattr(query, "FIRST_BATCH", 2)
    monkeypatch.setattr(query, "MAX_BATCH", 8)
    for user in (world.admin, world.sup_a):
        expected = [t.ref for t in reversed(made) if "包裹丢失" in t.description
                    and (user is world.admin or t.office_id == world.office_a.id)]
        assert [t.ref for t in search(user, "包裹丢失").tickets] == expected
        few = search(user, "包裹 丢失", limit=3)
        assert [t.ref for t in few.tickets] == expected[:3] and few.more
    assert search(world.admin, "丢失 延误").tickets == []


def test_a_supervisor_walks_only_their_offices_terms(world, make_ticket, monkeypatch):
    """Newer matches in another office cost a supervisor nothing: the first round of
    candidates, read off the (office, term) index, already holds their office's match."""
    from sqlalchemy import event

    from complaints.extensions import db
    from complaints.search import query

    mine = make_ticket(description="包裹丢失，客户要求赔偿")
    for _ in range(12):
        make_ticket(actor=world.clerk_b, office="SH-0102", description="包裹丢失，客户要求赔偿")
    monkeypatch.setattr(query, "FIRST_BATCH", 2)
    monkeypatch.setattr(query, "MAX_BATCH", 2)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "ORDER BY search_terms.ticket_id DESC" in statement:  # a round of candidates
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = search(world.sup_a, "包裹丢失")
        sup_rounds = len(statements)
        statements.clear()
        assert len(search(world.admin, "包裹丢失").tickets) == 13
        admin_rounds = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [t.ref for t in found.tickets] == [mine.ref]
    assert sup_rounds == 2 and admin_rounds == 14  # one round (its page, its end) against seven rounds of two


def _legacy(make_ticket, phone: str):
    """A ticket whose number was stored as typed, before phone numbers were checked."""
    from complaints.extensions import db
    from complaints.models import SearchTerm
    from complaints.search.query import index_ticket

    ticket = make_ticket(customer_phone="13000000000")
    ticket.customer_phone = phone
    db.session.query(SearchTerm).filter_by(ticket_id=ticket.id).delete()
    index_ticket(ticket)
    db.session.commit()
    return ticket


def test_a_clerk_cannot_unmask_a_phone_through_search(world, tickets, make_ticket):
    """Clerks see 138****5678: a search by phone matches only the visible last four digits or the
    whole number, never a longer suffix that would reveal the hidden digits one at a time."""
    rude = tickets["rude"].ref
    short = _legacy(make_ticket, "12345").ref  # shown as ***45: its last four are not all visible
    plus = _legacy(make_ticket, "+8613700009999").ref
    clerk = world.clerk_a2  # no part in these tickets (clerk_a logged them): masked numbers
    assert refs(search(clerk, "5678")) == {rude}
    assert refs(search(clerk, "13812345678")) == {rude}
    assert refs(search(clerk, "138-1234-5678")) == {rude}
    assert refs(search(clerk, "8613700009999")) == {plus}
    for suffix in ("45678", "345678", "2345678", "12345678", "812345678", "3812345678"):
        assert refs(search(clerk, suffix)) == set(), suffix
    assert refs(search(clerk, "2345")) == set()
    assert refs(search(clerk, "12345")) == {short}  # the whole number
    # Those who see the whole number may search any suffix of it.
    for user in (world.sup_a, world.admin):
        assert rude in refs(search(user, "2345678"))
        assert refs(search(user, "2345")) == {short}
