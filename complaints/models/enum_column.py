"""Enum columns stored as their string values, guarded by a named CHECK constraint."""

from enum import StrEnum

from sqlalchemy import Enum


def enum_column_type(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
    )
