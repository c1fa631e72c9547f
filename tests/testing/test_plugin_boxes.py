"""The plugin in a real test suite: waiting that ends as soon as the fax does, boxes of several settings in one run
(a factory, and per-module settings beside the default), and an emulator already running elsewhere."""

from __future__ import annotations

import time

import alembic.command  # noqa: F401 (see below)
import alembic.script  # noqa: F401
import httpx
import pytest

from emulator.testing.server import EmulatorServer

# An emulator started in a test that uses pytester imports Alembic (and SQLAlchemy's dialects) under pytester's
# snapshot of sys.modules, which drops them afterwards: imported here, they are imported once.

pytest_plugins = ["pytester"]

FAX = (
    "<schedule_fax><recipient><name>Accounts</name><fax_number>{number}</fax_number></recipient>"
    "<attachment><name>note.txt</name><content_type>text/plain</content_type>"
    "<content>SGVsbG8=</content></attachment></schedule_fax>"
)


def send(box, number: str) -> str:
    response = httpx.post(box.url + "/ofax", content=FAX.format(number=number), auth=box.auth)
    assert response.status_code == 201, response.text
    return response.text.split("<fax_entry_url>")[1].split("</fax_entry_url>")[0]


# -- wait_for_state ------------------------------------------------------------------------------------------------
def test_a_fax_that_ends_otherwise_raises_at_once_naming_the_state(faxfinder):
    faxfinder.fault(kind="fax", fax_number="*4321", outcome="not_in_service")
    entry = send(faxfinder, "555-4321")
    with pytest.raises(AssertionError, match=r"ended 'dead' \('.*'\), not sent$"):
        faxfinder.wait_for_state(entry, "sent")
    # as soon as it was final: within minutes of emulated time, not the day `within` allows
    assert faxfinder.clock()["now"] < "2026-01-01T00:10:00"


def test_a_state_on_the_way_can_be_waited_for(faxfinder):
    entry = send(faxfinder, "218-555-1234")
    assert faxfinder.wait_for_state(entry, "sending", step=1) == "sending"
    assert faxfinder.wait_for_state(entry) == "sent"  # any final state by default


def test_under_a_running_clock_it_waits_in_real_time_and_gives_up_after_the_timeout(faxfinder_factory):
    box = faxfinder_factory(manual_clock=False, time_scale=1)  # a page takes half a minute, as on the device
    entry = send(box, "218-555-1234")
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"still '\w+' .* wall seconds; wanted sent"):
        box.wait_for_state(entry, "sent", timeout=0.5)
    assert time.monotonic() - started < 5
    assert box.state_of(entry) != "sent"


# -- several boxes in one run -------------------------------------------------------------------------------------
def test_the_factory_gives_boxes_of_two_models_and_reuses_each(faxfinder, faxfinder_factory):
    analog = faxfinder_factory(model="FF840")
    assert "<model>FF840</model>" in httpx.get(analog.url + "/about", auth=analog.auth).text
    assert "<model>FF240-IP</model>" in httpx.get(faxfinder.url + "/about", auth=faxfinder.auth).text
    assert httpx.get(analog.url + "/modem_status", auth=analog.auth).text.count("<modem_status>") == 8
    analog.advance(60)
    again = faxfinder_factory(model="FF840")
    assert again.base_url == analog.base_url != faxfinder.base_url  # the same box, reset
    assert again.clock()["now"] == "2026-01-01T00:00:00"
    assert faxfinder_factory().base_url == faxfinder.base_url  # no settings: the default box


DEFAULT_MODULE = """
import httpx

def test_default(faxfinder):
    assert "<model>FF240-IP</model>" in httpx.get(faxfinder.url + "/about", auth=faxfinder.auth).text
"""

FF440_MODULE = """
import httpx
import pytest

@pytest.fixture(scope="module")
def faxfinder_settings():
    return {"model": "FF440"}

def test_ff440(faxfinder):
    assert "<model>FF440</model>" in httpx.get(faxfinder.url + "/about", auth=faxfinder.auth).text
"""


def test_a_module_of_another_model_runs_beside_the_default(pytester: pytest.Pytester):
    pytester.makepyfile(test_a_default=DEFAULT_MODULE, test_b_ff440=FF440_MODULE, test_c_default=DEFAULT_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_each_xdist_worker_gets_a_box_of_its_own(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_workers="""
import os
import pytest

@pytest.mark.parametrize("n", range(4))
def test_box(faxfinder, n, tmp_path_factory):
    faxfinder.advance(n + 1)  # (a shared box would be reset under another test)
    assert faxfinder.clock()["now"] == f"2026-01-01T00:00:0{n + 1}"
    worker = os.environ["PYTEST_XDIST_WORKER"]
    (tmp_path_factory.getbasetemp().parent / f"box-{n}").write_text(f"{worker} {faxfinder.base_url}")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=4)
    boxes = {tuple(path.read_text().split()) for path in pytester.path.glob("runpytest-[0-9]*/box-*")}
    assert len(boxes) == 2 and len({worker for worker, _ in boxes}) == 2  # one box per worker, each its own
    # one host for the run made the migrated, seeded data dir once, and forked each worker's box from it
    assert len(list(pytester.path.glob("runpytest-[0-9]*/faxfinder-host/template/ready"))) == 1
    assert len(list(pytester.path.glob("runpytest-[0-9]*/popen-gw*/faxfinder[0-9]*"))) == 2  # (their data dirs)
    # the run over, its boxes and the host are gone
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (any(_answers(url) for _, url in boxes) or _host_running(pytester.path)):
        time.sleep(0.1)
    assert not any(_answers(url) for _, url in boxes)
    assert not _host_running(pytester.path)


def _answers(url: str) -> bool:
    try:
        httpx.get(url + "/_emulator/health", timeout=1)
    except httpx.TransportError:
        return False
    return True


def _host_running(path) -> bool:
    return bool(list(path.glob("runpytest-[0-9]*/faxfinder-host/host.json")))


# -- an emulator already running ----------------------------------------------------------------------------------
EXTERNAL = """
import httpx

def test_1_uses_the_running_box(faxfinder):
    assert faxfinder.journal() == []  # reset through its control plane
    response = httpx.post(faxfinder.url + "/contacts/admin", content="<contact><name>Left behind</name></contact>",
                          auth=faxfinder.auth)
    assert response.status_code == 200, response.text

def test_2_a_box_of_other_settings_is_skipped(faxfinder_factory):
    faxfinder_factory(model="FF840")
"""


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_fixture_uses_an_emulator_already_running(pytester: pytest.Pytester, tmp_path, monkeypatch, how):
    server = EmulatorServer(tmp_path / "running", control_token="s3cret")
    server.start()
    try:
        handle = server.handle()
        handle.advance(3600)
        pytester.makepyfile(test_external=EXTERNAL)
        monkeypatch.setenv("FFEMU_CONTROL_TOKEN", "s3cret")
        if how == "option":
            result = pytester.runpytest_subprocess(
                "-p", "no:cacheprovider", "-rs", f"--faxfinder-url={server.base_url}/"
            )
        else:
            monkeypatch.setenv("FFEMU_URL", server.base_url)
            result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines(["SKIPPED*needs a box with {'model': 'FF840'}*already running at*"])
        # the running box is the one the tests used: reset (the clock is back), and what the test wrote is there
        assert handle.clock()["now"] == "2026-01-01T00:00:00"
        contacts = httpx.get(handle.url + "/contacts/admin", auth=handle.auth).text
        assert "<name>Left behind</name>" in contacts
        handle.close()
    finally:
        server.stop()
