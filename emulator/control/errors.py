"""Errors of the control plane: JSON ``{"error": …}`` with a status."""

from __future__ import annotations

from pydantic import BaseModel

ERROR_TEXT = {
    400: "Invalid request",
    401: "Missing or wrong X-Emulator-Token",
    404: "Not found",
    413: "Request body over its cap (FFEMU_CONTROL_MAX_BODY, or FFEMU_SNAPSHOT_MAX_BODY for a snapshot import)",
    503: "Starting, or the storage failed (full disk, or the documents could not be put in place)",
}


class ErrorBody(BaseModel):
    error: str


def documented(statuses: tuple[int, ...]) -> dict[int | str, dict]:
    """OpenAPI ``responses`` for a control route: 400, 401 and 413 always (the gate caps every body), plus its
    own."""
    return {s: {"model": ErrorBody, "description": ERROR_TEXT[s]} for s in sorted({400, 401, 413, *statuses})}


class ControlError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
