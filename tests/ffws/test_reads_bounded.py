"""Reads bounded by what they return (issue 9): GET /ofax in every variant, /ofax/KEY and /ofax/KEY/ENTRY,
outbound_status, the logs and their counts, contacts and groups.

On one history of mixed faxes (sent, failed, dead, aborted, rescheduled, pending, sending, preprocessing; entries of
one fax that end at the same instant; received faxes for several users), every answer must be byte for byte what
the device's rules give when they are computed the slow way, from every row (``reference_*``: the listings as they
were written before they were bounded). Then each request's SQL is watched: a bigger answer of the same read takes
no more statements (no query per entry or record), no more rows are loaded than the answer shows, and the query
plan of every statement reads an index: no table is scanned whole, and no statement with a LIMIT sorts.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import event, select

from emulator.db import Base
from emulator.device import models as m
from emulator.device.inbound import InboundFax
from emulator.device.models import Attachment, Attempt, Call, Fax, FaxEntry
from emulator.ffws.auth import Caller, may_act_on
from emulator.ffws.contacts.models import Contact
from emulator.ffws.groups.models import ContactGroup, GroupMember
from emulator.ffws.logs import wire as log_wire
from emulator.ffws.ofax.wire import fax_entry_element
from emulator.ffws.users.models import User
from emulator.wire import el, envelope
from tests.conftest import ADMIN, FFClient, make_box
from tests.ffws.clients import BASE, OFAX, advance, create_user, element, fax_to, party, recipient, schedule
from tests.ffws.clients import schedule_body as body_of

DAVE = ("dave", "dave-pw")
ERIN = ("erin", "erin-pw")
PEOPLE = {"admin": ADMIN, "dave": DAVE, "erin": ERIN}
FUTURE = "2030-01-01T00:00:00"
WATCHED = (Fax, FaxEntry, Attachment, Attempt, Call, InboundFax, Contact, ContactGroup, GroupMember)


# -- the history ---------------------------------------------------------------------------------------------------
def _route(client: FFClient, *users: str) -> None:
    destinations = [element("destination", party(type="user", value=u)) for u in users]
    response = client.put("/ffws/v1/inbound_routes", element("inbound_route", party(type="global") + destinations))
    assert response.status_code == 200, response.text


def _receive(client: FFClient, count: int) -> None:
    for n in range(count):
        response = client.post("/_emulator/inbound", json={"remote_id": f"SENDER {n}", "pages": 1})
        assert response.status_code == 201, response.text
        advance(client, 60)


def _key(entry: etree._Element) -> str:
    return "/".join(entry.findtext("fax_entry_url").rsplit("/", 2)[-2:])


def build_history(client: FFClient) -> None:
    create_user(client, *DAVE)
    create_user(client, *ERIN)
    _route(client, "dave", "erin")
    _receive(client, 3)
    _route(client, "erin")
    _receive(client, 2)
    owners = (ADMIN, DAVE, ERIN)
    for i in range(12):  # every fourth with three recipients, whose entries end at the same instant
        numbers = [f"218-555-{i:02d}{k}8" for k in range(3 if i % 4 == 0 else 1)]
        recipients = [recipient(number) for number in numbers]
        schedule(client, body_of(recipients=recipients, max_tries=2, try_interval=30), auth=owners[i % 3])
    for number, auth in (("218-555-0001", DAVE), ("218-555-0005", ADMIN), ("218-555-0006", ERIN)):
        schedule(client, fax_to(number, max_tries=2, try_interval=30), auth=auth)  # failed, sent on try 2, dead
    advance(client, 900)
    (sent,) = schedule(client, fax_to("218-555-7778"), auth=DAVE)
    advance(client, 120)
    assert client.put(f"{OFAX}/{_key(sent)}?at={FUTURE}", auth=DAVE).status_code == 202  # final, then pending again
    schedule(client, fax_to("218-555-7788", schedule_all_at=FUTURE))
    schedule(client, fax_to("218-555-7798", schedule_all_at=FUTURE), auth=DAVE)
    (aborted,) = schedule(client, fax_to("218-555-7808", schedule_all_at=FUTURE), auth=ERIN)
    assert client.delete(f"{OFAX}/{_key(aborted)}", auth=ERIN).status_code == 202
    schedule(client, fax_to("218-555-7818", pages=5))
    schedule(client, fax_to("218-555-7828", pages=5), auth=DAVE)
    advance(client, 40)  # both sending now
    schedule(client, fax_to("218-555-7838"))  # preprocessing


@pytest.fixture(scope="module")
def history(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FFClient]:
    """One box with the history above, for every (read-only) test of this module."""
    # One worker: the tests count the statements and rows of the process that serves them.
    data_dir = tmp_path_factory.mktemp("bounded-reads") / "data"
    client = FFClient(make_box(template_dir, data_dir, workers=1, model="FF440"))
    try:
        build_history(client)
        yield client
    finally:
        client.close()


def test_the_history_has_every_kind_of_entry(history: FFClient) -> None:
    with history.box.db.read() as session:
        states = set(session.scalars(select(FaxEntry.state)))
        completed = Counter(session.scalars(select(FaxEntry.completed_at).where(FaxEntry.completed_at.is_not(None))))
    assert {m.SENT, m.FAILED, m.DEAD, m.ABORTED, m.PENDING, m.SENDING, m.PREPROCESSING} <= states
    assert max(completed.values()) > 1  # entries completed at the same instant: their key decides between them


def test_an_entry_has_a_completion_time_exactly_while_it_is_final(history: FFClient) -> None:
    """The listing of the newest completed entries reads the index of completed_at: it must mark the final ones."""
    with history.box.db.read() as session:
        for entry in session.scalars(select(FaxEntry)):
            assert (entry.completed_at is not None) == (entry.state in m.FINAL_STATES), (entry.state, entry.id)


# -- the slow way, from every row (the listings as they were) -----------------------------------------------------
def caller_of(client: FFClient, auth: tuple[str, str]) -> Caller:
    with client.box.db.read() as session:
        user = session.scalars(select(User).where(User.username == auth[0])).one()
        return Caller(id=user.id, username=user.username, is_admin=user.is_admin)


def reference_entries(session: Any, caller: Caller, all_users: bool, klass: str | None, limit: int) -> list[FaxEntry]:
    stmt = select(FaxEntry).join(Fax)
    if not (all_users and caller.is_admin):
        stmt = stmt.where(Fax.owner == caller.username)
    if klass == "pending":
        stmt = stmt.where(FaxEntry.state.in_((m.PREPROCESSING, m.APPROVAL_PENDING, m.PENDING)))
    elif klass == "sending":
        stmt = stmt.where(FaxEntry.state == m.SENDING)
    elif klass == "complete":
        stmt = stmt.where(FaxEntry.state.in_(m.FINAL_STATES))
    entries = list(session.scalars(stmt.order_by(FaxEntry.fax_id, FaxEntry.number)))
    complete = [e for e in entries if e.state in m.FINAL_STATES]
    if len(complete) > limit:
        newest = sorted(complete, key=lambda e: (e.completed_at or e.stime, e.fax_id, e.number))[-limit:]
        keep = {e.id for e in newest} if limit else set()
        entries = [e for e in entries if e.state not in m.FINAL_STATES or e.id in keep]
    return entries


def reference_attempt(session: Any, entry: FaxEntry) -> Attempt | None:
    stmt = select(Attempt).where(Attempt.entry_id == entry.id, Attempt.finished.is_(True)).order_by(Attempt.id.desc())
    return session.scalars(stmt).first()


def rendered(client: FFClient, session: Any, entries: list[FaxEntry], with_info: bool = False) -> bytes:
    box = client.box
    infos = [reference_attempt(session, e) if with_info else None for e in entries]
    elements = [
        fax_entry_element(e, BASE, box.zone, box.firmware, listing=True, modem_info=i, line_word=box.profile.line_word)
        for e, i in zip(entries, infos, strict=True)
    ]
    return envelope("Success", elements)


OFAX_QUERIES = [
    {},
    {"all_users": "true"},
    {"class": "pending"},
    {"class": "sending"},
    {"class": "complete"},
    {"all_users": "true", "class": "pending"},
    {"all_users": "true", "class": "sending"},
    {"all_users": "true", "class": "complete"},
    {"complete_limit": "0"},
    {"complete_limit": "1"},
    {"complete_limit": "4", "include_modem_info": "true"},
    {"all_users": "true", "complete_limit": "3"},
    {"all_users": "true", "class": "complete", "complete_limit": "7", "include_modem_info": "true"},
    {"all_users": "true", "complete_limit": "1000", "include_modem_info": "true"},
    {"class": "complete", "complete_limit": "0"},
    {"class": "pending", "complete_limit": "0"},
]


@pytest.mark.parametrize("who", sorted(PEOPLE))
@pytest.mark.parametrize("params", OFAX_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "none")
def test_fax_entries_are_the_ones_the_rules_give(history: FFClient, who: str, params: dict[str, str]) -> None:
    caller = caller_of(history, PEOPLE[who])
    response = history.get(OFAX, params=params, auth=PEOPLE[who])
    assert response.status_code == 200, response.text
    all_users = params.get("all_users") == "true"
    limit = int(params.get("complete_limit", "10"))
    with history.box.db.read() as session:
        entries = reference_entries(session, caller, all_users, params.get("class"), limit)
        assert response.content == rendered(history, session, entries, params.get("include_modem_info") == "true")


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_each_fax_and_entry_is_what_the_rules_give(history: FFClient, who: str) -> None:
    caller = caller_of(history, PEOPLE[who])
    with history.box.db.read() as session:
        faxes = list(session.scalars(select(Fax).order_by(Fax.id)))
        for fax in faxes:
            visible = may_act_on(caller, fax.owner)
            path = f"{OFAX}/{fax.id:08X}"
            response = history.get(path, auth=PEOPLE[who], params={"include_modem_info": "true"})
            assert response.status_code == (200 if visible else 404)
            if visible:
                assert response.content == rendered(history, session, list(fax.entries), with_info=True)
            for entry in fax.entries:
                response = history.get(f"{path}/{entry.number:04X}", auth=PEOPLE[who])
                assert response.status_code == (200 if visible else 404)
                if visible:
                    assert response.content == rendered(history, session, [entry])
        response = history.get(f"{OFAX}/{faxes[0].id:08X}/0009", auth=PEOPLE[who])
        assert response.status_code == 404


STATUS_QUERIES = [
    {},
    {"class": "pending"},
    {"class": "sending"},
    {"pending_limit": "1"},
    {"sending_limit": "1", "pending_limit": "2"},
    {"pending_limit": "0"},
    {"class": "pending", "pending_limit": "0"},
]


@pytest.mark.parametrize("who", sorted(PEOPLE))
@pytest.mark.parametrize("params", STATUS_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "none")
def test_outbound_status_is_what_the_rules_give(history: FFClient, who: str, params: dict[str, str]) -> None:
    caller = caller_of(history, PEOPLE[who])
    response = history.get("/ffws/v1/outbound_status", params=params, auth=PEOPLE[who])
    klass = params.get("class")
    with history.box.db.read() as session:
        entries = []
        for kind in ("sending", "pending"):
            if klass in (None, kind):
                limit = int(params.get(f"{kind}_limit", "10"))
                entries += reference_entries(session, caller, True, kind, 0)[:limit]
        if not entries:
            assert response.status_code == 404
            return
        assert response.status_code == 200, response.text
        elements = [fax_entry_element(e, BASE, history.box.zone, history.box.firmware, listing=True) for e in entries]
        assert response.content == envelope("Success", elements)


def _listed(names: str, username: str) -> bool:
    return username in names.split(",")


def reference_log(session: Any, caller: Caller, kind: str) -> list[Any]:
    """Every record of a log the caller may see, oldest first."""
    model = {"inbound": InboundFax, "outbound": Attempt, "call": Call}[kind]
    rows = sorted(session.scalars(select(model)), key=lambda r: (r.start_time, r.id))
    if kind != "call":
        rows = [r for r in rows if r.finished]
    if caller.is_admin:
        return rows
    if kind == "outbound":
        return [r for r in rows if r.owner == caller.username]
    return [r for r in rows if _listed(r.recipient if kind == "inbound" else r.owner, caller.username)]


LOG_QUERIES = ["", "limit=3", "limit=3&offset=2", "order=asc", "order=asc&limit=2&offset=1", "limit=1000&offset=4"]


def _log_element(client: FFClient, kind: str, record: Any) -> Any:
    box = client.box
    if kind == "inbound":
        return log_wire.inbound_log_element(record, BASE, box.zone, box.profile.is_ip)
    if kind == "outbound":
        return log_wire.outbound_log_element(record, BASE, box.zone, box.profile.is_ip)
    return log_wire.call_element(record, box.zone, box.profile.is_ip)


@pytest.mark.parametrize("who", sorted(PEOPLE))
@pytest.mark.parametrize("kind", ["inbound", "outbound", "call"])
@pytest.mark.parametrize("query", LOG_QUERIES)
def test_log_pages_and_counts_are_what_the_rules_give(history: FFClient, who: str, kind: str, query: str) -> None:
    caller = caller_of(history, PEOPLE[who])
    params = dict(part.split("=") for part in query.split("&") if part)
    response = history.get(f"/ffws/v1/{kind}_log?{query}", auth=PEOPLE[who])
    assert response.status_code == 200, response.text
    with history.box.db.read() as session:
        rows = reference_log(session, caller, kind)
        assert rows, "the history gives every caller some records of every log"
        count = history.get(f"/ffws/v1/log_count/{kind}", auth=PEOPLE[who])
        assert count.content == envelope("Success", [el("count", len(rows))])
        if params.get("order", "desc") == "desc":
            rows.reverse()
        offset = int(params.get("offset", 0)) if "limit" in params else 0
        page = rows[offset : offset + int(params.get("limit", 50))]
        assert response.content == envelope("Success", [_log_element(history, kind, r) for r in page])


# -- the work each read does ---------------------------------------------------------------------------------------
@dataclass
class Seen:
    statements: list[tuple[str, Any]] = field(default_factory=list)
    loaded: Counter[str] = field(default_factory=Counter)


@contextmanager
def watching(client: FFClient) -> Iterator[Seen]:
    """The SQL statements run and the rows loaded (by model) meanwhile."""
    seen = Seen()

    def executed(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if threading.current_thread().name != "faxfinder-cluster-notices":  # (PostgreSQL: told to other workers
            seen.statements.append((statement, parameters))  # in the background, not the request's statements)

    def loaded(target: Any, _context: Any) -> None:
        seen.loaded[type(target).__name__] += 1

    engine = client.box.db.engine
    event.listen(engine, "before_cursor_execute", executed)
    for model in WATCHED:
        event.listen(model, "load", loaded)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        for model in WATCHED:
            event.remove(model, "load", loaded)


def watched_get(client: FFClient, path: str, auth: tuple[str, str] = ADMIN) -> tuple[httpx.Response, Seen]:
    client.get(path, auth=auth)  # once before: the caller's credentials are cached, as they are for a client
    with watching(client) as seen:
        response = client.get(path, auth=auth)
    assert response.status_code == 200, response.text
    return response, seen


def rows_of(response: httpx.Response) -> int:
    return len(etree.fromstring(response.content)) - 1  # the elements after <message>


TABLES = {table.name for table in Base.metadata.sorted_tables}
WHOLE_COUNT = re.compile(r"count\(\*\) AS \w+\s+FROM (\w+)\s*(?:\)|$)")  # a count of every row of a table


def assert_reads_indexes(client: FFClient, seen: Seen) -> list[str]:
    """A table is read from one end (SCAN, with or without an index) only by a statement with a LIMIT, that does not
    sort (it reads an index in its order and stops at the limit), or by a count of all its rows (SQLite's count of a
    b-tree); otherwise only by SEARCH, a range of an index. Nothing is grouped but in the order of an index. SQLite
    plans these without statistics, so a small box plans them as a big one does. Returns every step of every plan.

    On PostgreSQL the plans are not checked (none is returned): its planner works from table statistics, and for a
    box this small rightly prefers reading a table whole; the statements and the rows they load are still counted."""
    steps: list[str] = []
    if client.box.db.engine.dialect.name != "sqlite":
        return steps
    connection = client.box.db.engine.raw_connection()
    try:
        for statement, parameters in seen.statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            plan = [row[3] for row in connection.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            limited = " LIMIT " in statement
            counted = set(WHOLE_COUNT.findall(statement))
            for step in plan:
                words = step.split()
                table = words[1].rstrip("0123456789").rstrip("_") if len(words) > 1 else ""
                if words[0] == "SCAN" and table in TABLES:
                    assert limited or table in counted, (step, statement)
            if limited:
                assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), (plan, statement)
            assert not any("TEMP B-TREE FOR GROUP BY" in step for step in plan), (plan, statement)
            steps += plan
    finally:
        connection.close()
    return steps


# (small answer, big answer) of the same read: the same statements, rows loaded as the answer needs.
SAME_WORK = {
    "fax entries": (f"{OFAX}?complete_limit=1", f"{OFAX}?all_users=true&complete_limit=1000"),
    "modem info": (
        f"{OFAX}?class=complete&complete_limit=1&include_modem_info=true",
        f"{OFAX}?all_users=true&class=complete&complete_limit=1000&include_modem_info=true",
    ),
    "pending": (f"{OFAX}?class=pending", f"{OFAX}?all_users=true&class=pending"),
    "one fax": (f"{OFAX}/00000002?include_modem_info=true", f"{OFAX}/00000001?include_modem_info=true"),
    "outbound_status": ("/ffws/v1/outbound_status?pending_limit=1", "/ffws/v1/outbound_status?pending_limit=50"),
    "inbound_log": ("/ffws/v1/inbound_log?limit=1", "/ffws/v1/inbound_log?limit=1000"),
    "outbound_log": ("/ffws/v1/outbound_log?limit=1", "/ffws/v1/outbound_log?limit=1000&order=asc"),
    "call_log": ("/ffws/v1/call_log?limit=1", "/ffws/v1/call_log?limit=1000"),
    "contacts": ("/ffws/v1/contacts/admin?limit=1", "/ffws/v1/contacts/admin?order=name&limit=1000"),
    "groups": ("/ffws/v1/contact_groups/admin?limit=1", "/ffws/v1/contact_groups/admin?order=name&limit=1000"),
}


@pytest.fixture(scope="module")
def phone_book(history: FFClient) -> FFClient:
    urls = []
    for n in range(6):
        response = history.post("/ffws/v1/contacts/admin", f"<contact><name>C{5 - n}</name></contact>")
        assert response.status_code == 200, response.text
        urls.append(etree.fromstring(response.content).findtext("contact/contact_url"))
    for n in range(4):
        members = "".join(f"<contact>{url}</contact>" for url in urls[n:])
        group = f"<contact_group><name>G{5 - n}</name>{members}</contact_group>"
        response = history.post("/ffws/v1/contact_groups/admin", group)
        assert response.status_code == 200, response.text
    return history


@pytest.mark.parametrize("read", sorted(SAME_WORK))
def test_a_bigger_answer_takes_no_more_statements(phone_book: FFClient, read: str) -> None:
    small_path, big_path = SAME_WORK[read]
    small, small_seen = watched_get(phone_book, small_path)
    big, big_seen = watched_get(phone_book, big_path)
    assert rows_of(small) < rows_of(big)
    assert len(big_seen.statements) == len(small_seen.statements), [s for s, _ in big_seen.statements]
    for seen in (small_seen, big_seen):
        assert_reads_indexes(phone_book, seen)
        assert seen.loaded["Attachment"] == 0  # no answer shows a fax's attachments


def _loaded(seen: Seen, *models: str) -> int:
    return sum(seen.loaded[name] for name in models)


@pytest.mark.parametrize(
    ("path", "model"),
    [
        (f"{OFAX}?all_users=true", "FaxEntry"),
        (f"{OFAX}?all_users=true&class=complete&complete_limit=2", "FaxEntry"),
        (f"{OFAX}?class=complete&complete_limit=3&include_modem_info=true", "FaxEntry"),
        (f"{OFAX}/00000001", "FaxEntry"),
        (f"{OFAX}/00000001/0001", "FaxEntry"),
        ("/ffws/v1/inbound_log?limit=2", "InboundFax"),
        ("/ffws/v1/outbound_log?limit=3", "Attempt"),
        ("/ffws/v1/call_log?limit=4", "Call"),
        ("/ffws/v1/contacts/admin?limit=2&order=name", "Contact"),
        ("/ffws/v1/contacts/admin?limit=2&order=fax_number", "Contact"),
        ("/ffws/v1/contacts/admin?limit=2&order=phone_number&name=C", "Contact"),
        ("/ffws/v1/contacts/admin?limit=2&order=organization", "Contact"),
        ("/ffws/v1/contact_groups/admin?limit=2", "ContactGroup"),
        ("/ffws/v1/contact_groups/admin?limit=2&order=name", "ContactGroup"),
        ("/ffws/v1/contact_groups/admin?limit=2&order=description", "ContactGroup"),
    ],
)
def test_a_read_loads_the_rows_of_its_answer_only(phone_book: FFClient, path: str, model: str) -> None:
    response, seen = watched_get(phone_book, path)
    assert_reads_indexes(phone_book, seen)
    rows = rows_of(response)
    assert rows > 0
    assert seen.loaded[model] == rows, seen.loaded
    if model == "FaxEntry":
        assert seen.loaded["Attempt"] <= rows and seen.loaded["Fax"] <= rows
    if model == "Attempt":
        assert seen.loaded["FaxEntry"] <= rows and seen.loaded["Fax"] == 0  # a log record names no fax


def test_outbound_status_loads_at_most_a_limit_of_each_state(phone_book: FFClient) -> None:
    response, seen = watched_get(phone_book, "/ffws/v1/outbound_status?pending_limit=1&sending_limit=1")
    assert rows_of(response) == 2
    assert seen.loaded["FaxEntry"] <= 4  # sending, then preprocessing, approval_pending and pending: 1 each


@pytest.mark.parametrize("who", sorted(PEOPLE))
@pytest.mark.parametrize("kind", ["inbound", "outbound", "call"])
def test_log_counts_read_indexes(phone_book: FFClient, who: str, kind: str) -> None:
    if phone_book.box.db.engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite (PostgreSQL plans a table this small by its statistics)")
    _response, seen = watched_get(phone_book, f"/ffws/v1/log_count/{kind}", PEOPLE[who])
    steps = assert_reads_indexes(phone_book, seen)
    assert sum(seen.loaded.values()) == 0
    if who != "admin":  # only the caller's records: a range of the index of whose they are
        owner = "recipient" if kind == "inbound" else "owner"
        assert any(step.startswith("SEARCH") and f"_{owner}" in step and "=?" in step for step in steps), steps
