"""The life of a fax entry under the manual clock: every outcome of fixtures/outcomes.json, the timings of
14-emulator-decisions, the queue's rules (lines, priority, send time), and reproducibility."""

from __future__ import annotations

import pytest

from tests.conftest import FFClient, assert_golden, make_box
from tests.ffws.clients import (
    GUIDE_EXAMPLE,
    OFAX,
    advance,
    at,
    attachment,
    cover,
    entries_of,
    fax_to,
    pdf_attachment,
    recipient,
    schedule,
    schedule_body,
    view,
)


def follow(client, key: str, checkpoints: list[tuple[int, str, int, int, str]]) -> None:  # noqa: ANN001
    """Advance to each (time, state, stime, try_number, schedule_message) and check the entry there."""
    now = 0
    for when, state, stime, try_number, message in checkpoints:
        advance(client, when - now)
        now = when
        entry = view(client, key)
        seen = (entry["state"], entry["stime"], entry["try_number"], entry["schedule_message"])
        assert seen == (state, at(stime), str(try_number), message), f"at +{when}s"


# One page, no cover: preprocessing ends at +2 (2 s per attachment); dialling 15 s; 30 s per page.
OUTCOMES = {
    "normal": (
        "218-555-0000",
        {},
        [
            (0, "preprocessing", 0, 1, "New fax entry"),
            (1, "preprocessing", 0, 1, "New fax entry"),
            (2, "sending", 2, 1, ""),
            (46, "sending", 2, 1, ""),
            (47, "sent", 47, 1, "Successfully sent fax"),
            (5000, "sent", 47, 1, "Successfully sent fax"),
        ],
    ),
    "0001 busy on every try": (
        "218-555-0001",
        {"max_tries": 3, "try_interval": 30},
        [
            (2, "sending", 2, 1, ""),
            (6, "sending", 2, 1, ""),
            (7, "pending", 37, 2, "Line busy"),
            (36, "pending", 37, 2, "Line busy"),
            (37, "sending", 37, 2, ""),
            (42, "pending", 72, 3, "Line busy"),
            (72, "sending", 72, 3, ""),
            (77, "failed", 77, 3, "Line busy"),
            (5000, "failed", 77, 3, "Line busy"),
        ],
    ),
    "0002 no answer": (
        "5550002",
        {"max_tries": 1},
        [(2, "sending", 2, 1, ""), (46, "sending", 2, 1, ""), (47, "failed", 47, 1, "No answer")],
    ),
    "0003 voice": (
        "1-218-555-0003",
        {"max_tries": 2, "try_interval": 60},
        [
            (16, "sending", 2, 1, ""),
            (17, "pending", 77, 2, "No fax tone (answered by a voice)"),
            (77, "sending", 77, 2, ""),
            (92, "failed", 92, 2, "No fax tone (answered by a voice)"),
        ],
    ),
    "0004 line drop": (
        "555-0004",
        {"max_tries": 1},
        [
            (47, "sending", 2, 1, ""),
            (61, "sending", 2, 1, ""),
            (62, "failed", 62, 1, "Line dropped during transmission"),
        ],
    ),
    "0005 busy then sent": (
        "555-0005",
        {"max_tries": 3, "try_interval": 30},
        [
            (7, "pending", 37, 2, "Line busy"),
            (37, "sending", 37, 2, ""),
            (81, "sending", 37, 2, ""),
            (82, "sent", 82, 2, "Successfully sent fax"),
        ],
    ),
    "0006 not in service": (
        "555-0006",
        {"max_tries": 3, "try_interval": 5},
        [
            (6, "sending", 2, 1, ""),
            (7, "dead", 7, 1, "Number not in service"),
            (100, "dead", 7, 1, "Number not in service"),
        ],
    ),
    "0009 slow": (
        "555-0009",
        {},
        [(47, "sending", 2, 1, ""), (316, "sending", 2, 1, ""), (317, "sent", 317, 1, "Successfully sent fax")],
    ),
}


@pytest.mark.parametrize(("number", "options", "checkpoints"), OUTCOMES.values(), ids=OUTCOMES.keys())
def test_outcome_life_cycle(client, number, options, checkpoints):
    (entry,) = schedule(client, fax_to(number, **options))
    assert entry.findtext("recipient/fax_number") == number
    follow(client, "00000001/0000", checkpoints)
    assert view(client, "00000001/0000")["pages"] == "1"


def test_pages_and_timing_count_the_cover_page(client):
    schedule(client, schedule_body(attachments=[pdf_attachment(2)], cover_page=cover(subject="S")))
    # 2 s for the attachment + 1 s for the cover; 15 s dialling; 3 pages of 30 s.
    follow(
        client,
        "00000001/0000",
        [
            (2, "preprocessing", 0, 1, "New fax entry"),
            (3, "sending", 3, 1, ""),
            (107, "sending", 3, 1, ""),
            (108, "sent", 108, 1, "Successfully sent fax"),
        ],
    )
    assert view(client, "00000001/0000")["pages"] == "3"


def test_every_recipient_has_its_own_entry_and_outcome(client):
    body = schedule_body(recipients=[recipient("555-0000"), recipient("555-0006")], attachments=[attachment()])
    schedule(client, body)
    advance(client, 100)
    assert [view(client, f"00000001/000{n}")["state"] for n in (0, 1)] == ["sent", "dead"]


def test_modem_info_appears_only_after_a_finished_attempt(client):
    schedule(client, fax_to("555-0005", try_interval=30))
    advance(client, 2)
    assert "init_time" not in view(client, "00000001/0000", include_modem_info="true")
    advance(client, 5)  # the busy first try is over
    info = view(client, "00000001/0000", include_modem_info="true")
    assert (info["init_time"], info["connect_time"], info["disconnect_time"], info["result"]) == (
        at(2),
        "",
        at(7),
        "busy",
    )
    assert "init_time" not in view(client, "00000001/0000")


def test_sent_entry_with_modem_info(client):
    schedule(client, GUIDE_EXAMPLE)
    advance(client, 120)
    response = client.get(f"{OFAX}/00000001/0000", params={"include_modem_info": "true"})
    assert response.status_code == 200
    assert_golden("fax_entry_sent", response)


def test_a_document_that_cannot_be_converted_makes_the_entry_dead(client):
    body = schedule_body(
        attachments=[pdf_attachment(1, "ok.pdf"), attachment(b"%PDF-junk", "application/pdf", "junk.pdf")]
    )
    schedule(client, body)
    advance(client, 3)
    assert view(client, "00000001/0000")["state"] == "preprocessing"
    advance(client, 1)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["stime"], entry["pages"]) == ("dead", at(4), "0")
    assert entry["schedule_message"].startswith("Conversion failed: attachment junk.pdf: ")
    advance(client, 600)
    assert view(client, "00000001/0000")["state"] == "dead"


# -- the queue -----------------------------------------------------------------------------------------------------
def sending(client) -> list[str]:  # noqa: ANN001
    return [e.findtext("fax_url")[-2:] for e in entries_of(client.get(OFAX, params={"class": "sending"}))]


@pytest.mark.parametrize("settings_overrides", [{"model": "FF240", "lines": 1}])
def test_one_line_sends_one_entry_at_a_time(client):
    for _ in range(3):
        schedule(client, fax_to("555-0000"))
    advance(client, 2)
    assert sending(client) == ["01"]
    advance(client, 45)
    assert sending(client) == ["02"]
    assert view(client, "00000002/0000")["stime"] == at(47)
    advance(client, 45)
    assert sending(client) == ["03"]
    advance(client, 45)
    assert sending(client) == []
    assert [view(client, f"0000000{n}/0000")["stime"] for n in (1, 2, 3)] == [at(47), at(92), at(137)]


@pytest.mark.parametrize("settings_overrides", [{"model": "FF240"}])
def test_two_modems_send_two_entries_at_a_time(client):
    for _ in range(3):
        schedule(client, fax_to("555-0000"))
    advance(client, 2)
    assert sending(client) == ["01", "02"]
    advance(client, 45)
    assert sending(client) == ["03"]


@pytest.mark.parametrize("settings_overrides", [{"model": "FF240", "lines": 1}])
def test_lower_priority_number_goes_first_then_earlier_send_time(client):
    schedule(client, fax_to("555-0000", priority=3, schedule_all_at=at(20)))  # 01
    schedule(client, fax_to("555-0000", priority=5))  # 02
    schedule(client, fax_to("555-0000", priority=1))  # 03
    schedule(client, fax_to("555-0000", priority=3))  # 04: same priority as 01, scheduled later, sent earlier
    advance(client, 2)
    assert sending(client) == ["03"]
    advance(client, 45)
    assert sending(client) == ["04"]
    advance(client, 45)
    assert sending(client) == ["01"]
    advance(client, 45)
    assert sending(client) == ["02"]


def test_schedule_all_at_in_the_future_delays_the_first_try(client):
    (entry,) = schedule(client, fax_to("555-0000", schedule_all_at=at(600)))
    assert entry.findtext("stime") == at(600)
    follow(
        client,
        "00000001/0000",
        [
            (2, "pending", 600, 1, "New fax entry"),
            (599, "pending", 600, 1, "New fax entry"),
            (600, "sending", 600, 1, ""),
            (645, "sent", 645, 1, "Successfully sent fax"),
        ],
    )


def test_schedule_all_at_in_the_past_means_now(client):
    advance(client, 100)
    (entry,) = schedule(client, fax_to("555-0000", schedule_all_at="2008-08-07T20:30:00"))
    assert (entry.findtext("created"), entry.findtext("stime")) == (at(100), at(100))
    advance(client, 2)
    assert view(client, "00000001/0000")["stime"] == at(102)


# -- reproducibility -----------------------------------------------------------------------------------------------
def script(client) -> list[bytes]:  # noqa: ANN001
    """A session with every kind of request; the answers, byte for byte."""
    answers = []
    for number in ("555-0000", "555-0001", "555-0005", "555-0009", "555-0006"):
        answers.append(client.post(OFAX, fax_to(number, pages=2, try_interval=30)).content)
    answers.append(client.post(OFAX, schedule_body(cover_page=cover(subject="Hi"), attachments=[])).content)
    for step in (1, 2, 5, 30, 60):
        advance(client, step)
        answers.append(client.get(OFAX, params={"include_modem_info": "true"}).content)
    answers.append(client.delete(f"{OFAX}/00000004/0000").content)
    answers.append(client.put(f"{OFAX}/00000005/0000", params={"at": "now"}).content)
    advance(client, 1000)
    answers.append(client.get(OFAX, params={"include_modem_info": "true", "all_users": "true"}).content)
    answers.append(client.get("/ffws/v1/data/preview/00000006-0000.pdf").content)
    return answers


def test_same_requests_give_byte_identical_answers(template_dir, tmp_path):
    runs = []
    for name in ("a", "b"):
        client = FFClient(make_box(template_dir, tmp_path / name))
        try:
            runs.append(script(client))
        finally:
            client.close()
    assert runs[0] == runs[1]
    assert b"<state>sent</state>" in runs[0][-2] and b"<state>aborted</state>" in runs[0][-2]
    assert runs[0][-1].startswith(b"%PDF")
