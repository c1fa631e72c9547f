"""The races a client can hit, each driven deterministically: a thread is held at the exact point where the other
request used to slip in, the other request runs, then the first is let go.

- a fax scheduled while an advance converts documents (it used to end ``dead``: "Conversion failed");
- an abort while an advance converts documents (it no longer waits for the conversion);
- a reset while an upload is being parsed, and while a schedule is storing its fax (``500`` and faxes without files);
- a password change while a login verifies the old password (the old password stayed valid);
- a user gone by a reset, whose request was authenticated from the cache before it (it acted as someone else).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from emulator.device.preprocess import Preprocessor
from emulator.ffws.auth import Passwords
from emulator.ffws.ofax import routes as ofax_routes
from emulator.ffws.ofax import service as ofax_service
from tests.conftest import FFClient
from tests.ffws.clients import create_user, fax_to, view

WAIT = 20  # seconds: only ever reached when the code under test is broken


class Gate:
    """Holds the first thread that reaches it until ``release``; later threads pass straight through."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self._open = threading.Event()
        self._taken = threading.Lock()
        self._first = True

    def __call__(self) -> None:
        with self._taken:
            first, self._first = self._first, False
        if first:
            self.reached.set()
            assert self._open.wait(WAIT), "the gate was never opened"

    def release(self) -> None:
        self._open.set()


def hold(monkeypatch, owner: object, name: str, gate: Gate, *, before: bool = True) -> None:  # noqa: ANN001
    """Make ``owner.name`` stop at ``gate`` (before or after doing its work)."""
    original = getattr(owner, name)

    def held(*args, **kwargs):  # noqa: ANN002, ANN003
        if before:
            gate()
        result = original(*args, **kwargs)
        if not before:
            gate()
        return result

    monkeypatch.setattr(owner, name, held)


@contextmanager
def in_thread(action: Callable[[], object]) -> Iterator[list]:
    """Run ``action`` in a thread; the list holds its result (or the exception it raised) once the block ends."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(action())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield outcome
    finally:
        thread.join(WAIT)
        assert not thread.is_alive(), "the thread never finished"


def second_client(client: FFClient) -> Callable[..., object]:
    """A request from another connection (as a second client would send it), usable from any thread."""

    def send(method: str, path: str, body: str | None = None, **kwargs: object) -> object:
        other = FFClient(client.box)
        try:
            return other.request(method, path, body, **kwargs)
        finally:
            other.close_client()

    return send


def test_a_fax_scheduled_while_an_advance_converts_documents_is_sent(client, monkeypatch):
    assert client.post("/ffws/v1/ofax", fax_to("555-1234")).status_code == 201
    gate = Gate()
    hold(monkeypatch, Preprocessor, "_convert", gate)
    send = second_client(client)
    with in_thread(lambda: client.box.advance(20)) as advanced:
        assert gate.reached.wait(WAIT)
        # The advance is converting fax 1, outside the queue's lock: a schedule goes through at once.
        scheduled = send("POST", "/ffws/v1/ofax", fax_to("555-1235"))
        assert scheduled.status_code == 201, scheduled.text
        gate.release()
    assert advanced and not isinstance(advanced[0], Exception)
    assert view(client, "00000002/0000")["state"] != "dead"
    client.box.advance(600)
    assert view(client, "00000001/0000")["state"] == "sent"
    assert view(client, "00000002/0000")["state"] == "sent"


def test_an_abort_while_an_advance_converts_documents_does_not_wait_and_both_succeed(client, monkeypatch):
    assert client.post("/ffws/v1/ofax", fax_to("555-1234")).status_code == 201
    assert client.post("/ffws/v1/ofax", fax_to("555-1235")).status_code == 201
    gate = Gate()
    hold(monkeypatch, Preprocessor, "_convert", gate)
    send = second_client(client)
    with in_thread(lambda: client.box.advance(20)) as advanced:
        assert gate.reached.wait(WAIT)
        assert send("DELETE", "/ffws/v1/ofax/00000001").status_code == 202
        gate.release()
    assert advanced and not isinstance(advanced[0], Exception)
    assert view(client, "00000001/0000")["state"] == "aborted"
    client.box.advance(600)
    assert view(client, "00000002/0000")["state"] == "sent"


def test_a_reset_while_an_upload_is_parsed_lets_it_land_whole_afterwards(client, monkeypatch):
    gate = Gate()
    hold(monkeypatch, ofax_routes, "read_schedule_fax", gate, before=False)  # its attachment is in a file by now
    send = second_client(client)
    with in_thread(lambda: send("POST", "/ffws/v1/ofax", fax_to("555-1234"))) as answer:
        assert gate.reached.wait(WAIT)
        assert client.post("/_emulator/reset").status_code == 200  # never waits for the parse
        gate.release()
    assert answer[0].status_code == 201, answer[0].text
    client.box.advance(600)  # its files are there: converted and sent, no 500
    assert view(client, "00000001/0000")["state"] == "sent"


def test_a_reset_while_a_schedule_stores_its_fax_comes_wholly_after_it(client, monkeypatch):
    gate = Gate()
    hold(monkeypatch, ofax_service, "_store_documents", gate, before=False)  # inside the unit of work
    send = second_client(client)
    with in_thread(lambda: send("POST", "/ffws/v1/ofax", fax_to("555-1234"))) as answer:
        assert gate.reached.wait(WAIT)
        with in_thread(lambda: client.box.reset()) as reset:
            threading.Event().wait(0.2)  # room for a reset that did not wait to finish (it must not have)
            assert not reset  # the reset waits for the schedule's unit of work
            gate.release()
    assert answer[0].status_code == 201, answer[0].text
    assert reset == [None]
    assert client.get("/ffws/v1/ofax/00000001").status_code == 404  # reset after it: the fax is gone
    assert not list(client.box.store.root.glob("faxes/*"))  # and so are its files
    assert client.post("/_emulator/clock/advance", json={"seconds": 600}).status_code == 200


def test_a_password_changed_while_a_login_verifies_the_old_one_leaves_it_invalid(client, monkeypatch):
    auth = create_user(client, "bob", "old-secret")
    gate = Gate()
    original = Passwords.verify

    def verify(self, password, hashed):  # noqa: ANN001, ANN202
        result = original(self, password, hashed)
        if password == "old-secret":
            gate()  # the old hash is read and verified; the login has not been remembered yet
        return result

    monkeypatch.setattr(Passwords, "verify", verify)
    send = second_client(client)
    with in_thread(lambda: send("GET", "/ffws/v1/ofax", auth=auth)):
        assert gate.reached.wait(WAIT)
        changed = client.put("/ffws/v1/users/bob", "<user><password>new-secret</password></user>")
        assert changed.status_code == 200, changed.text
        gate.release()
    assert client.get("/ffws/v1/ofax", auth=auth).status_code == 401
    assert client.get("/ffws/v1/ofax", auth=("bob", "new-secret")).status_code == 200


def test_a_user_gone_by_a_reset_cannot_act_with_a_cached_login(client, monkeypatch):
    auth = create_user(client, "bob", "secret")
    assert client.get("/ffws/v1/verify", auth=auth).status_code == 200  # now in the credential cache
    gate = Gate()
    hold(monkeypatch, ofax_routes, "read_schedule_fax", gate)  # authenticated, its unit of work not begun
    send = second_client(client)
    with in_thread(lambda: send("POST", "/ffws/v1/ofax", fax_to("555-1234"), auth=auth)) as answer:
        assert gate.reached.wait(WAIT)
        assert client.post("/_emulator/reset").status_code == 200
        create_user(client, "carol", "other")  # takes bob's old id
        gate.release()
    assert answer[0].status_code == 401
    assert client.get("/ffws/v1/ofax/00000001").status_code == 404  # nothing was scheduled in anyone's name
    assert client.get("/ffws/v1/verify", auth=auth).status_code == 401
