"""A client's abort and a queue step running at the same moment neither deadlock nor fail with "database is locked"
(both take the queue's lock before SQLite's write lock)."""

import threading

from emulator.device.preprocess import Preprocessor
from tests.conftest import FFClient
from tests.ffws.clients import fax_to


def test_an_abort_during_a_queue_step_waits_for_it_and_both_succeed(client, monkeypatch):
    assert client.post("/ffws/v1/ofax", fax_to("555-1234")).status_code == 201
    assert client.post("/ffws/v1/ofax", fax_to("555-1235")).status_code == 201
    inside, release = threading.Event(), threading.Event()
    original = Preprocessor.prepare

    def slow_prepare(self, db, now):  # a queue step busy converting documents, holding the queue's lock
        inside.set()
        release.wait(10)
        original(self, db, now)

    monkeypatch.setattr(Preprocessor, "prepare", slow_prepare)
    box, errors, answers = client.box, [], []

    def step() -> None:
        try:
            box.advance(20)  # both faxes are dialling when it ends
        except Exception as exc:  # noqa: BLE001 - the failure is what this test looks for
            errors.append(exc)

    def abort() -> None:
        other = FFClient(box)  # another connection, as a second client would have
        try:
            answers.append(other.delete("/ffws/v1/ofax/00000001").status_code)
        finally:
            other.close_client()

    stepping = threading.Thread(target=step)
    stepping.start()
    assert inside.wait(10)
    aborting = threading.Thread(target=abort)
    aborting.start()
    aborting.join(0.5)
    assert aborting.is_alive()  # the abort waits for the step instead of taking SQLite's lock under it
    release.set()
    stepping.join(20)
    aborting.join(20)
    assert not stepping.is_alive() and not aborting.is_alive()
    assert errors == [] and answers == [202]
    states = client.get("/ffws/v1/ofax/00000001").text
    assert "<state>aborted</state>" in states
