"""The races a client can hit, each driven deterministically: a thread is held at the exact point where the other
request used to slip in, the other request runs, then the first is let go.

- a fax scheduled while an advance converts documents (it used to end ``dead``: "Conversion failed");
- an abort while an advance converts documents (it no longer waits for the conversion);
- a reset while an upload is being parsed, and while a schedule is storing its fax (``500`` and faxes without files);
- a password change while a login verifies the old password (the old password stayed valid);
- a user gone by a reset, whose request was authenticated from the cache before it (it acted as someone else);
- a conversion begun while a reset waited, applied to the new fax that reused the key (a valid fax ended dead);
- an advance that a reset overtook (the clock jumped to the old state's target);
- more writers at once than the worker-thread pool has threads (the one holding the lock could never commit).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from emulator.device.preprocess import Preprocessor
from emulator.ffws.auth import Passwords
from emulator.ffws.ofax import routes as ofax_routes
from emulator.ffws.ofax import service as ofax_service
from tests.conftest import ADMIN, FFClient
from tests.ffws.clients import create_user, fax_to, pdf_attachment, view

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


class WatchedLock:
    """The queue's lock, telling when somebody asks for it."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self.wanted = threading.Event()

    def acquire(self, *args: object, **kwargs: object) -> bool:
        self.wanted.set()
        return self._lock.acquire(*args, **kwargs)

    def release(self) -> None:
        self._lock.release()


def watch_lock(monkeypatch, client: FFClient) -> WatchedLock:  # noqa: ANN001
    """Units of work begun from now on take the same lock through a watcher."""
    watched = WatchedLock(client.box.works.lock)
    monkeypatch.setattr(client.box.works, "lock", watched)
    return watched


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
        lock = watch_lock(monkeypatch, client)
        with in_thread(lambda: client.box.reset()) as reset:
            assert lock.wanted.wait(WAIT)  # the reset asks for the queue's lock, which the schedule holds
            assert not reset  # so it has not happened
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
    with in_thread(lambda: send("GET", "/ffws/v1/ofax", auth=auth)) as login:
        assert gate.reached.wait(WAIT)
        changed = client.put("/ffws/v1/users/bob", "<user><password>new-secret</password></user>")
        assert changed.status_code == 200, changed.text
        gate.release()
    # It was verified before the change and its transaction begins after it: refused, its user's row has changed.
    assert login[0].status_code == 401
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


def test_a_conversion_begun_while_a_reset_waited_is_never_applied_to_the_fax_that_reuses_its_key(client, monkeypatch):
    two_documents = fax_to("555-1234").replace("</schedule_fax>", pdf_attachment(3, "more.pdf") + "</schedule_fax>")
    assert client.post("/ffws/v1/ofax", two_documents).status_code == 201  # fax 1: 1 + 3 pages
    stored, converted, reset_done = Gate(), Gate(), threading.Event()
    hold(monkeypatch, ofax_service, "_store_documents", stored, before=False)
    hold(monkeypatch, Preprocessor, "_convert", converted, before=False)
    fresh_state = client.box._fresh_state
    monkeypatch.setattr(client.box, "_fresh_state", lambda: (fresh_state(), reset_done.set()))
    send = second_client(client)
    with in_thread(lambda: send("POST", "/ffws/v1/ofax", fax_to("555-1236"))):
        assert stored.reached.wait(WAIT)  # a schedule holds the queue's lock
        lock = watch_lock(monkeypatch, client)
        with in_thread(lambda: send("POST", "/_emulator/reset")):
            assert lock.wanted.wait(WAIT)  # a reset waits for it
            with in_thread(lambda: client.box.advance(20)):
                assert converted.reached.wait(WAIT)  # meanwhile fax 1 of the old state is converted
                stored.release()  # the schedule commits, the reset follows
                assert reset_done.wait(WAIT)
                assert send("POST", "/ffws/v1/ofax", fax_to("555-1235", pages=2)).status_code == 201  # fax 1 again
                converted.release()
    client.box.advance(600)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["pages"]) == ("sent", "2")


def test_an_advance_that_a_reset_overtakes_leaves_the_clock_where_the_reset_put_it(client, monkeypatch):
    start = client.get("/_emulator/clock").json()["now"]
    assert client.post("/ffws/v1/ofax", fax_to("555-1234")).status_code == 201
    gate = Gate()
    hold(monkeypatch, Preprocessor, "_convert", gate)
    send = second_client(client)
    with in_thread(lambda: client.box.advance(3600)):
        assert gate.reached.wait(WAIT)
        assert send("POST", "/_emulator/reset").status_code == 200
        gate.release()
    assert client.get("/_emulator/clock").json()["now"] == start  # not an hour on: that target was the old state's


def test_many_writers_at_once_on_one_event_loop_all_finish(client):
    """More writers than the worker-thread pool has threads (40): the one holding the queue's lock must still be
    able to commit and release it."""
    writers = 60

    async def all_at_once() -> list[int]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://faxfinder.test", auth=ADMIN) as http:
            posts = [http.post("/ffws/v1/ofax", content=fax_to(f"555-{2000 + n}")) for n in range(writers)]
            answers = await asyncio.wait_for(asyncio.gather(*posts), WAIT * 3)
        return [answer.status_code for answer in answers]

    assert asyncio.run(all_at_once()) == [201] * writers
