"""The pytest plugin of faxfinder-emulator (entry point ``pytest11``): the ``faxfinder`` and ``faxfinder_factory``
fixtures, and the ``--faxfinder-url`` option.

The emulator runs in a process of its own on a free port of 127.0.0.1 (emulator.testing.factory), on a temporary data
dir, with the manual clock; every test starts from a reset box. With ``--faxfinder-url`` (or ``FFEMU_URL``) the tests
use an emulator already running instead. Tests drive time with ``advance`` and ``wait_for_state`` (which returns as
soon as the fax is final, or raises naming the state it ended in) instead of sleeping::

    def test_busy_line_is_retried(faxfinder):
        faxfinder.fault(kind="fax", fax_number="*5555", outcome="busy_then_sent")
        entry_url = my_client(faxfinder.url, faxfinder.auth).send_fax("555-5555", "hello")
        assert faxfinder.wait_for_state(entry_url, "sent", "failed") == "sent"

Override the ``faxfinder_settings`` fixture (a dict of settings, e.g. ``{"model": "FF840"}``; in a conftest.py or a
test module) to emulate another box, or ask ``faxfinder_factory(model="FF840")`` for one;
``{"strict": True}`` answers 400 to any request a careful client would not send. Either way ``faxfinder.warnings()``
lists what the box tolerated (unknown elements, a wrong content type, …)::

    def test_my_client_sends_clean_requests(faxfinder):
        my_client(faxfinder.url, faxfinder.auth).send_fax("555-5555", "hello")
        assert faxfinder.warnings() == []
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.testing.factory import Factory
from emulator.testing.server import EmulatorHandle


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("faxfinder").addoption(
        "--faxfinder-url",
        default=None,
        help="use the FaxFinder emulator already running at this URL (env FFEMU_URL; its control token from "
        "FFEMU_CONTROL_TOKEN) instead of starting one; it is reset before each test",
    )


@pytest.fixture(scope="session")
def faxfinder_settings() -> dict[str, Any]:
    """Settings of the emulator the ``faxfinder`` fixture gives; override it (in a conftest.py or a test module)
    to emulate another box: each distinct settings get a box of their own."""
    return {}


@pytest.fixture(scope="session")
def faxfinder_factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Factory]:
    """``faxfinder_factory(model="FF840", strict=True, …)``: a box with those settings, reset to its fixtures (one
    emulator per distinct settings for the session, started when first asked for)."""
    external = request.config.getoption("--faxfinder-url") or os.environ.get("FFEMU_URL") or None
    factory = Factory(tmp_path_factory, external, xdist_worker=hasattr(request.config, "workerinput"))
    yield factory
    factory.close()


@pytest.fixture
def faxfinder(faxfinder_factory: Factory, faxfinder_settings: dict[str, Any]) -> Iterator[EmulatorHandle]:
    """A FaxFinder emulator reset to its fixtures: base_url, url, auth, advance, wait_for_state, inbound, fault,
    journal, warnings, outbox, mail_message, send_mail (fax by e-mail)."""
    handle = faxfinder_factory(**faxfinder_settings)
    yield handle
