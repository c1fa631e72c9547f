"""Errors of the control plane: JSON ``{"error": …}`` with a status."""

from __future__ import annotations


class ControlError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
