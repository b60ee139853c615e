"""/api/v1/openapi.json, built from the workflow table so that it cannot drift from it."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..domain import (
    CASE_KINDS,
    ActionKind,
    Category,
    Channel,
    CompensationBasis,
    CompensationStatus,
    Kind,
    Product,
    Role,
    RootCause,
    Severity,
    State,
    Verdict,
)
from ..scorecards.compute import FACTORS
from ..volumes.operations import MAX_ITEMS as VOLUME_MAX
from ..workflow import MAX_ITEMS, TRANSITIONS, Field, Transition, condition_text
from . import bp

ERROR = {"$ref": "#/components/schemas/Error"}
# Yuan as an exact decimal string: at most two decimals, never a float ("120.50").
MONEY_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
MONEY = {"type": "string", "pattern": MONEY_PATTERN, "example": "120.50"}
MONTH = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}


def _field_schema(f: Field) -> dict[str, Any]:
    if f.type == "choice":
        return {"type": "string", "enum": [m.value for m in f.choices]}  # type: ignore[union-attr]
    if f.type == "int":
        return {"type": "integer", "minimum": f.minimum, "maximum": f.maximum}
    if f.type == "bool":
        return {"type": "boolean"}
    if f.type == "datetime":
        return {"type": "string", "format": "date-time"}
    if f.type == "date":
        return {"type": "string", "format": "date",
                "description": "a calendar date, YYYY-MM-DD; " + (
                    "up to a year ahead" if f.future else "not in the future (the office's today)")}
    if f.type == "money":
        return {**MONEY, "description": "yuan as an exact decimal string with at most two decimals "
                                        "(120.50); not negative, at most 10,000,000"}
    if f.type == "email":
        return {"type": "string", "format": "email", "maxLength": 254}
    if f.type == "user":
        return {"type": "string", "format": "email", "description": "a user, by email"}
    if f.type == "ticket":
        return {"type": "string", "description": "a ticket reference, e.g. C-2026-000123"}
    if f.type == "office":
        return {"type": "string", "description": "an office code, e.g. SH-0101"}
    if f.type == "phone":
        return {"type": "string", "pattern": r"^\+?[0-9 -]{5,30}$"}
    if f.type == "items":
        return {"type": "array", "maxItems": MAX_ITEMS, "items": {"$ref": "#/components/schemas/PostalItem"},
                "description": "postal items; an S10 number (EA123456785CN) must carry the right check digit"}
    schema: dict[str, Any] = {"type": "string"}
    if f.max_length:
        schema["maxLength"] = f.max_length
    return schema


def _input_schema(t: Transition, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {f.name: _field_schema(f) for f in t.fields}
    required = [f.name for f in t.fields if f.required]
    if extra:
        props.update(extra)
        required += list(extra)
    notes = [
        f"`{f.name}` is required when `{f.required_when[0]}` is `{f.required_when[1]}`."
        for f in t.fields if f.required_when
    ] + [f"`{f.name}` is refused when `{f.not_when[0]}` is `{f.not_when[1]}`." for f in t.fields if f.not_when] + [
        f"`{f.name}` is refused unless `{f.only_when[0]}` is `{f.only_when[1]}`." for f in t.fields if f.only_when
    ] + [
        f"`{f.name}` is optional, with no default, when `{f.optional_when[0]}` is `{f.optional_when[1]}`."
        for f in t.fields if f.optional_when
    ] + [
        f"`{f.name}` only for tickets where {_condition(f.applies_to)} (required there unless said otherwise; "
        "elsewhere refused)." for f in t.fields if f.applies_to
    ] + [f"`{f.name}` defaults to `{f.default}`." for f in t.fields if f.default is not None]
    if t.ticket_when:
        notes.insert(0, f"Only for tickets where {condition_text(t)}.")
    target = "the same state" if t.target is None else t.target.value
    return {
        "type": "object",
        "title": t.event,
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "description": (
            f"From {', '.join(s.value for s in t.sources if s) or '(none)'} to {target}"
            f"{f' ({t.branch.target.value} when {t.branch.field} is {t.branch.value})' if t.branch else ''};"
            f" roles: {', '.join(sorted(r.value for r in t.roles))}. " + " ".join(notes)
        ),
    }


def _condition(cond: tuple[str, tuple[Any, ...]]) -> str:
    """A field's ticket condition (Field.applies_to), worded as workflow.condition_text words a row's."""
    return condition_text(Transition("", (), None, frozenset(), (), "", ticket_when=(cond,)))


def _responses(ok: str, ok_schema: dict[str, Any], *codes: str) -> dict[str, Any]:
    out: dict[str, Any] = {ok: {"description": "OK", "content": {
        "application/json": {"schema": ok_schema}}}}
    text = {"400": "Bad request (e.g. a NUL byte in the address or query string)", "401": "No valid token",
            "403": "Role or office scope", "404": "Not found", "409": "Wrong state or stale version",
            "410": "Redacted", "422": "Invalid input, per field"}
    # Every operation can answer 400: the address itself is checked before any route (NUL bytes).
    for code in dict.fromkeys(("400", "401", *codes)):
        out[code] = {"description": text[code],
                     "content": {"application/json": {"schema": ERROR}}}
    return out


# GET /scorecards?region=CODE: one row per office of the region, and its best and weakest clerks.
REGION_SCORECARD_SCHEMAS: dict[str, Any] = {
    "RegionOffice": {"type": "object", "properties": {
        "office": {"type": "string"}, "name": {"type": "string"},
        "clerks": {"type": "integer"},
        "average_total": {"type": "number", "nullable": True,
                          "description": "the mean of the clerks' totals, as the office's scorecard gives them; "
                                         "null without clerks"},
        "negatives_by_root_cause": {
            "type": "object", "description": "the office's substantiated tickets of the month by root cause, "
                                             "attributed or not, as on the office's scorecard; `unrecorded` "
                                             "only when some ticket of the region predates root causes",
            "additionalProperties": {"type": "object", "properties": {
                "tickets": {"type": "integer"}, "points": {"type": "integer"}}}},
        "customer_gap": {"type": "number", "nullable": True,
                         "description": "mean perception minus expectation of the office's followed-up tickets "
                                        "of the month (0 or more is good)"},
        "follow_ups": {"type": "integer"}}},
    "RegionClerk": {"type": "object", "properties": {
        "clerk": {"type": "string", "format": "email"}, "name": {"type": "string"},
        "office": {"type": "string"}, "total": {"type": "integer"}}},
}

REGION_CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]{1,31}$"}
REGION_PATH = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32}}
CASEWORK_PARAMS = [
    {"name": "month", "in": "query", "description": "YYYY-MM, default this month", "schema": MONTH},
    {"name": "office", "in": "query", "description": "one office's code; default every office in scope",
     "schema": {"type": "string", "maxLength": 32}},
]
SLA_PARAMS = [
    {"name": "kind", "in": "path", "required": True,  # commendations have no clocks, hence no policies
     "schema": {"type": "string", "enum": [k.value for k in CASE_KINDS]}},
    {"name": "severity", "in": "path", "required": True,
     "schema": {"type": "string", "enum": [s.value for s in Severity]}},
]
_SLA_FIELDS = {
    "triage_minutes": {"type": "integer", "minimum": 1},
    "resolve_minutes": {"type": "integer", "minimum": 1},
    "follow_up_minutes": {"type": "integer", "minimum": 1},
    "escalate_after_minutes": {"type": "integer", "minimum": 0},
    "calendar": {"type": "string", "enum": ["business", "24x7"]},
}
REPLY_PARAMS = [
    {"name": "kind", "in": "path", "required": True,  # commendations have no clocks, hence no policies
     "schema": {"type": "string", "enum": [k.value for k in CASE_KINDS]}},
    {"name": "channel", "in": "path", "required": True,
     "schema": {"type": "string", "enum": [c.value for c in Channel]}},
]
_REPLY_FIELDS = {
    "days": {"type": "integer", "minimum": 0, "maximum": 60,
             "description": "working days from logging to the reply (national calendar); 0: no reply clock"},
    "escalate_after_days": {"type": "integer", "minimum": 0, "maximum": 30,
                            "description": "working days overdue before the administrators are told"},
}
SLA_SCHEMAS = {
    "ReplyPolicyInput": {"type": "object", "additionalProperties": False, "required": list(_REPLY_FIELDS),
                         "properties": _REPLY_FIELDS},
    "ReplyPolicy": {"type": "object", "properties": {
        **_REPLY_FIELDS, "kind": {"type": "string"}, "channel": {"type": "string"},
        "customised": {"type": "boolean"}}},
    "SlaPolicyInput": {"type": "object", "additionalProperties": False, "required": list(_SLA_FIELDS),
                       "properties": _SLA_FIELDS},
    "SlaPolicy": {"type": "object", "properties": {
        **_SLA_FIELDS, "kind": {"type": "string"}, "severity": {"type": "string"},
        "customised": {"type": "boolean"}}},
}


def _improvement_spec() -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas of /improvement-actions (api/improvement.py)."""
    from ..improvement import operations as ops
    from .improvement import FIELDS, LIST_LIMIT

    ref = {"$ref": "#/components/schemas/ImprovementAction"}
    side = {"type": "object", "properties": {
        "month": MONTH,
        "value": {"type": "integer", "nullable": True, "description": "the factor on the scorecard; null when "
                                                                       "the month was not assessed"},
        "tickets": {"type": "integer", "nullable": True,
                    "description": "substantiated complaints and service errors counting against the clerk with "
                                   "the factor as root cause (complaints: every complaint; errors: every error); "
                                   "null for highlights"}}}
    paths = {"/improvement-actions": {
        "get": {"operationId": "listImprovementActions",
                "description": "An office's improvement actions with their results, latest review first (at most "
                               f"{LIST_LIMIT}). Supervisors and administrators covering the office; a clerk their "
                               "own actions only.",
                "parameters": [
                    {"name": "office", "in": "query", "required": True, "schema": {"type": "string",
                                                                                    "maxLength": 32}},
                    {"name": "clerk", "in": "query", "description": "one clerk of the office, by email",
                     "schema": {"type": "string", "maxLength": 254}},
                ],
                "responses": _responses("200", {"type": "object", "properties": {
                    "office": {"type": "string"}, "actions": {"type": "array", "items": ref}}},
                    "403", "404", "422")},
        "post": {"operationId": "recordImprovementAction",
                 "description": "Record an action for a clerk's factor, started this month (the office's), to be "
                                f"reviewed after it and at most {ops.MAX_AHEAD} months ahead. Supervisors of the "
                                "clerk's office and administrators. Hardware is refused: it is not under the "
                                "clerk's control.",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/ImprovementActionInput"}}}},
                 "responses": _responses("201", ref, "400", "403", "422")},
    }}
    schemas = {
        "ImprovementActionInput": {
            "type": "object", "additionalProperties": False, "required": list(FIELDS), "properties": {
                "clerk": {"type": "string", "format": "email", "description": "a clerk, by email"},
                "factor": {"type": "string", "enum": [f.value for f in ops.ACTION_FACTORS]},
                "action": {"type": "string", "enum": [a.value for a in ActionKind]},
                "description": {"type": "string", "minLength": 1, "maxLength": ops.DESCRIPTION_MAX},
                "review_month": {**MONTH, "description": "YYYY-MM, after this month"}}},
        "ImprovementAction": {"type": "object", "properties": {
            "id": {"type": "integer"}, "clerk": {"type": "string"}, "clerk_name": {"type": "string"},
            "office": {"type": "string"}, "factor": {"type": "string"}, "action": {"type": "string"},
            "description": {"type": "string"}, "start_month": MONTH, "review_month": MONTH,
            "created_by": {"type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "enum": ["open", "due", "reviewed"],
                       "description": "open before the review month, due during it (the result so far), "
                                      "reviewed after it"},
            "before": {**side, "description": "the month before the start month: the scorecard that led to it"},
            "after": {**side, "nullable": True, "description": "the review month; null while open"},
            "improved": {"type": "boolean", "nullable": True, "description": "the factor is higher at review"},
            "fell": {"type": "boolean", "nullable": True,
                     "description": "fewer tickets at review than before; null without tickets or while open"}}},
    }
    return paths, schemas


def build_spec() -> dict[str, Any]:
    events = [t for t in TRANSITIONS if t.event != "log"]
    log = next(t for t in TRANSITIONS if t.event == "log")
    event_schemas = {
        f"Event_{t.event}": _input_schema(
            t, {"event": {"type": "string", "enum": [t.event]},
                "version": {"type": "integer", "minimum": 1}})
        for t in events
    }
    ticket_ref = {"$ref": "#/components/schemas/Ticket"}
    improvement_paths, improvement_schemas = _improvement_spec()
    # Shown to customers (slip, status page); empty clears. The phone is checked as a customer's.
    office_contact = {"phone": {"type": "string", "maxLength": 64, "nullable": True},
                      "address": {"type": "string", "maxLength": 300, "nullable": True}}
    ref_param = {"name": "ref", "in": "path", "required": True,
                 "schema": {"type": "string", "maxLength": 20}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "complaints API", "version": "1",
                 "description": "Post-office complaints and service errors. "
                                "Bearer token from `flask --app complaints users token EMAIL`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/tickets": {
                "get": {
                    "operationId": "listTickets",
                    "parameters": [
                        {"name": "state", "in": "query",
                         "schema": {"type": "string", "enum": [s.value for s in State]}},
                        {"name": "kind", "in": "query",
                         "schema": {"type": "string", "enum": [k.value for k in Kind]}},
                        {"name": "office", "in": "query", "schema": {"type": "string"}},
                        {"name": "region", "in": "query", "description": "a region's code: every office below it",
                         "schema": {"type": "string", "maxLength": 32}},
                        {"name": "category", "in": "query",
                         "schema": {"type": "string", "enum": [c.value for c in Category]}},
                        {"name": "channel", "in": "query",
                         "schema": {"type": "string", "enum": [c.value for c in Channel]}},
                        {"name": "item", "in": "query", "description": "an item number, exactly",
                         "schema": {"type": "string", "maxLength": 60}},
                        {"name": "mine", "in": "query", "description": "1: assigned to me",
                         "schema": {"type": "string", "enum": ["1", "0"]}},
                        {"name": "cases", "in": "query",
                         "description": "1: complaints and service errors only (no commendations)",
                         "schema": {"type": "string", "enum": ["1", "0"]}},
                        {"name": "due", "in": "query", "description": "the stage clocks: overdue or soon "
                         "(running), met or missed (ended; with `stage`, that stage's)",
                         "schema": {"type": "string", "enum": ["overdue", "soon", "met", "missed"]}},
                        {"name": "stage", "in": "query",
                         "schema": {"type": "string", "enum": ["triage", "resolve", "follow_up"]}},
                        {"name": "created_from", "in": "query", "description": "logged on or after this day",
                         "schema": {"type": "string", "format": "date"}},
                        {"name": "created_to", "in": "query", "description": "logged on or before this day",
                         "schema": {"type": "string", "format": "date"}},
                        {"name": "root_cause", "in": "query", "description": "of substantiated tickets",
                         "schema": {"type": "string", "enum": [r.value for r in RootCause]}},
                        {"name": "voice", "in": "query", "description": "1: the customer's scores recorded",
                         "schema": {"type": "string", "enum": ["1", "0"]}},
                        {"name": "compensated", "in": "query", "description": "1: compensation stated, not refused",
                         "schema": {"type": "string", "enum": ["1", "0"]}},
                        {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["1"]}},
                        {"name": "appeal", "in": "query", "description": "1: regulator appeals only",
                         "schema": {"type": "string", "enum": ["1", "0"]}},
                        {"name": "appeal_late", "in": "query",
                         "description": "1: open appeals past the regulator's deadline without a reply",
                         "schema": {"type": "string", "enum": ["1", "0"]}},
                        {"name": "verdict", "in": "query", "description": "the regulator's verdict of an appeal",
                         "schema": {"type": "string", "enum": [v.value for v in Verdict]}},
                        {"name": "compensation", "in": "query", "description": "the compensation's status",
                         "schema": {"type": "string", "enum": [c.value for c in CompensationStatus]}},
                        {"name": "reply", "in": "query",
                         "description": "the reply clock: due within 7 days (soon), overdue, met or missed",
                         "schema": {"type": "string", "enum": ["soon", "overdue", "met", "missed"]}},
                        {"name": "sort", "in": "query", "description": "due: the stage clock; reply: the reply clock",
                         "schema": {"type": "string", "enum": ["new", "due", "reply"]}},
                        {"name": "page", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
                        {"name": "per_page", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    ],
                    "responses": _responses("200", {"$ref": "#/components/schemas/TicketPage"},
                                            "422"),
                },
                "post": {
                    "operationId": "logTicket",
                    "parameters": [
                        {"name": "Idempotency-Key", "in": "header", "required": False,
                         "description": "The same key from the same user within 24 hours answers 200 with "
                                        "the ticket the first request logged instead of logging another.",
                         "schema": {"type": "string", "minLength": 1, "maxLength": 100,
                                    "pattern": "^[\\x20-\\x7e]{1,100}$"}},
                    ],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/LogTicket"}}}},
                    "responses": {**_responses("201", ticket_ref, "400", "403", "422"),
                                  "200": {"description": "Logged before with this Idempotency-Key",
                                          "content": {"application/json": {"schema": ticket_ref}}}},
                },
            },
            "/tickets/{ref}": {
                "get": {"operationId": "getTicket", "parameters": [ref_param],
                        "responses": _responses("200", ticket_ref, "403", "404")},
            },
            "/tickets/{ref}/events": {
                "post": {
                    "operationId": "fireEvent",
                    "parameters": [ref_param],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"oneOf": [
                            {"$ref": f"#/components/schemas/{n}"} for n in event_schemas],
                            "discriminator": {"propertyName": "event"}}}}},
                    "responses": _responses("200", ticket_ref, "400", "403", "404", "409",
                                            "422"),
                },
            },
            "/tickets/{ref}/attachments": {
                "post": {
                    "operationId": "uploadAttachment",
                    "parameters": [ref_param],
                    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                        "type": "object", "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                    "responses": _responses("201", {"$ref": "#/components/schemas/Attachment"},
                                            "400", "403", "404", "409", "422"),
                },
            },
            "/tickets/{ref}/attachments/{id}": {
                "get": {
                    "operationId": "getAttachment",
                    "parameters": [ref_param, {"name": "id", "in": "path", "required": True,
                                               "schema": {"type": "integer", "minimum": 1}}],
                    "responses": {"200": {"description": "the file (images re-encoded without metadata)",
                                          "content": {"application/octet-stream": {
                                              "schema": {"type": "string", "format": "binary"}}}},
                                  **{k: v for k, v in _responses("200", {}, "403", "404", "410").items()
                                     if k != "200"}},
                },
            },
            "/workflow": {"get": {"operationId": "workflow", "responses": _responses(
                "200", {"type": "object"})}},
            "/offices": {
                "get": {"operationId": "listOffices",
                        "responses": _responses("200", {"type": "object"})},
                "post": {
                    "operationId": "createOffice",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/OfficeInput"}}}},
                    "responses": _responses("201", {"$ref": "#/components/schemas/Office"},
                                            "400", "403", "422"),
                },
            },
            "/offices/{code}": {
                "get": {"operationId": "getOffice",
                        "parameters": [{"name": "code", "in": "path", "required": True,
                                        "schema": {"type": "string", "maxLength": 32}}],
                        "responses": _responses("200", {"$ref": "#/components/schemas/Office"},
                                                "403", "404")},
                "patch": {"operationId": "updateOffice",
                          "parameters": [{"name": "code", "in": "path", "required": True,
                                          "schema": {"type": "string", "maxLength": 32}}],
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/OfficePatch"}}}},
                          "responses": _responses("200",
                                                  {"$ref": "#/components/schemas/Office"},
                                                  "400", "403", "404", "422")},
            },
            "/users": {
                "get": {"operationId": "listUsers",
                        "responses": _responses("200", {"type": "object"}, "403")},
                "post": {"operationId": "createUser",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/UserInput"}}}},
                         "responses": _responses("201", {"$ref": "#/components/schemas/User"},
                                                 "400", "403", "422")},
            },
            "/users/{email}": {
                "get": {"operationId": "getUser",
                        "parameters": [{"name": "email", "in": "path", "required": True,
                                        "schema": {"type": "string", "maxLength": 254}}],
                        "responses": _responses("200", {"$ref": "#/components/schemas/User"},
                                                "403", "404")},
                "patch": {"operationId": "updateUser",
                          "parameters": [{"name": "email", "in": "path", "required": True,
                                          "schema": {"type": "string", "maxLength": 254}}],
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/UserPatch"}}}},
                          "responses": _responses("200", {"$ref": "#/components/schemas/User"},
                                                  "400", "403", "404", "422")},
            },
            "/scorecards": {
                "get": {"operationId": "getScorecards",
                        "description": "An office's month (`office`), or a region's (`region`, a region's or an "
                                       "office's code; one of the two is required): then `offices` (each active "
                                       "office below it, by code) and its `best` and `weakest` clerks by total. "
                                       "A region is for administrators and supervisors who cover every office "
                                       "of it; clerks get 403.",
                        "parameters": [
                            {"name": "office", "in": "query", "schema": {"type": "string"}},
                            {"name": "region", "in": "query", "schema": {"type": "string", "maxLength": 32}},
                            {"name": "month", "in": "query",
                             "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}},
                        ],
                        "responses": _responses("200", {"type": "object", "properties": {
                            "office": {"type": "string"}, "month": {"type": "string"},
                            "region": {"type": "string"}, "name": {"type": "string"},
                            "kind": {"type": "string", "enum": ["region", "office"]},
                            "offices": {"type": "array", "items": {"$ref": "#/components/schemas/RegionOffice"}},
                            "best": {"type": "array", "items": {"$ref": "#/components/schemas/RegionClerk"},
                                     "description": "highest totals first (ties by name)"},
                            "weakest": {"type": "array", "items": {"$ref": "#/components/schemas/RegionClerk"},
                                        "description": "lowest totals first (ties by name)"},
                            "negatives_by_root_cause": {
                                "type": "object",
                                "description": "the office's substantiated tickets of the month by root cause, "
                                               "attributed or not (not shown to clerks); `unrecorded` only when "
                                               "some ticket predates root causes",
                                "additionalProperties": {"type": "object", "properties": {
                                    "tickets": {"type": "integer"}, "points": {"type": "integer"}}}},
                            "clerks": {"type": "array", "items": {"type": "object", "properties": {
                                "clerk": {"type": "string"}, "total": {"type": "integer"},
                                "rank": {"type": "integer"},
                                "factors": {"type": "object", "properties": {
                                    f: {"type": "integer"} for f in FACTORS}},
                                "commendations": {
                                    "type": "array", "items": {"type": "string"},
                                    "description": "references of the clerk's verified commendations of the "
                                                   "month (by occurred_at): the evidence for `highlights`, which "
                                                   "each adds the scoring setting's commendation points to "
                                                   "(0 by default; highlights stays within 0 to 10)"}}}}}},
                            "403", "404", "422")},
            },
            "/compensation": {
                "get": {"operationId": "getCompensationTotals",
                        "description": "Compensation per office in a month, in the caller's scope (administrators "
                                       "every office, others their own): `offered` sums the offers stated that "
                                       "month (at resolve; refused ones left out), `paid` the ones paid that month "
                                       "(by `paid_on`). Amounts are exact decimal strings.",
                        "parameters": CASEWORK_PARAMS,
                        "responses": _responses("200", {"type": "object", "properties": {
                            "month": {"type": "string"},
                            "offices": {"type": "array", "items": {
                                "$ref": "#/components/schemas/CompensationTotals"}}}}, "403", "404", "422")},
            },
            "/appeals": {
                "get": {"operationId": "getAppealCounts",
                        "description": "Regulator appeals per office logged in a month, in the caller's scope, "
                                       "with their verdicts: `valid`, `not_valid`, and `pending` (no verdict yet).",
                        "parameters": CASEWORK_PARAMS,
                        "responses": _responses("200", {"type": "object", "properties": {
                            "month": {"type": "string"},
                            "offices": {"type": "array", "items": {
                                "$ref": "#/components/schemas/AppealCounts"}}}}, "403", "404", "422")},
            },
            "/regions": {
                "get": {"operationId": "listRegions",
                        "description": "The region tree: every region for an administrator, the regions assigned "
                                       "and those below them for a supervisor; clerks 403. `offices` counts the "
                                       "offices below each region.",
                        "responses": _responses("200", {"type": "object", "properties": {"regions": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Region"}}}}, "403")},
                "post": {"operationId": "createRegion", "description": "Administrators only.",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/RegionInput"}}}},
                         "responses": _responses("201", {"$ref": "#/components/schemas/Region"},
                                                 "400", "403", "422")},
            },
            "/regions/{code}": {
                "get": {"operationId": "getRegion",
                        "description": "The region's dashboard: totals and one line per region or office one "
                                       "level down (administrators, and supervisors assigned to it or above it).",
                        "parameters": [REGION_PATH],
                        "responses": _responses("200", {"type": "object"}, "403", "404")},
                "patch": {"operationId": "patchRegion",
                          "description": "Rename a region or move it, with everything below it (administrators).",
                          "parameters": [REGION_PATH],
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/RegionPatch"}}}},
                          "responses": _responses("200", {"type": "object"}, "400", "403", "404", "422")},
            },
            "/reports": {
                "get": {"operationId": "getReport",
                        "description": "The monthly or quarterly report of a region (every office below it) or an "
                                       "office, as /reports shows it: `sections` maps each section (kinds, "
                                       "categories, channels, root_causes, appeals, replies, sla, compensation, "
                                       "voice, repeat) to its figures, each with `current`, `previous` (the month "
                                       "or quarter before) and `last_year`. Figures are about the tickets logged "
                                       "in the period (the application's time zone) as they stand now; money is "
                                       "exact decimal strings, percentages numbers (null when there is nothing to "
                                       "divide by). Supervisors a unit all of whose offices they cover, "
                                       "administrators every unit; clerks 403.",
                        "parameters": [
                            {"name": "region", "in": "query", "required": True,
                             "description": "a region's code or an office's", "schema": {"type": "string",
                                                                                         "maxLength": 32}},
                            {"name": "period", "in": "query", "description": "YYYY-MM or YYYY-Qn, not in the "
                             "future; default the last whole month",
                             "schema": {"type": "string", "pattern": "^[0-9]{4}-([0-9]{2}|Q[1-4])$"}},
                        ],
                        "responses": _responses("200", {"type": "object", "properties": {
                            "region": {"type": "string"}, "kind": {"type": "string", "enum": ["region", "office"]},
                            "name": {"type": "string"}, "period": {"type": "string"},
                            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                            "timezone": {"type": "string"},
                            "previous_period": {"type": "string"}, "last_year_period": {"type": "string"},
                            "sections": {"type": "object", "additionalProperties": {
                                "type": "object", "additionalProperties": {"type": "object", "properties": {
                                    c: {"nullable": True} for c in ("current", "previous", "last_year")}}}},
                            "repeat_complainants": {"type": "array", "items": {"type": "object", "properties": {
                                "phone": {"type": "string", "description": "masked"},
                                "complaints": {"type": "integer"},
                                "tickets": {"type": "array", "items": {"type": "string"}}}}}}},
                            "403", "404", "422")},
            },
            "/volumes": {
                "get": {"operationId": "listVolumes",
                        "description": "Items handled per office in a month (supervisors the offices they cover, "
                                       "administrators every office; clerks 403): one entry per office in scope, "
                                       "or the one named, with `items` null where there is no figure.",
                        "parameters": [
                            {"name": "month", "in": "query", "required": True, "description": "YYYY-MM",
                             "schema": MONTH},
                            {"name": "office", "in": "query", "description": "one office's code",
                             "schema": {"type": "string", "maxLength": 32}},
                        ],
                        "responses": _responses("200", {"type": "array", "items": {
                            "$ref": "#/components/schemas/Volume"}}, "403", "404", "422")},
            },
            "/volumes/{office}/{month}": {
                "put": {"operationId": "putVolume",
                        "description": "Set the items an office handled in a month (null removes the figure).",
                        "parameters": [
                            {"name": "office", "in": "path", "required": True,
                             "schema": {"type": "string", "maxLength": 32}},
                            {"name": "month", "in": "path", "required": True, "description": "YYYY-MM, not in "
                             "the future", "schema": MONTH},
                        ],
                        "requestBody": {"required": True, "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/VolumeInput"}}}},
                        "responses": _responses("200", {"$ref": "#/components/schemas/Volume"},
                                                "400", "403", "404", "422")},
            },
            "/sla-policies": {
                "get": {"operationId": "listSlaPolicies",
                        "responses": _responses("200", {"type": "object"}, "403")},
            },
            "/sla-policies/{kind}/{severity}": {
                "get": {"operationId": "getSlaPolicy", "parameters": SLA_PARAMS,
                        "responses": _responses("200", {"$ref": "#/components/schemas/SlaPolicy"},
                                                "403", "422")},
                "put": {"operationId": "putSlaPolicy", "parameters": SLA_PARAMS,
                        "requestBody": {"required": True, "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/SlaPolicyInput"}}}},
                        "responses": _responses("200", {"$ref": "#/components/schemas/SlaPolicy"},
                                                "400", "403", "422")},
            },
            "/reply-policies/{kind}/{channel}": {
                "get": {"operationId": "getReplyPolicy", "parameters": REPLY_PARAMS,
                        "responses": _responses("200", {"$ref": "#/components/schemas/ReplyPolicy"},
                                                "403", "422")},
                "put": {"operationId": "putReplyPolicy", "parameters": REPLY_PARAMS,
                        "requestBody": {"required": True, "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ReplyPolicyInput"}}}},
                        "responses": _responses("200", {"$ref": "#/components/schemas/ReplyPolicy"},
                                                "400", "403", "422")},
            },
            **improvement_paths,
            "/users/{email}/tokens/revoke": {
                "post": {"operationId": "revokeUserTokens",
                         "description": "Revoke every API token of the user (administrators only).",
                         "parameters": [{"name": "email", "in": "path", "required": True,
                                         "schema": {"type": "string", "maxLength": 254}}],
                         "responses": _responses("200", {"type": "object", "properties": {
                             "email": {"type": "string"}, "revoked": {"type": "integer"}}}, "403", "404")},
            },
            "/users/{email}/password": {
                "post": {"operationId": "resetPassword",
                         "parameters": [{"name": "email", "in": "path", "required": True,
                                         "schema": {"type": "string", "maxLength": 254}}],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object", "additionalProperties": False,
                                        "properties": {"password": {"type": "string",
                                                                    "minLength": 8}}}}}},
                         "responses": _responses("200", {"type": "object"}, "400", "403",
                                                 "404", "422")},
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **SLA_SCHEMAS,
                **improvement_schemas,
                **REGION_SCORECARD_SCHEMAS,
                "Error": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "LogTicket": _input_schema(log),
                **event_schemas,
                "Event": {"type": "object", "properties": {
                    "seq": {"type": "integer"}, "event": {"type": "string"},
                    "from": {"type": "string", "nullable": True}, "to": {"type": "string"},
                    "actor": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "payload": {"type": "object"}}},
                "Ticket": {"type": "object", "properties": {
                    "ref": {"type": "string"},
                    "kind": {"type": "string", "enum": [k.value for k in Kind]},
                    "channel": {"type": "string", "enum": [c.value for c in Channel]},
                    "state": {"type": "string", "enum": [s.value for s in State]},
                    "version": {"type": "integer"},
                    "office": {"type": "string"},
                    "severity": {"type": "string", "nullable": True},
                    "category": {"type": "string", "enum": [c.value for c in Category]},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/PostalItem"}},
                    "assignee": {"type": "string", "nullable": True},
                    "finding": {"type": "string", "nullable": True},
                    "root_cause": {"type": "string", "nullable": True, "enum": [*[r.value for r in RootCause], None]},
                    "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
                    "attributed_clerk": {"type": "string", "nullable": True},
                    "deadlines": {"type": "object"},
                    "customer_consent": {"type": "boolean"},
                    "customer_email": {"type": "string", "nullable": True,
                                       "description": "masked (w***@example.com) for those who see the phone "
                                                      "masked"},
                    "outcome": {"type": "string", "nullable": True,
                                "description": "what the customer is told at resolve"},
                    "regulator_case": {"type": "string", "nullable": True,
                                       "description": "the regulator's case number (appeals only)"},
                    "regulator_due": {"type": "string", "format": "date", "nullable": True},
                    "regulator_reply": {"type": "string", "nullable": True},
                    "regulator_replied_on": {"type": "string", "format": "date", "nullable": True},
                    "verdict": {"type": "string", "nullable": True, "enum": [*[v.value for v in Verdict], None]},
                    "verdict_at": {"type": "string", "format": "date-time", "nullable": True},
                    "appeal_of": {"type": "string", "nullable": True,
                                  "description": "the reference of the complaint this appeal escalated"},
                    "appeals": {"type": "array", "items": {"type": "string"},
                                "description": "the references of the appeals that escalated this ticket"},
                    "compensation": {"allOf": [{"$ref": "#/components/schemas/Compensation"}], "nullable": True},
                    "allowed_events": {"type": "array", "items": {"type": "string"}},
                    "history": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Event"}}}},
                "Compensation": {"type": "object", "properties": {
                    "claimed": MONEY, "offered": MONEY,
                    "basis": {"type": "string", "enum": [b.value for b in CompensationBasis]},
                    "status": {"type": "string", "enum": [c.value for c in CompensationStatus]},
                    "approved_by": {"type": "string", "nullable": True},
                    "approved_at": {"type": "string", "format": "date-time", "nullable": True},
                    "paid_on": {"type": "string", "format": "date", "nullable": True},
                    "payment_ref": {"type": "string", "nullable": True},
                    "refused_reason": {"type": "string", "nullable": True},
                    "created_at": {"type": "string", "format": "date-time"}}},
                "CompensationTotals": {"type": "object", "properties": {
                    "office": {"type": "string"}, "offered": MONEY, "paid": MONEY,
                    "count_offered": {"type": "integer"}, "count_paid": {"type": "integer"}}},
                "AppealCounts": {"type": "object", "properties": {
                    "office": {"type": "string"}, "appeals": {"type": "integer"}, "valid": {"type": "integer"},
                    "not_valid": {"type": "integer"}, "pending": {"type": "integer"}}},
                "Volume": {"type": "object", "properties": {
                    "office": {"type": "string"}, "month": MONTH,
                    "items": {"type": "integer", "minimum": 0, "maximum": VOLUME_MAX, "nullable": True}}},
                "VolumeInput": {"type": "object", "required": ["items"], "additionalProperties": False,
                                "properties": {"items": {"type": "integer", "minimum": 0, "maximum": VOLUME_MAX,
                                                         "nullable": True,
                                                         "description": "items handled; null removes the figure"}}},
                "PostalItem": {"type": "object", "required": ["number"], "additionalProperties": False,
                               "properties": {"number": {"type": "string", "maxLength": 60},
                                              "product": {"type": "string", "enum": [p.value for p in Product],
                                                          "default": Product.OTHER.value}}},
                "Attachment": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}, "size": {"type": "integer"},
                    "sha256": {"type": "string"}, "content_type": {"type": "string"},
                    "uploaded_by": {"type": "string"}, "uploaded_at": {"type": "string", "format": "date-time"},
                    "redacted": {"type": "boolean"}, "redaction_reason": {"type": "string", "nullable": True}}},
                "TicketPage": {"type": "object", "properties": {
                    "tickets": {"type": "array", "items": ticket_ref},
                    "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "total": {"type": "integer"},
                    "total_is_lower_bound": {"type": "boolean",
                                             "description": "true: more than `total` tickets match"}}},
                "Region": {"type": "object", "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"},
                    "parent": {"type": "string", "nullable": True}, "offices": {"type": "integer"}}},
                "RegionInput": {"type": "object", "required": ["code", "name"], "additionalProperties": False,
                                "properties": {"code": REGION_CODE, "name": {"type": "string", "maxLength": 200},
                                               "parent": {**REGION_CODE, "nullable": True}}},
                "RegionPatch": {"type": "object", "additionalProperties": False,
                                "properties": {"name": {"type": "string", "maxLength": 200},
                                               "parent": {**REGION_CODE, "nullable": True}}},
                "Office": {"type": "object", "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"},
                    "timezone": {"type": "string"}, "active": {"type": "boolean"},
                    "phone": {"type": "string", "nullable": True}, "address": {"type": "string", "nullable": True},
                    "region": {"type": "string", "nullable": True}}},
                "OfficeInput": {"type": "object", "required": ["code", "name"],
                                "additionalProperties": False, "properties": {
                                    "code": {"type": "string", "pattern": "^[A-Z0-9][A-Z0-9-]{1,31}$"},
                                    "name": {"type": "string", "maxLength": 200},
                                    "timezone": {"type": "string"}, "region": {**REGION_CODE, "nullable": True},
                                    **office_contact}},
                "OfficePatch": {"type": "object", "additionalProperties": False, "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "timezone": {"type": "string"}, "active": {"type": "boolean"},
                    "region": {**REGION_CODE, "nullable": True},
                    **office_contact}},
                "User": {"type": "object", "properties": {
                    "email": {"type": "string"}, "name": {"type": "string"},
                    "role": {"type": "string", "enum": [r.value for r in Role]},
                    "active": {"type": "boolean"},
                    "offices": {"type": "array", "items": {"type": "string"}},
                    "regions": {"type": "array", "items": {"type": "string"}},
                    "locale": {"type": "string", "nullable": True}}},
                "UserInput": {"type": "object", "additionalProperties": False,
                              "required": ["email", "name", "role", "password"],
                              "properties": {
                                  "email": {"type": "string", "format": "email"},
                                  "name": {"type": "string", "maxLength": 100},
                                  "role": {"type": "string", "enum": [r.value for r in Role]},
                                  "offices": {"type": "array", "items": {"type": "string"}},
                                  "regions": {"type": "array", "items": {"type": "string"},
                                              "description": "supervisors only"},
                                  "password": {"type": "string", "minLength": 8},
                                  "locale": {"type": "string", "enum": ["zh_CN", "en"]}}},
                "UserPatch": {"type": "object", "additionalProperties": False, "properties": {
                    "name": {"type": "string", "maxLength": 100},
                    "role": {"type": "string", "enum": [r.value for r in Role]},
                    "offices": {"type": "array", "items": {"type": "string"}},
                    "regions": {"type": "array", "items": {"type": "string"}, "description": "supervisors only"},
                    "active": {"type": "boolean"},
                    "locale": {"type": "string", "enum": ["zh_CN", "en"], "nullable": True}}},
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
