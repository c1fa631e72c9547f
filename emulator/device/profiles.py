"""What differs between the emulated models (10-model-differences)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Profile:
    model: str
    is_ip: bool
    max_request_bytes: int
    max_recipients: int

    @property
    def line_word(self) -> str:
        return "channel" if self.is_ip else "modem"


PROFILES = {
    "FF240-IP": Profile("FF240-IP", True, 36 * MB, 400),
    "FF240": Profile("FF240", False, 36 * MB, 400),
    "FF440": Profile("FF440", False, 36 * MB, 400),
    "FF840": Profile("FF840", False, 36 * MB, 400),
}
