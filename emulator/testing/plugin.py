"""The pytest plugin of faxfinder-emulator (entry point ``pytest11``): a ``faxfinder`` fixture.

One emulator per test session runs in a background thread on a free port of 127.0.0.1, on a temporary data dir,
with the manual clock; every test starts from a reset box. Tests drive time with ``advance`` and ``wait_for_state``
instead of sleeping::

    def test_busy_line_is_retried(faxfinder):
        faxfinder.fault(kind="fax", fax_number="*5555", outcome="busy_then_sent")
        entry_url = my_client(faxfinder.url, faxfinder.auth).send_fax("555-5555", "hello")
        assert faxfinder.wait_for_state(entry_url, "sent", "failed") == "sent"

Override the ``faxfinder_settings`` fixture (a dict of settings, e.g. ``{"model": "FF840"}``) to emulate another box;
``{"strict": True}`` answers 400 to any request a careful client would not send. Either way ``faxfinder.warnings()``
lists what the box tolerated (unknown elements, a wrong content type, …)::

    def test_my_client_sends_clean_requests(faxfinder):
        my_client(faxfinder.url, faxfinder.auth).send_fax("555-5555", "hello")
        assert faxfinder.warnings() == []
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator.testing.server import EmulatorHandle, EmulatorServer


@pytest.fixture(scope="session")
def faxfinder_settings() -> dict[str, Any]:
    """Settings of the session's emulator; override in a conftest.py to emulate another model."""
    return {}


@pytest.fixture(scope="session")
def faxfinder_server(
    tmp_path_factory: pytest.TempPathFactory, faxfinder_settings: dict[str, Any]
) -> Iterator[EmulatorServer]:
    server = EmulatorServer(tmp_path_factory.mktemp("faxfinder"), **faxfinder_settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def faxfinder(faxfinder_server: EmulatorServer) -> Iterator[EmulatorHandle]:
    """A FaxFinder emulator reset to its fixtures: base_url, url, auth, advance, wait_for_state, inbound, fault,
    journal, warnings, outbox, mail_message, send_mail (fax by e-mail)."""
    handle = faxfinder_server.handle()
    handle.reset()
    yield handle
    handle.close()
