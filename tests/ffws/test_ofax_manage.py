"""Viewing, aborting and rescheduling fax entries (01-faxing §1.2–1.4, 14-emulator-decisions), with permissions."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, assert_error, box_state
from tests.ffws.clients import (
    OFAX,
    advance,
    at,
    create_user,
    entries_of,
    fax_to,
    recipient,
    schedule,
    schedule_body,
    view,
)

NOT_ABORTED = (
    "The fax specified could not be aborted. The user may not be the owner of the fax or the fax could not be found."
)
NOT_RESCHEDULED = (
    "The fax specified could not be rescheduled. The user may not be the owner of the fax or the fax could not be found"
)


def keys(response) -> list[str]:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return ["/".join(e.findtext("fax_entry_url").split("/")[-2:]) for e in entries_of(response)]


def listing(client, auth: tuple[str, str] = ADMIN, **params: object) -> list[str]:  # noqa: ANN001
    return keys(client.get(OFAX, params=params, auth=auth))


def states(client, *entry_keys: str) -> list[str]:  # noqa: ANN001
    return [view(client, key)["state"] for key in entry_keys]


# -- viewing -------------------------------------------------------------------------------------------------------
def test_each_user_sees_own_entries_and_an_admin_may_see_all(client):
    user = create_user(client, "user1")
    schedule(client, fax_to("555-0000"))
    schedule(client, schedule_body(recipients=[recipient("555-0000"), recipient("555-0010")]), auth=user)
    assert listing(client) == ["00000001/0000"]
    assert listing(client, all_users="true") == ["00000001/0000", "00000002/0000", "00000002/0001"]
    assert listing(client, all_users="false") == ["00000001/0000"]
    assert listing(client, auth=user) == ["00000002/0000", "00000002/0001"]
    assert listing(client, auth=user, all_users="true") == ["00000002/0000", "00000002/0001"]
    assert keys(client.get(f"{OFAX}/00000002", auth=user)) == ["00000002/0000", "00000002/0001"]
    assert keys(client.get(f"{OFAX}/00000002/0001", auth=user)) == ["00000002/0001"]
    assert keys(client.get(f"{OFAX}/00000002/0001")) == ["00000002/0001"]  # the admin sees anyone's
    assert_error(client.get(f"{OFAX}/00000001", auth=user), 404, "Fax not found.")
    assert_error(client.get(f"{OFAX}/00000001/0000", auth=user), 404, "Fax entry not found.")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/00000009", "Fax not found."),
        ("/00000009/0000", "Fax entry not found."),
        ("/00000001/0001", "Fax entry not found."),
        ("/XYZ", "Fax not found."),
        ("/000000001/0000", "Fax entry not found."),
        ("/https://host/ffws/v1/ofax/0000001B/0000", "Not Found"),  # R13: a pasted URL
    ],
)
def test_unknown_or_garbled_keys_are_xml_404s(client, path, message):
    schedule(client, fax_to("555-0000"))
    assert_error(client.get(OFAX + path), 404, message)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"class": "done"}, "invalid class: must be one of pending, sending, complete"),
        ({"complete_limit": "ten"}, "invalid complete_limit: not a number"),
        ({"complete_limit": "-1"}, "invalid complete_limit: must not be negative"),
        ({"all_users": "yes please"}, "invalid all_users: must be true or false"),
        ({"include_modem_info": "maybe"}, "invalid include_modem_info: must be true or false"),
    ],
)
def test_bad_query_parameters_are_400(client, query, message):
    assert_error(client.get(OFAX, params=query), 400, message)


def test_requests_with_content_type_and_accept_headers_are_fine(client):
    """R3: GET and DELETE may carry a Content-Type and no body; Accept absent, */* or application/xml."""
    schedule(client, fax_to("555-0000"))
    for headers in ({"content-type": "application/xml"}, {"accept": "*/*"}, {"accept": "application/xml"}):
        assert keys(client.get(f"{OFAX}/00000001/0000", headers=headers)) == ["00000001/0000"]
    assert client.delete(f"{OFAX}/00000001/0000", headers={"content-type": "text/xml"}).status_code == 202


def test_class_filters(client):
    schedule(client, fax_to("555-0000"))  # sent at +47
    schedule(client, fax_to("555-0009"))  # slow: sending until +317
    schedule(client, fax_to("555-0000", schedule_all_at=at(1000)))  # pending
    advance(client, 60)
    schedule(client, fax_to("555-0000"))  # preprocessing
    every = ["00000001/0000", "00000002/0000", "00000003/0000", "00000004/0000"]
    assert listing(client) == every
    assert listing(client, **{"class": "complete"}) == ["00000001/0000"]
    assert listing(client, **{"class": "sending"}) == ["00000002/0000"]
    assert listing(client, **{"class": "pending"}) == ["00000003/0000", "00000004/0000"]


@pytest.mark.parametrize("settings_overrides", [{"lines": 1}])
@pytest.mark.parametrize(
    ("limit", "completed"), [(None, range(3, 13)), ("3", range(10, 13)), ("0", []), ("100", range(1, 13))]
)
def test_complete_limit_keeps_the_newest_completed(client, limit, completed):
    for _ in range(12):
        schedule(client, fax_to("555-0000"))
    schedule(client, fax_to("555-0000", schedule_all_at=at(5000)))
    advance(client, 12 * 45 + 2)
    assert states(client, "0000000C/0000", "0000000D/0000") == ["sent", "pending"]
    params = {} if limit is None else {"complete_limit": limit}
    assert listing(client, **params) == [f"{n:08X}/0000" for n in completed] + ["0000000D/0000"]


# -- aborting ------------------------------------------------------------------------------------------------------
def assert_accepted(response) -> None:  # noqa: ANN001
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert response.headers["content-type"] == "application/xml"


def test_abort_a_pending_entry(client):
    schedule(client, schedule_body(recipients=[recipient("555-0000"), recipient("555-0010")], schedule_all_at=at(600)))
    advance(client, 30)
    assert_accepted(client.delete(f"{OFAX}/00000001/0001"))
    aborted = view(client, "00000001/0001")
    assert (aborted["state"], aborted["schedule_message"], aborted["stime"]) == (
        "aborted",
        "Fax aborted by user",
        at(30),
    )
    advance(client, 1000)
    assert states(client, "00000001/0000", "00000001/0001") == ["sent", "aborted"]


def test_abort_a_whole_fax_while_preprocessing(client):
    schedule(client, schedule_body(recipients=[recipient("555-0000"), recipient("555-0010")]))
    assert_accepted(client.delete(f"{OFAX}/00000001"))
    advance(client, 1000)
    assert states(client, "00000001/0000", "00000001/0001") == ["aborted", "aborted"]


@pytest.mark.parametrize("settings_overrides", [{"model": "FF240", "lines": 1}])
def test_aborting_a_sending_entry_frees_its_line(client):
    schedule(client, fax_to("555-0000"))
    schedule(client, fax_to("555-0000"))
    advance(client, 20)
    assert states(client, "00000001/0000", "00000002/0000") == ["sending", "pending"]
    assert_accepted(client.delete(f"{OFAX}/00000001/0000"))
    advance(client, 0)
    assert view(client, "00000001/0000")["stime"] == at(20)
    second = view(client, "00000002/0000")
    assert (second["state"], second["stime"]) == ("sending", at(20))
    advance(client, 45)
    second = view(client, "00000002/0000", include_modem_info="true")
    assert (second["state"], second["stime"], second["init_time"]) == ("sent", at(65), at(20))


def test_an_admin_may_abort_and_reschedule_anyones_fax(client):
    user = create_user(client, "user1")
    schedule(client, fax_to("555-0000", schedule_all_at=at(600)), auth=user)
    assert_accepted(client.delete(f"{OFAX}/00000001/0000", auth=ADMIN))
    assert states(client, "00000001/0000") == ["aborted"]
    assert_accepted(client.put(f"{OFAX}/00000001/0000?at=now", auth=ADMIN))
    assert states(client, "00000001/0000") == ["preprocessing"]
    advance(client, 47)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["sender/username"]) == ("sent", "user1")


def test_abort_skips_final_entries_of_a_fax(client):
    schedule(client, schedule_body(recipients=[recipient("555-0006"), recipient("555-0000")], try_interval=5))
    advance(client, 10)
    assert states(client, "00000001/0000", "00000001/0001") == ["dead", "sending"]
    assert_accepted(client.delete(f"{OFAX}/00000001"))
    assert states(client, "00000001/0000", "00000001/0001") == ["dead", "aborted"]


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/00000001/0000", "admin"),  # already sent
        ("/00000002/0000", "user1"),  # not the owner
        ("/00000002", "user1"),
        ("/00000009/0000", "admin"),  # unknown
        ("/00000002/0005", "admin"),
        ("/zz", "admin"),
        ("", "admin"),  # R13: no key must not abort everything
        ("/", "admin"),
    ],
)
def test_refused_aborts_change_nothing(client, path, who):
    user = create_user(client, "user1")
    schedule(client, fax_to("555-0000"))
    advance(client, 60)
    schedule(client, fax_to("555-0000"))
    before = box_state(client.box)
    assert_error(client.delete(OFAX + path, auth=user if who == "user1" else ADMIN), 400, NOT_ABORTED)
    assert box_state(client.box) == before
    assert states(client, "00000001/0000", "00000002/0000") == ["sent", "preprocessing"]


# -- rescheduling --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["?at=now", "", "?at=", "?at=NOW"])
def test_reschedule_now_sends_again_with_a_fresh_series_of_tries(client, query):
    schedule(client, fax_to("555-0001", max_tries=2, try_interval=30))  # busy: failed at +42
    advance(client, 100)
    before = view(client, "00000001/0000")
    assert (before["state"], before["try_number"]) == ("failed", "2")
    assert_accepted(client.put(f"{OFAX}/00000001/0000{query}"))
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["try_number"], entry["stime"]) == ("pending", "1", at(100))
    advance(client, 0)
    assert view(client, "00000001/0000")["state"] == "sending"
    advance(client, 5)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["try_number"], entry["stime"]) == ("pending", "2", at(135))


@pytest.mark.parametrize(
    ("settings_overrides", "local"),
    [({}, "2026-01-01T05:00:00"), ({"timezone": "America/Chicago"}, "2025-12-31T23:00:00")],
)
def test_reschedule_at_a_utc_time(client, local):
    schedule(client, fax_to("555-0000"))
    advance(client, 60)
    assert_accepted(client.put(f"{OFAX}/00000001/0000?at=2026-01-01T05%3A00%3A00"))
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["stime"], entry["try_number"]) == ("pending", local, "1")
    advance(client, 5 * 3600 - 61)
    assert view(client, "00000001/0000")["state"] == "pending"
    advance(client, 46)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["schedule_message"]) == ("sent", "Successfully sent fax")


def test_reschedule_to_a_past_time_sends_now(client):
    schedule(client, fax_to("555-0000"))
    advance(client, 100)
    assert_accepted(client.put(f"{OFAX}/00000001/0000?at=2025-06-01T00%3A00%3A00"))
    advance(client, 0)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["stime"]) == ("sending", at(100))
    advance(client, 45)
    assert view(client, "00000001/0000")["stime"] == at(145)


def test_reschedule_skips_entries_sending_or_preprocessing(client):
    schedule(client, schedule_body(recipients=[recipient("555-0000"), recipient("555-0009")]))
    advance(client, 60)
    schedule(client, fax_to("555-0000"))
    assert states(client, "00000001/0000", "00000001/0001", "00000002/0000") == ["sent", "sending", "preprocessing"]
    assert_accepted(client.put(f"{OFAX}/00000001?at=now"))
    assert_accepted(client.put(f"{OFAX}/00000002/0000?at=now"))
    assert states(client, "00000001/0000", "00000001/0001", "00000002/0000") == ["pending", "sending", "preprocessing"]
    assert view(client, "00000001/0001")["stime"] == at(2)


def test_an_aborted_entry_can_be_rescheduled(client):
    schedule(client, fax_to("555-0000", schedule_all_at=at(600)))
    advance(client, 10)
    assert_accepted(client.delete(f"{OFAX}/00000001/0000"))
    assert_accepted(client.put(f"{OFAX}/00000001/0000"))
    advance(client, 45)
    assert states(client, "00000001/0000") == ["sent"]


def test_an_entry_aborted_before_conversion_is_converted_when_rescheduled(client):
    schedule(client, fax_to("555-0000", pages=2))
    assert_accepted(client.delete(f"{OFAX}/00000001/0000"))
    advance(client, 10)
    assert_accepted(client.put(f"{OFAX}/00000001/0000?at=now"))
    assert view(client, "00000001/0000")["state"] == "preprocessing"
    advance(client, 2)  # 2 s of conversion, then a line takes it
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["stime"], entry["pages"]) == ("sending", at(12), "2")
    advance(client, 75)
    entry = view(client, "00000001/0000", include_modem_info="true")
    assert (entry["state"], entry["pages"], entry["pages_sent"]) == ("sent", "2", "2")
    assert client.get("/ffws/v1/data/preview/00000001-0000.pdf").status_code == 200


def test_an_entry_aborted_while_its_fax_was_converted_learns_its_pages_when_rescheduled(client):
    schedule(client, schedule_body(recipients=[recipient("555-0000"), recipient("555-0010")]))
    assert_accepted(client.delete(f"{OFAX}/00000001/0001"))
    advance(client, 100)  # entry 0000 converted the fax and was sent
    assert_accepted(client.put(f"{OFAX}/00000001/0001"))
    entry = view(client, "00000001/0001")
    assert (entry["state"], entry["pages"]) == ("pending", "1")
    advance(client, 45)
    assert view(client, "00000001/0001", include_modem_info="true")["pages_sent"] == "1"


@pytest.mark.parametrize(
    ("path", "who", "message"),
    [
        ("/00000001/0000?at=now", "user1", NOT_RESCHEDULED),
        ("/00000001?at=now", "user1", NOT_RESCHEDULED),
        ("/00000009/0000?at=now", "admin", NOT_RESCHEDULED),
        ("/00000001/0003", "admin", NOT_RESCHEDULED),
        ("/00000001/0000?at=tomorrow", "admin", "invalid at: expected now or YYYY-MM-DDTHH:MM:SS (UTC)"),
        ("/00000001/0000?at=2026-13-01T00%3A00%3A00", "admin", "invalid at: expected now or YYYY-MM-DDTHH:MM:SS (UTC)"),
    ],
)
def test_refused_reschedules_change_nothing(client, path, who, message):
    user = create_user(client, "user1")
    schedule(client, fax_to("555-0000"))
    advance(client, 60)
    before = box_state(client.box)
    assert_error(client.put(OFAX + path, auth=user if who == "user1" else ADMIN), 400, message)
    assert box_state(client.box) == before
