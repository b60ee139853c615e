"""Domain errors: each carries the HTTP status that the web and the API answer with."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message, "fields": self.fields}
        body.update(self.extra)
        return body


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """Wrong state or stale version: nothing was changed."""

    status = 409


class InvalidInput(DomainError):
    status = 422
