"""Passwords anyone could know: the published demo password and the commonest choices.

Under the production configuration (``REFUSE_KNOWN_PASSWORDS``) they cannot be set, and an
account that still has one cannot sign in until an admin resets it.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext as _

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published in the README, refused in production

KNOWN_PASSWORDS = frozenset({
    DEMO_PASSWORD, "password", "password1", "password123", "passw0rd", "12345678", "123456789",
    "1234567890", "11111111", "88888888", "00000000", "87654321", "qwertyui", "qwerty123",
    "abc12345", "abcd1234", "1qaz2wsx", "iloveyou", "admin123", "admin1234", "administrator",
    "changeme", "welcome1", "letmein1", "zxcvbnm1", "a1234567", "aa123456", "woaini1314",
})


def refused_in_this_configuration() -> bool:
    return has_app_context() and bool(current_app.config.get("REFUSE_KNOWN_PASSWORDS"))


def is_known(password: str) -> bool:
    return password.strip().lower() in KNOWN_PASSWORDS


def refuse(password: str) -> bool:
    """True when ``password`` must not be used here (a known one, under production)."""
    return refused_in_this_configuration() and is_known(password)


def refusal(password: str) -> str | None:
    """The message for a password that must not be set here, or None when it may be."""
    return _("This password is published or too common; choose another.") if refuse(password) else None
