"""SMTP replies other than success, as values: raised anywhere in fax by e-mail, answered once by the listener."""

from __future__ import annotations


class Refused(Exception):
    """An SMTP answer other than success: ``code`` and its text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    @property
    def reply(self) -> str:
        return f"{self.code} {self.text}"
