"""Random sequences of events by random people: the ticket always does what the table says.

A hypothesis RuleBasedStateMachine fires events through the same operation the web and
the API call, with random actors (two offices, every role), random mostly-valid inputs
and sometimes a stale version. After each step it checks the state against the table,
that a refusal changed nothing, one history event per accepted transition, and a version
that only grows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from complaints.domain import (
    COMPENSABLE,
    OPEN_STATES,
    Category,
    CompensationStatus,
    Contact,
    ContactMethod,
    ContactOutcome,
    Finding,
    Kind,
    RejectReason,
    RootCause,
    Severity,
    State,
    Verdict,
)
from complaints.errors import Conflict, DomainError, Forbidden, InvalidInput
from complaints.extensions import db
from complaints.models import Ticket
from complaints.tickets.operations import fire_event, log_ticket
from complaints.workflow import BY_EVENT, EVENTS, events_from, role_may, window_open
from tests.conftest import complaint_body

ACTORS = ("clerk_a", "clerk_a2", "sup_a", "admin", "clerk_b", "sup_b")


# Mostly what may be compensated (delay, loss, damage), so that compensations are stated and run their course.
CATEGORIES = [Category.DELAY, Category.LOSS, Category.DAMAGE] * 3 + list(Category)
OFFERS = ["120.50", "2000.01", "2000", "9999.99"]  # the cap is 2000 yuan: above it only an admin approves


def inputs_for(event: str, w, draw, ticket, original: str) -> dict:  # noqa: ANN001
    """Mostly valid input for an event on this ticket, sometimes a broken one."""
    if event == "triage":
        data = {"severity": draw(st.sampled_from(list(Severity))).value,
                # mostly the clerk's choice confirmed (it is mostly compensable, see CATEGORIES)
                "category": draw(st.sampled_from([ticket.category] * 3 + list(Category))).value,
                "assignee": draw(st.sampled_from([w.sup_a.email, w.admin.email, w.clerk_a2.email]))}
    elif event == "reject":
        data = {"reason": draw(st.sampled_from([RejectReason.INVALID, RejectReason.OUT_OF_SCOPE])).value}
    elif event in ("request_info", "info_received"):
        data = {"note": draw(st.sampled_from(["请提供收据", "客户已回电", "<script>x</script>", "a" * 2000]))}
    elif event == "resolve":
        # Mostly substantiated where a compensation may be stated: it then has a course to run.
        findings = [Finding.SUBSTANTIATED] * 3 + [Finding.UNFOUNDED] if ticket.compensation_open else list(Finding)
        finding = draw(st.sampled_from(findings))
        data = {"outcome": "已处理，感谢您的反馈。", "resolution": "已向客户致歉", "finding": finding.value}
        if finding == Finding.SUBSTANTIATED:
            data["root_cause"] = draw(st.sampled_from(list(RootCause))).value
            if data["root_cause"] != RootCause.HARDWARE and draw(st.booleans()):
                data["attributed_clerk"] = w.clerk_a.email
            if ticket.compensation_open:
                data.update(claimed_amount="300.00", offered_amount=draw(st.sampled_from(OFFERS)),
                            compensation_basis=draw(st.sampled_from(["insured", "uninsured", "goodwill"])))
        if ticket.is_appeal:
            data.update(regulator_reply="已向申诉中心书面答复", regulator_replied_on="2026-11-22")
    elif event == "verify_commendation":
        data = {"clerk": draw(st.sampled_from([w.clerk_a.email, w.clerk_a2.email, w.clerk_b.email]))}
        if draw(st.booleans()):
            data["note"] = "已核实客户来信"
    elif event == "record_verdict":
        data = {"verdict": draw(st.sampled_from(list(Verdict))).value}
    elif event == "link_appeal":
        data = {"original": original}
    elif event in ("approve_compensation", "approve_compensation_over_cap"):
        data = {}
    elif event == "pay_compensation":
        data = {"paid_on": "2026-11-22", "payment_ref": "ZF-20261122-01"}
    elif event == "refuse_compensation":
        data = {"reason": "客户放弃索赔"}
    elif event == "add_note":
        data = {"note": draw(st.sampled_from(["已联系网点核实", "<b>x</b>"]))}
    elif event == "contact_customer":
        data = {"how": draw(st.sampled_from(list(ContactMethod))).value,
                "outcome": draw(st.sampled_from(list(ContactOutcome))).value, "summary": "已告知处理进度"}
    elif event == "reassign":
        data = {"assignee": draw(st.sampled_from([w.sup_a.email, w.clerk_a.email, w.admin.email])),
                "reason": "换人跟进"}
    elif event == "follow_up":
        if draw(st.booleans()):
            data = {"contact": Contact.REACHED.value, "expectation": draw(st.integers(1, 5)),
                    "perception": draw(st.integers(1, 5)), "satisfied": draw(st.booleans())}
        else:
            data = {"contact": Contact.UNREACHABLE.value}
    else:  # reopen
        data = {"reason": "客户再次投诉"}
    breakage = draw(st.sampled_from(["none"] * 6 + ["drop", "junk", "extra"]))
    if breakage == "drop" and data:
        data.pop(draw(st.sampled_from(sorted(data))))
    elif breakage == "junk" and data:
        data[draw(st.sampled_from(sorted(data)))] = draw(st.sampled_from([[], {}, "no-such-value", 10**9]))
    elif breakage == "extra":
        data["colour"] = "red"
    return data


def test_random_event_sequences_follow_the_table(app, world):
    w = world
    start = datetime(2026, 11, 23, 1, tzinfo=UTC)
    seen: Counter[str] = Counter()  # what the run exercised, checked at the end

    class Workflow(RuleBasedStateMachine):
        @initialize(data=st.data())
        def log(self, data) -> None:  # noqa: ANN001
            db.session.rollback()
            self.now = start
            office = "SH-0101"
            # The complaint an appeal may escalate (the same customer phone), then the ticket walked.
            self.original = log_ticket(w.clerk_a, complaint_body(office, occurred_at="2026-11-21T10:00:00+08:00"),
                                       now=self.now).ref
            # Now and then a commendation (表扬), walked by its own rows (verify or reject) and no others.
            kind = data.draw(st.sampled_from([Kind.COMPLAINT] * 3 + [Kind.COMMENDATION]))
            appeal = kind == Kind.COMPLAINT and data.draw(st.sampled_from([True, True, False]))
            extra = {"channel": "regulator", "regulator_case": "SS-2026-0042"} if appeal else {}
            if kind != Kind.COMMENDATION:  # praise names no category (nothing went wrong)
                extra["category"] = data.draw(st.sampled_from(CATEGORIES)).value
            self.ticket = log_ticket(w.clerk_a, complaint_body(office, occurred_at="2026-11-22T10:00:00+08:00",
                                                               kind=kind.value, **extra),
                                     now=self.now)
            db.session.commit()
            self.accepted = 0
            # Walks are often short: some start from a triaged ticket, or from one resolved with its
            # compensation stated (offers on both sides of the cap), so that the later rows get their turn.
            head = data.draw(st.sampled_from(["new", "new", "new", "triaged", "resolved", "resolved"]))
            if kind == Kind.COMMENDATION:
                head = "new"  # its only row forward is verify_commendation
            if head != "new":
                self._setup("triage", {"severity": "low", "category": self.ticket.category.value,
                                       "assignee": w.sup_a.email})
            if head == "resolved":
                resolve = {"outcome": "已处理", "resolution": "已查实", "finding": "substantiated",
                           "root_cause": "responsibility"}
                if self.ticket.compensation_open:
                    resolve.update(claimed_amount="3000", offered_amount=data.draw(st.sampled_from(OFFERS)),
                                   compensation_basis="insured")
                if self.ticket.is_appeal:
                    resolve.update(regulator_reply="已答复", regulator_replied_on="2026-11-22")
                self._setup("resolve", resolve)
            self.version = self.ticket.version

        def _setup(self, event: str, raw: dict) -> None:
            fire_event(self.ticket, w.sup_a, event, raw, version=self.ticket.version, now=self.now)
            db.session.commit()
            self.accepted += 1

        @rule(data=st.data(), aim=st.sampled_from(["allowed"] * 3 + ["any"]),
              stale=st.sampled_from([False] * 5 + [True]), days=st.sampled_from([0] * 6 + [1, 31]))
        def fire(self, data, aim: str, stale: bool, days: int) -> None:  # noqa: ANN001
            self.now += timedelta(days=days, minutes=5)
            ticket = self.ticket
            # Mostly aim at what the table allows from here (else little would be accepted).
            if aim == "allowed" and events_from(ticket.state):
                # Mostly the events that move the ticket on: notes and contacts are allowed everywhere
                # and would otherwise keep most walks from ever reaching a follow-up.
                allowed = [t for t in events_from(ticket.state) if t.applies(ticket)]
                # Forward (triage, resolve) twice as often as aside (reject, request_info): walks reach a
                # resolve, and with it a compensation to approve, pay or refuse.
                moving = [t for t in allowed if not t.keeps_state]
                moving += [t for t in moving if t.event in ("triage", "resolve")] * 2
                # The appeal's and the compensation's events (rows with a ticket condition) now and then,
                # a compensation's approval and payment more often than its refusal, which ends its course.
                casework = [t for t in allowed if t.ticket_when]
                casework += [t for t in casework if t.event != "refuse_compensation"]
                # While a compensation runs its course, mostly its events: walks are often short.
                running = ticket.compensation_status in (CompensationStatus.OFFERED, CompensationStatus.OVER_CAP,
                                                         CompensationStatus.APPROVED)
                aim_at = data.draw(st.sampled_from(["moving"] * 3 + ["casework"] * (6 if running else 3) + ["any"]))
                pool = (moving if aim_at == "moving" and moving else casework if aim_at == "casework" and casework
                        else allowed)
                t = data.draw(st.sampled_from(pool))
                who = data.draw(st.sampled_from([n for n in ACTORS[:4] if getattr(w, n).role in t.roles]))
            else:
                t = BY_EVENT[data.draw(st.sampled_from(EVENTS))]
                who = data.draw(st.sampled_from(ACTORS))
            event, actor = t.event, getattr(w, who)
            before = (ticket.state, ticket.version, len(ticket.events), ticket.severity, ticket.finding,
                      ticket.assignee_id, ticket.closed_at, ticket.compensation_status, ticket.verdict,
                      ticket.appeal_of_id)
            applies = t.applies(ticket)
            clocks_before = [(d.id, d.clock, d.ended_at, d.running_since) for d in ticket.deadlines]
            version = ticket.version - 1 if stale and ticket.version > 1 else ticket.version
            raw = inputs_for(event, w, data.draw, ticket, self.original)
            in_scope = ticket.office_id in actor.office_ids or actor.role.value == "admin"
            try:
                fire_event(ticket, actor, event, raw, version=version, now=self.now)
            except DomainError as exc:
                db.session.rollback()
                db.session.expire_all()
                after = (ticket.state, ticket.version, len(ticket.events), ticket.severity, ticket.finding,
                         ticket.assignee_id, ticket.closed_at, ticket.compensation_status, ticket.verdict,
                         ticket.appeal_of_id)
                assert after == before, "a refused event changed the ticket"
                # The refusal is the one the table and the rules call for, checked in this order.
                if not in_scope or not role_may(t, actor):
                    assert isinstance(exc, Forbidden), exc
                elif version != before[1]:
                    assert isinstance(exc, Conflict), exc
                elif before[0] not in t.sources or not window_open(t, ticket, self.now) or not applies:
                    assert isinstance(exc, Conflict) and exc.extra.get("state") == before[0].value, exc
                else:
                    assert isinstance(exc, InvalidInput), exc
                seen[type(exc).__name__] += 1
                return
            db.session.commit()
            # Accepted: everything that must allow it did.
            assert in_scope and role_may(t, actor) and version == before[1]
            assert before[0] in t.sources and applies
            self.accepted += 1
            seen[event] += 1
            expected = t.target_for({"satisfied": raw.get("satisfied")}, before[0])
            assert ticket.state == expected, (event, raw, ticket.state)
            if t.keeps_state:  # a note, a contact, a reassignment: the stage clocks do not move
                clocks_after = [(d.id, d.clock, d.ended_at, d.running_since) for d in ticket.deadlines]
                assert [c for c in clocks_after if c[1] != "reply"] == [c for c in clocks_before if c[1] != "reply"]
                if event != "contact_customer":  # reaching the customer after resolution ends the reply clock
                    assert clocks_after == clocks_before
            # Hardware as the root cause: nobody at the counter is at fault.
            assert not (ticket.root_cause == "hardware" and ticket.attributed_clerk_id is not None)
            # Appeals and compensation: what each event leaves behind, and only where the table allows it.
            assert ticket.verdict is None or ticket.is_appeal
            assert ticket.appeal_of_id is None or ticket.is_appeal
            assert ticket.compensation is None or ticket.category in COMPENSABLE
            after_comp = {"approve_compensation": CompensationStatus.APPROVED,
                          "approve_compensation_over_cap": CompensationStatus.APPROVED,
                          "pay_compensation": CompensationStatus.PAID,
                          "refuse_compensation": CompensationStatus.REFUSED}
            if event in after_comp:
                assert ticket.compensation_status == after_comp[event]
            if event == "approve_compensation_over_cap":
                assert before[7] == CompensationStatus.OVER_CAP and actor.role.value == "admin"
            if event == "resolve" and "offered_amount" in raw:
                over = Decimal(raw["offered_amount"]) > Decimal("2000")
                assert ticket.compensation_status == (CompensationStatus.OVER_CAP if over else
                                                      CompensationStatus.OFFERED)
                assert ticket.compensation.offered == Decimal(raw["offered_amount"])
            if event == "record_verdict":
                assert ticket.verdict == raw["verdict"] and before[8] is None
            if event == "link_appeal":
                assert ticket.appeal_of.ref == self.original
            if ticket.kind == Kind.COMMENDATION:  # praise: never triaged, judged, compensated or clocked
                assert (ticket.severity, ticket.finding, ticket.compensation) == (None, None, None)
                assert ticket.deadlines == []
                assert ticket.state in (State.NEW, State.CLOSED, State.REJECTED)
                assert (ticket.attributed_clerk_id is not None) == (ticket.state == State.CLOSED)
            assert ticket.version == before[1] + 1
            last = ticket.events[-1]
            assert (last.event, last.from_state, last.to_state, last.actor_id) == (event, before[0], expected,
                                                                                   actor.id)

        @invariant()
        def history_matches(self) -> None:
            if not hasattr(self, "ticket"):
                return
            fresh = db.session.get(Ticket, self.ticket.id)
            assert len(fresh.events) == self.accepted + 1  # plus the log event
            assert [e.seq for e in fresh.events] == list(range(1, self.accepted + 2))
            assert fresh.events[-1].to_state == fresh.state
            # Every clock is filed under the ticket's office (region figures count clocks by it), and a
            # ticket runs at most one stage clock, only while open (the dashboards count them so).
            assert {d.office_id for d in fresh.deadlines} <= {fresh.office_id}
            running = [d for d in fresh.deadlines if d.ended_at is None and d.clock != "reply"]
            assert len(running) <= 1 and (not running or fresh.state in OPEN_STATES)
            assert fresh.version >= self.version
            self.version = fresh.version

    run_state_machine_as_test(Workflow, settings=settings(
        max_examples=100, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))
    # The run reached every event and every kind of refusal (else it proved little).
    missing = [name for name in (*EVENTS, "Forbidden", "Conflict", "InvalidInput") if not seen[name]]
    assert not missing, (missing, seen)
