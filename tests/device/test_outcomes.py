"""The outcome rules (fixtures/outcomes.json) and the plan of one try (14-emulator-decisions, time and pacing)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from emulator import paths
from emulator.device.outcomes import load_rules, outcome_for, plan_try, preprocessing_seconds

START = datetime(2026, 1, 1)
RULES = load_rules(paths.fixtures_dir() / "outcomes.json")


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("218-555-3335", "sent"),
        ("555-0001", "busy"),
        ("5550002", "no_answer"),
        ("1 (218) 555-0003", "voice"),
        ("91-218-555-0004", "line_drop"),
        ("-555-0005", "busy_then_sent"),
        ("555-0006", "not_in_service"),
        ("555-0009", "slow"),
        ("555-0007", "sent"),
        ("555-00010", "sent"),  # the last four digits decide: 0010
        ("0001-555", "sent"),
    ],
)
def test_the_last_four_digits_choose_the_outcome(number, outcome):
    assert outcome_for(number, RULES) == outcome


def test_first_matching_rule_wins_and_unknown_outcomes_are_refused(tmp_path: Path):
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps({"rules": [{"pattern": "555*", "outcome": "busy"}, {"pattern": "*1", "outcome": "voice"}]})
    )
    rules = load_rules(path)
    assert [outcome_for(n, rules) for n in ("555-1", "444-1", "444-2")] == ["busy", "voice", "sent"]
    path.write_text(json.dumps({"rules": [{"pattern": "*", "outcome": "explode"}]}))
    with pytest.raises(ValueError, match="unknown outcome 'explode'"):
        load_rules(path)


def seconds(when: datetime | None) -> int | None:
    return None if when is None else int((when - START).total_seconds())


@pytest.mark.parametrize(
    ("outcome", "try_number", "pages", "expected"),
    [
        ("sent", 1, 3, (15, 105, 3, "success", "fax")),
        ("sent", 1, 0, (15, 15, 0, "success", "fax")),
        ("busy", 2, 3, (None, 5, 0, "busy", "busy")),
        ("no_answer", 1, 3, (None, 45, 0, "no_answer", "no_answer")),
        ("voice", 1, 3, (None, 15, 0, "no_fax_tone", "voice")),
        ("not_in_service", 1, 3, (None, 5, 0, "not_in_service", "failed")),
        ("line_drop", 1, 3, (15, 60, 1, "line_drop", "no_carrier")),
        ("busy_then_sent", 1, 3, (None, 5, 0, "busy", "busy")),
        ("busy_then_sent", 2, 3, (15, 105, 3, "success", "fax")),
        ("slow", 1, 2, (15, 615, 2, "success", "fax")),
    ],
)
def test_plan_of_a_try(outcome, try_number, pages, expected):
    plan = plan_try(outcome, try_number, pages, START)
    assert (seconds(plan.connect_time), seconds(plan.end_time), plan.pages_sent, plan.result, plan.call_result) == (
        expected
    )
    assert plan.baud_rate == (14400 if plan.connect_time else None)
    assert (
        plan.message
        == {
            "success": "Successfully sent fax",
            "busy": "Line busy",
            "no_answer": "No answer",
            "no_fax_tone": "No fax tone (answered by a voice)",
            "line_drop": "Line dropped during transmission",
            "not_in_service": "Number not in service",
        }[plan.result]
    )
    assert plan.end_time >= START + timedelta(seconds=5)


@pytest.mark.parametrize(
    ("attachments", "cover", "expected"), [(1, False, 2), (1, True, 3), (0, True, 1), (3, True, 7)]
)
def test_preprocessing_takes_two_seconds_per_attachment_and_one_for_the_cover(attachments, cover, expected):
    assert preprocessing_seconds(attachments, cover) == expected
