"""WTForms built from the workflow table's field specs.

The forms only carry and render the values (and the CSRF token); the rules are checked
once, in tickets.inputs, and its per-field messages are put back beside the fields.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from ..authz import users_covering
from ..domain import Product, Role, choices, label
from ..extensions import db
from ..formkit import as_choices
from ..models import Office, Ticket, User
from ..workflow import Field, Transition


class EventForm(FlaskForm):
    version = HiddenField()


ITEM_ROWS = 3  # rows shown for postal items on the logging form (the API takes up to MAX_ITEMS)


class ItemForm(Form):
    """One postal item row; a plain Form: the CSRF token is the outer form's."""

    number = StringField(_l("Item number"), render_kw={"maxlength": 40, "autocapitalize": "characters",
                                                        "autocomplete": "off", "spellcheck": "false"})
    product = SelectField(_l("Product"), validate_choice=False,
                          choices=as_choices([("", "—"), *choices(Product)]))


def _eligible_users(f: Field, office: Office | None) -> list[tuple[str, str]]:
    roles = {Role.CLERK: [Role.CLERK], Role.SUPERVISOR: [Role.SUPERVISOR, Role.ADMIN]}.get(f.role, list(Role))
    stmt = select(User).where(User.active.is_(True), User.role.in_(roles)).order_by(User.name)
    if office is not None:
        # Admins, and whoever covers the office (one by one or through a region above it).
        stmt = stmt.where(or_(User.role == Role.ADMIN, User.id.in_(users_covering(office.id))))
    users = db.session.scalars(stmt).all()
    return [(u.email, f"{u.name} · {label(u.role)}") for u in users]


def _wtf_field(f: Field, office: Office | None, offices: list[Office]) -> Any:
    blank = [("", "—")]
    kw: dict[str, Any] = {"label": f.label, "description": f.help or ""}
    render = {"required": True} if f.required else {}
    if f.type == "choice":
        return SelectField(validate_choice=False, choices=as_choices(blank + choices(f.choices)),
                           render_kw=render, **kw)
    if f.type == "int":
        opts = [(str(i), str(i)) for i in range(f.minimum or 0, (f.maximum or 0) + 1)]
        return SelectField(validate_choice=False, choices=as_choices(blank + opts), render_kw=render, **kw)
    if f.type == "bool" and not f.required and not f.required_when:
        return BooleanField(**kw)  # a tick: unticked means no
    if f.type == "bool":
        return RadioField(choices=as_choices([("yes", _l("Yes")), ("no", _l("No"))]), **kw)
    if f.type == "user":
        return SelectField(validate_choice=False, choices=as_choices(blank + _eligible_users(f, office)),
                           render_kw=render, **kw)
    if f.type == "office":
        return SelectField(validate_choice=False,
                           choices=as_choices((o.code, f"{o.code} {o.name}") for o in offices), **kw)
    if f.type == "items":
        return FieldList(FormField(ItemForm), min_entries=ITEM_ROWS, max_entries=ITEM_ROWS, **kw)
    if f.type == "datetime":
        return StringField(render_kw={**render, "type": "datetime-local"}, **kw)
    if f.type == "date":
        return StringField(render_kw={**render, "type": "date"}, **kw)
    if f.type == "money":
        return StringField(render_kw={**render, "inputmode": "decimal", "maxlength": 20, "autocomplete": "off"},
                           **kw)
    if f.type == "email":
        return StringField(render_kw={"type": "email", "autocomplete": "off", "maxlength": 254}, **kw)
    if f.type == "phone":
        return StringField(render_kw={"type": "tel", "autocomplete": "off", "maxlength": 30},
                           **kw)
    if f.multiline:
        return TextAreaField(render_kw={**render, "maxlength": f.max_length, "rows": 4}, **kw)
    return StringField(render_kw={**render, "maxlength": f.max_length}, **kw)


def form_for(
    t: Transition, *, office: Office | None = None, offices: list[Office] | None = None,
    formdata: Any = None, prefix: str = "", ticket: Ticket | None = None, **data: Any,
) -> FlaskForm:
    """A form class with one field per input of the transition (those that apply to the ticket)."""
    attrs = {f.name: _wtf_field(f, office, offices or []) for f in t.fields_for(ticket)}
    cls = type(f"{t.event.title()}Form", (EventForm,), attrs)
    kwargs: dict[str, Any] = {"prefix": prefix, **data}
    if formdata is not None:
        kwargs["formdata"] = formdata
    return cls(**kwargs)


def raw_values(t: Transition, form: FlaskForm) -> dict[str, Any]:
    """The submitted values, as the domain validation takes them (blank = absent)."""
    out: dict[str, Any] = {}
    for f in t.fields:
        if f.name not in form:
            continue  # does not apply to this ticket
        value = form[f.name].data
        if f.type == "items":
            value = [{k: v for k, v in row.items() if v} for row in value if (row.get("number") or "").strip()]
        if value in (None, "", []):
            continue
        if f.type == "bool":
            value = {"yes": True, "no": False}.get(value, value)
        if value is False and isinstance(form[f.name], BooleanField):
            continue  # an unticked box says nothing
        out[f.name] = value
    return out


def put_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    for name, message in fields.items():
        if name in form:
            form[name].errors = [*list(form[name].errors or []), message]
