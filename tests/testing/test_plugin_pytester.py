"""The pytest plugin as a user gets it by installing the package: a test file of theirs, in a directory of its own
(no conftest, nothing of ours imported), run by pytest in a separate process, with only the ``faxfinder`` fixture."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import httpx

FAX = (
    "<schedule_fax><recipient><name>Accounts</name><fax_number>{number}</fax_number></recipient>"
    "<attachment><location>inline</location><name>note.txt</name><content_type>text/plain</content_type>"
    "<content_transfer_encoding>base64</content_transfer_encoding><content>SGVsbG8=</content></attachment>"
    "</schedule_fax>"
)


def send(faxfinder, number):
    response = httpx.post(faxfinder.url + "/ofax", content=FAX.format(number=number), auth=faxfinder.auth)
    assert response.status_code == 201, response.text
    return response.text.split("<fax_entry_url>")[1].split("</fax_entry_url>")[0]


def test_1_a_fax_is_sent(faxfinder):
    entry = send(faxfinder, "218-555-1234")
    assert faxfinder.wait_for_state(entry) == "sent"
    assert entry.endswith("/ofax/00000001/0000")


def test_2_every_test_starts_from_a_reset_box(faxfinder):
    assert faxfinder.journal() == []
    assert faxfinder.clock()["now"] == "2026-01-01T00:00:00"
    assert send(faxfinder, "218-555-1234").endswith("/ofax/00000001/0000")


def test_3_faults_inbound_and_the_journal(faxfinder):
    faxfinder.fault(kind="fax", fax_number="*4321", outcome="not_in_service")
    assert faxfinder.wait_for_state(send(faxfinder, "555-4321")) == "dead"
    faxfinder.fault(kind="http", path="/ffws/v1/verify", status=503, times=1)
    assert httpx.get(faxfinder.url + "/verify", auth=faxfinder.auth).status_code == 503
    assert faxfinder.inbound(pages=2)["busy"] is False
    assert [e["status"] for e in faxfinder.journal(path="/ffws/v1/verify")] == [503]
"""

OTHER_MODEL = """
import httpx
import pytest


@pytest.fixture(scope="session")
def faxfinder_settings():
    return {"model": "FF840", "control_token": "ci-token"}


def test_the_box_is_the_model_asked_for(faxfinder):
    about = httpx.get(faxfinder.url + "/about", auth=faxfinder.auth).text
    assert "FF840" in about
    assert httpx.get(faxfinder.base_url + "/_emulator/clock").status_code == 401  # the token is on
    assert faxfinder.advance(60)["now"] == "2026-01-01T00:01:00"  # and the handle sends it
"""

STRICT = """
import httpx
import pytest


@pytest.fixture(scope="session")
def faxfinder_settings():
    return {"strict": True}


def test_a_sloppy_request_is_refused_naming_its_mistake(faxfinder):
    body = "<contact><name>A</name><fax>555</fax></contact>"
    headers = {"content-type": "application/xml"}
    refused = httpx.post(faxfinder.url + "/contacts/admin", content=body, auth=faxfinder.auth, headers=headers)
    assert refused.status_code == 400
    assert "<message>strict mode: unknown element &lt;fax&gt; in &lt;contact&gt;</message>" in refused.text
    assert faxfinder.warnings() == [
        {"id": 1, "method": "POST", "path": "/ffws/v1/contacts/admin", "status": 400,
         "warnings": ["unknown element <fax> in <contact>"]}
    ]
    clean = body.replace("fax>", "fax_number>")
    created = httpx.post(faxfinder.url + "/contacts/admin", content=clean, auth=faxfinder.auth, headers=headers)
    assert created.status_code == 200
"""


def test_a_user_test_file_passes_with_only_the_faxfinder_fixture(pytester: pytest.Pytester, monkeypatch):
    # Settings meant for a real emulator elsewhere in the user's environment must not change the test box.
    for name, value in {"START_TIME": "2030-01-01T00:00:00", "JOURNAL_SIZE": "0", "MODEL": "FF440"}.items():
        monkeypatch.setenv(f"FFEMU_{name}", value)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_user_overrides_the_settings_in_their_own_test_file(pytester: pytest.Pytester):
    pytester.makepyfile(test_other_model=OTHER_MODEL)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_strict_mode_from_the_users_settings(pytester: pytest.Pytester):
    pytester.makepyfile(test_strict=STRICT)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
