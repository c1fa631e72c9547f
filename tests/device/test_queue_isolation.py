"""A failure of one entry marks that entry and never stalls the others: an unexpected error while converting one
fax's documents, or in one entry's transition, ends that entry ``dead`` with a clear message; the rest are sent."""

from __future__ import annotations

from emulator.device import queue as queue_module
from emulator.device.preprocess import Preprocessor
from emulator.device.queue import Queue
from tests.ffws.clients import fax_to, view


def test_an_unexpected_error_converting_one_fax_marks_only_that_fax(client, monkeypatch):
    calls = []
    original = Preprocessor._convert_attachment

    def convert(content_type, raw, target, limits):  # noqa: ANN001, ANN202
        calls.append(raw)
        if len(calls) == 1:
            raise RuntimeError("simulated")
        return original(content_type, raw, target, limits)

    monkeypatch.setattr(Preprocessor, "_convert_attachment", staticmethod(convert))
    for number in ("555-1000", "555-1001"):
        assert client.post("/ffws/v1/ofax", fax_to(number)).status_code == 201
    client.box.advance(600)
    first, second = view(client, "00000001/0000"), view(client, "00000002/0000")
    assert first["state"] == "dead"
    assert first["schedule_message"] == "Conversion failed: attachment doc.pdf: internal error"
    assert second["state"] == "sent"


def fail_for(monkeypatch, method: str, fax_number: str) -> None:  # noqa: ANN001
    """Make the queue's ``method`` raise for the entry to ``fax_number`` (and work as usual for the others)."""
    original = getattr(Queue, method)

    def failing(self, session, entry, *args):  # noqa: ANN001, ANN002, ANN202
        if entry.recipient_fax_number == fax_number:
            raise RuntimeError("simulated")
        return original(self, session, entry, *args)

    monkeypatch.setattr(Queue, method, failing)


def test_an_entry_whose_transition_fails_ends_dead_and_the_queue_goes_on(client, monkeypatch):
    fail_for(monkeypatch, "_start_try", "555-1000")
    for number in ("555-1000", "555-1001", "555-1002"):
        assert client.post("/ffws/v1/ofax", fax_to(number)).status_code == 201
    answer = client.post("/_emulator/clock/advance", json={"seconds": 600})
    assert answer.status_code == 200
    bad = view(client, "00000001/0000")
    assert bad["state"] == "dead"
    assert bad["schedule_message"] == queue_module.QUEUE_ERROR_MESSAGE
    assert view(client, "00000002/0000")["state"] == "sent"
    assert view(client, "00000003/0000")["state"] == "sent"


def test_an_entry_whose_call_fails_to_end_frees_its_line(client, monkeypatch):
    fail_for(monkeypatch, "_finish_try", "555-1000")
    for number in ("555-1000", "555-1001"):
        assert client.post("/ffws/v1/ofax", fax_to(number)).status_code == 201
    assert client.post("/_emulator/clock/advance", json={"seconds": 900}).status_code == 200
    assert view(client, "00000001/0000")["state"] == "dead"
    assert view(client, "00000002/0000")["state"] == "sent"
    status = client.get("/ffws/v1/status").text
    assert "<number_outbound>0</number_outbound>" in status  # the failed entry's call was ended: its line is free
