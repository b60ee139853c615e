"""Passwords anyone could know: the published demo password and the commonest choices.

Under the production configuration (``REFUSE_KNOWN_PASSWORDS``) they cannot be set, and an
account that still has one cannot sign in until an admin resets it.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from ..models import User

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


# A hash of a random password, one per hashing method, checked when the account is unknown or
# deactivated: every sign-in costs one hash check, so its time tells nothing about the account.
_DUMMY_HASHES: dict[str, str] = {}


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


def dummy_hash(method: str | None = None) -> str:
    method = method or _hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def verify(user: User | None, password: str) -> bool:
    """True when ``user`` exists, is active and ``password`` is theirs; one hash check on every
    path (against a dummy hash of the same method when there is no usable account)."""
    usable = user is not None and bool(user.active)
    matches = check_password_hash(user.password_hash if usable else dummy_hash(), password)
    return usable and matches
