"""The mail queue's upkeep: no mail is left in a state nothing would move it out of. After a start or a snapshot
import, a mail that was being sent is tried again (or held, where no SMTP server is configured), held mails are
queued once there is a server, queued ones held where there is none; a flush takes held mails too; the queue keeps
--outbox-size mails and forgets only finished ones. Deliveries prepared before a reset or an import are void."""

from __future__ import annotations

import asyncio
import errno
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from emulator.mail.models import Mail
from tests.conftest import FFClient, make_box, restart_box
from tests.ffws.clients import advance, schedule
from tests.mail.test_receipts import fax, outbox, send_and_finish

NOWHERE = "smtp://127.0.0.1:9"  # (nothing listens there: every try fails, and is tried again)


@pytest.fixture
def delivering(template_dir, tmp_path):
    client = FFClient(make_box(template_dir, tmp_path / "delivering", smtp_url=NOWHERE))
    yield client
    client.close()


def snapshot_with(client: FFClient, state: str) -> dict:
    """The box's snapshot, its one mail in ``state`` (as an export sees a mail being sent: up to 30 s a try)."""
    snapshot = client.get("/_emulator/state/export").json()
    [row] = snapshot["tables"]["mail_queue"]
    row["state"] = state
    return snapshot


def imported(client: FFClient, snapshot: dict) -> dict:
    assert client.post("/_emulator/state/import", json=snapshot).status_code == 200
    [mail] = outbox(client)
    return mail


def now_of(client: FFClient) -> datetime:
    return datetime.fromisoformat(client.get("/_emulator/clock").json()["now"])


def test_a_mail_imported_while_being_sent_is_tried_again(client, delivering):
    send_and_finish(client, "218-555-1234", "always")
    mail = imported(delivering, snapshot_with(client, "sending"))
    assert mail["state"] == "queued" and datetime.fromisoformat(mail["next_attempt"]) <= now_of(delivering)
    assert delivering.post("/_emulator/outbox/flush").json()["mails"] == 1


def test_a_mail_imported_while_being_sent_is_held_where_nothing_delivers(client, fresh_client):
    send_and_finish(client, "218-555-1234", "always")
    assert imported(fresh_client, snapshot_with(client, "sending"))["state"] == "held"
    assert imported(fresh_client, snapshot_with(client, "queued"))["state"] == "held"


def test_held_mails_are_queued_where_a_server_now_is(client, delivering):
    send_and_finish(client, "218-555-1234", "always")
    [held] = outbox(client)
    assert held["state"] == "held"
    mail = imported(delivering, client.get("/_emulator/state/export").json())
    assert mail["state"] == "queued" and mail["attempts"] == 0


def test_a_restart_puts_every_mail_where_it_can_move(delivering, tmp_path):
    for number in ("218-555-1234", "218-555-0006"):
        schedule(delivering, fax(number, "always"))
    advance(delivering, 3000)
    assert [m["state"] for m in outbox(delivering)] == ["queued", "queued"]
    box = delivering.box
    with box.works() as work:  # as a crash leaves it: the first one was being sent
        work.session.execute(update(Mail).where(Mail.id == 1).values(state="sending"))
    box.stop()
    quiet = FFClient(restart_box(box, tmp_path / "quiet", smtp_url=None))
    try:
        assert [m["state"] for m in outbox(quiet)] == ["held", "held"]  # nothing would ever try them
        assert quiet.post("/_emulator/outbox/flush").json() == {"status": "flushed", "mails": 0, "delivering": False}
        quiet.box.stop()
        again = FFClient(restart_box(quiet.box, tmp_path / "again", smtp_url=NOWHERE))
        try:
            mails = outbox(again)
            assert [m["state"] for m in mails] == ["queued", "queued"]
            assert all(datetime.fromisoformat(m["next_attempt"]) <= now_of(again) for m in mails)
        finally:
            again.close()
    finally:
        quiet.close()


def test_a_flush_takes_held_and_refused_mails_but_not_unaddressed_ones(delivering):
    send_and_finish(delivering, "218-555-1234", "always")
    send_and_finish(delivering, "218-555-0006", "always", email_address="")  # failed: no address
    box = delivering.box
    with box.works() as work:
        work.session.execute(update(Mail).where(Mail.id == 1).values(state="held"))
    assert delivering.post("/_emulator/outbox/flush").json()["mails"] == 1
    assert [m["state"] for m in outbox(delivering)] == ["queued", "failed"]


@pytest.mark.parametrize("settings_overrides", [{"outbox_size": 2}])
def test_the_queue_keeps_outbox_size_mails_forgetting_finished_ones_first(fresh_client):
    for number in ("218-555-1234", "218-555-0006", "218-555-0001"):
        schedule(fresh_client, fax(number, "always"))
    advance(fresh_client, 3000)
    mails = outbox(fresh_client)
    assert [m["id"] for m in mails] == [2, 3] and {m["state"] for m in mails} == {"held"}
    assert fresh_client.get("/_emulator/outbox/1.eml").status_code == 404  # its message went with it


def test_mails_still_to_be_delivered_are_never_forgotten(template_dir, tmp_path):
    client = FFClient(make_box(template_dir, tmp_path / "small", smtp_url=NOWHERE, outbox_size=1))
    try:
        for number in ("218-555-1234", "218-555-0006", "218-555-0001"):
            schedule(client, fax(number, "always"))
        advance(client, 3000)
        assert [(m["id"], m["state"]) for m in outbox(client)] == [(1, "queued"), (2, "queued"), (3, "queued")]
    finally:
        client.close()


# -- deliveries that a reset or an import overtakes -------------------------------------------------------------
def test_a_due_list_read_before_a_reset_claims_none_of_the_new_mails(delivering):
    """The queue's task reads which mails are due, then tries them one after the other; a reset during the first
    try must void the rest of that list: the new mails numbered like the old ones are not due yet."""
    for number in ("218-555-1234", "218-555-0006"):
        schedule(delivering, fax(number, "always"))
    advance(delivering, 3000)
    assert [m["state"] for m in outbox(delivering)] == ["queued", "queued"]  # (composed: a listing settles)
    box, delivery = delivering.box, delivering.box.mail.delivery
    later = box.clock.now() + timedelta(hours=1)
    tried: list[str] = []

    async def overtaken(data: bytes, sender: str, recipient: str) -> None:
        tried.append(recipient)
        await asyncio.to_thread(box.reset)
        with box.works() as work:  # the new state's mails, not due for an hour
            for _ in range(2):
                work.session.add(Mail(created=box.clock.now(), kind="receipt", recipient="new@example.com",
                                      state="queued", next_attempt_at=later))  # fmt: skip
        raise ConnectionRefusedError("the server is down")

    delivery._send = overtaken
    assert asyncio.run(delivery.deliver_due()) == 0
    assert tried == ["sender@example.com"]  # the first try only
    assert [(m["state"], m["attempts"]) for m in outbox(delivering)] == [("queued", 0), ("queued", 0)]


def test_an_import_during_a_try_leaves_the_imported_mail_to_be_tried(client, delivering):
    send_and_finish(client, "218-555-1234", "always")
    snapshot = snapshot_with(client, "sending")
    send_and_finish(delivering, "218-555-0006", "always")
    assert [m["state"] for m in outbox(delivering)] == ["queued"]
    box, delivery = delivering.box, delivering.box.mail.delivery

    async def overtaken(data: bytes, sender: str, recipient: str) -> None:
        await asyncio.to_thread(lambda: imported(delivering, snapshot))

    delivery._send = overtaken
    assert asyncio.run(delivery.deliver_due()) == 0  # the try that ended was of the old state: not counted
    [mail] = outbox(delivering)
    assert mail["state"] == "queued" and mail["attempts"] == 0 and mail["delivered"] is None
    assert box.mail.delivery.due() == [mail["id"]]


# -- the queue's task ----------------------------------------------------------------------------------------------
def test_a_full_disk_is_one_warning_not_a_traceback(fresh_client, caplog):
    mail = fresh_client.box.mail

    def full() -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    mail.settle = full

    async def one_turn() -> None:
        await mail.runner.start()
        for _ in range(200):
            if caplog.records:
                break
            await asyncio.sleep(0.01)
        await mail.runner.stop()

    with caplog.at_level(logging.WARNING, logger="emulator.mail"):
        asyncio.run(one_turn())
    [record] = caplog.records
    assert record.levelno == logging.WARNING and "the disk is full" in record.getMessage()
    assert record.exc_info is None
