"""What the far end does, and how long each step of a call takes (14-emulator-decisions, "Time and pacing").

An outcome is chosen when a fax entry is scheduled (a fax fault, else the first matching rule of
``fixtures/outcomes.json``, else ``sent``); each try of the entry is then planned from it: when the line connects,
how many pages go through, when the call ends, and what the outbound and call logs will say.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

OUTCOMES = ("sent", "busy", "no_answer", "voice", "line_drop", "busy_then_sent", "not_in_service", "slow")

CONVERSION_SECONDS = 2  # per attachment
COVER_SECONDS = 1
DIAL_SECONDS = 15  # dialling and handshake
BUSY_SECONDS = 5
NO_ANSWER_SECONDS = 45
PICKUP_SECONDS = 5
VOICE_SECONDS = 10  # after pick-up
NOT_IN_SERVICE_SECONDS = 5
PAGE_SECONDS = 30  # at 14400 bps
SLOW_PAGE_SECONDS = 300
BAUD_RATE = 14400

# Reason texts of the failed tries, as schedule_message and outbound-log result_message.
REASONS = {
    "busy": "Line busy",
    "no_answer": "No answer",
    "no_fax_tone": "No fax tone (answered by a voice)",
    "line_drop": "Line dropped during transmission",
    "not_in_service": "Number not in service",
}


@dataclass(frozen=True)
class Rule:
    pattern: str
    outcome: str


def digits_of(number: str) -> str:
    return re.sub(r"\D", "", number)


def load_rules(path: Path) -> list[Rule]:
    data = json.loads(path.read_text())
    rules = [Rule(str(r["pattern"]), str(r["outcome"])) for r in data.get("rules", [])]
    for rule in rules:
        if rule.outcome not in OUTCOMES:
            raise ValueError(f"{path}: unknown outcome {rule.outcome!r} (one of {', '.join(OUTCOMES)})")
    return rules


def outcome_for(number: str, rules: list[Rule]) -> str:
    digits = digits_of(number)
    for rule in rules:
        if fnmatch.fnmatchcase(digits, rule.pattern):
            return rule.outcome
    return "sent"


@dataclass(frozen=True)
class Plan:
    """One try, decided when a line takes the entry."""

    connect_time: datetime | None
    end_time: datetime
    page_seconds: int
    pages_sent: int
    result: str  # outbound log: success, busy, no_answer, no_fax_tone, line_drop, not_in_service
    call_result: str  # call log: fax, busy, no_answer, no_carrier, voice, failed
    baud_rate: int | None

    @property
    def message(self) -> str:
        return "Successfully sent fax" if self.result == "success" else REASONS[self.result]


def _failed(start: datetime, seconds: int, result: str, call_result: str) -> Plan:
    return Plan(None, start + timedelta(seconds=seconds), PAGE_SECONDS, 0, result, call_result, None)


def plan_try(outcome: str, try_number: int, pages: int, start: datetime) -> Plan:
    if outcome == "busy" or (outcome == "busy_then_sent" and try_number == 1):
        return _failed(start, BUSY_SECONDS, "busy", "busy")
    if outcome == "no_answer":
        return _failed(start, NO_ANSWER_SECONDS, "no_answer", "no_answer")
    if outcome == "voice":
        return _failed(start, PICKUP_SECONDS + VOICE_SECONDS, "no_fax_tone", "voice")
    if outcome == "not_in_service":
        return _failed(start, NOT_IN_SERVICE_SECONDS, "not_in_service", "failed")
    connect = start + timedelta(seconds=DIAL_SECONDS)
    if outcome == "line_drop":
        # Page 1 goes through; the line drops half-way through page 2 (or right after a one-page fax's only page).
        seconds = PAGE_SECONDS + PAGE_SECONDS // 2
        return Plan(
            connect, connect + timedelta(seconds=seconds), PAGE_SECONDS, 1, "line_drop", "no_carrier", BAUD_RATE
        )
    page_seconds = SLOW_PAGE_SECONDS if outcome == "slow" else PAGE_SECONDS
    end = connect + timedelta(seconds=page_seconds * pages)
    return Plan(connect, end, page_seconds, pages, "success", "fax", BAUD_RATE)


def preprocessing_seconds(attachments: int, cover: bool) -> int:
    return CONVERSION_SECONDS * attachments + (COVER_SECONDS if cover else 0)
