"""The one error type of the device surface: raised anywhere, rendered once as the device renders errors."""

from __future__ import annotations

INVALID_XML = "The provided XML is not valid."


class FFWSError(Exception):
    """An answer other than success: an HTTP status and the text of ``<response><message>``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"FFWSError({self.status}, {self.message!r})"


def invalid(field: str, reason: str) -> FFWSError:
    """The device's wording for a bad field value: ``invalid <field>: <reason>`` (HTTP 400)."""
    return FFWSError(400, f"invalid {field}: {reason}")
