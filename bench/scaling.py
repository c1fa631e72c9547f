"""Reads at scale: the median latency of every listing read with N = 100, 1,000, 10,000 and 50,000 stored faxes.

    python bench/scaling.py [--sizes 100,1000,10000,50000] [--rounds 30] [--warmup 5]

For each N a fresh emulator (SQLite in a temporary data dir, migrated and seeded by ``Box.start``, the manual clock,
cheap Argon2) is given, by SQLAlchemy bulk inserts straight into its tables (building it over HTTP would take
hours): four users; N faxes owned in turn by admin, alice, bob and carol, every tenth with two recipients, their
entries final (sent, failed after three tries, or aborted) with their attempts and call records; N received faxes
and their calls; N contacts and N groups (two members each) shared by admin, alice and the global list. On top,
the same few entries that are not final at every N (three pending, one preprocessing, one sending on line 1), so
that each read's answer is the same size whatever N is.

Every N's box is built first (all stay open, each with its own app). Each read below is then sent through the ASGI
app in-process (httpx ``ASGITransport``, so no sockets at all), ``--warmup`` rounds untimed and ``--rounds`` timed;
a round sends every read to every N's box in turn, so that a slow moment of the machine hits all sizes alike.
Printed: the median of each read at each N, the ratio of the largest N's median to the smallest's, the SQL
statements of one request at the largest N, and the answer's size at the smallest and largest N. Targets: every
ratio <= 2 and ``GET /ofax`` <= 10 ms at 10,000 faxes. Nothing listens on a port; the temporary directories are
removed. The four histories take about 10 s to store and 110 MB of temporary disk.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.app import create_app  # noqa: E402
from emulator.box import Box  # noqa: E402
from emulator.device import models as m  # noqa: E402
from emulator.device.inbound import InboundFax  # noqa: E402
from emulator.ffws.contacts.models import GLOBAL_OWNER, Contact  # noqa: E402
from emulator.ffws.groups.models import ContactGroup, GroupMember  # noqa: E402
from emulator.ffws.users.models import User  # noqa: E402
from emulator.settings import Settings  # noqa: E402

SIZES = (100, 1_000, 10_000, 50_000)
TARGET_RATIO = 2.0
TARGET_OFAX_MS = 10.0
TARGET_OFAX_AT = 10_000
OWNERS = ("admin", "alice", "bob", "carol")
BOOK_OWNERS = ("admin", "alice", GLOBAL_OWNER)
START = datetime(2026, 1, 1)  # the manual clock: the history lies before it, the entries not final yet after it
ADMIN = ("admin", "admin")
ALICE = ("alice", "alice")
BATCH = 5_000  # rows per executemany


def reads(middle: str) -> list[tuple[str, str, tuple[str, str]]]:
    """(label, path, credentials) of every read measured; ``middle`` is a fax key in the middle of the history.
    Limits are chosen so that every answer has the same size at every N (20 rows fit alice's share at N=100)."""
    ofax, logs = "/ffws/v1/ofax", "/ffws/v1"
    return [
        ("GET /ofax", ofax, ADMIN),
        ("GET /ofax (alice)", ofax, ALICE),
        ("GET /ofax?all_users", f"{ofax}?all_users=true", ADMIN),
        ("GET /ofax?all_users&class=complete", f"{ofax}?all_users=true&class=complete", ADMIN),
        ("GET /ofax?all_users&class=pending", f"{ofax}?all_users=true&class=pending", ADMIN),
        ("GET /ofax?all_users&class=sending", f"{ofax}?all_users=true&class=sending", ADMIN),
        ("GET /ofax?complete_limit=20&modem_info", f"{ofax}?complete_limit=20&include_modem_info=true", ADMIN),
        ("GET /ofax/KEY", f"{ofax}/{middle}", ADMIN),
        ("GET /ofax/KEY/ENTRY?modem_info", f"{ofax}/{middle}/0000?include_modem_info=true", ADMIN),
        ("GET /outbound_status", f"{logs}/outbound_status", ADMIN),
        ("GET /outbound_status (alice)", f"{logs}/outbound_status", ALICE),
        ("GET /inbound_log", f"{logs}/inbound_log", ADMIN),
        ("GET /inbound_log?order=asc", f"{logs}/inbound_log?order=asc", ADMIN),
        ("GET /inbound_log?limit=20 (alice)", f"{logs}/inbound_log?limit=20", ALICE),
        ("GET /outbound_log", f"{logs}/outbound_log", ADMIN),
        ("GET /outbound_log?limit=20 (alice)", f"{logs}/outbound_log?limit=20", ALICE),
        ("GET /call_log", f"{logs}/call_log", ADMIN),
        ("GET /call_log?limit=20 (alice)", f"{logs}/call_log?limit=20", ALICE),
        ("GET /log_count/inbound", f"{logs}/log_count/inbound", ADMIN),
        ("GET /log_count/outbound", f"{logs}/log_count/outbound", ADMIN),
        ("GET /log_count/call", f"{logs}/log_count/call", ADMIN),
        ("GET /log_count/inbound (alice)", f"{logs}/log_count/inbound", ALICE),
        ("GET /log_count/outbound (alice)", f"{logs}/log_count/outbound", ALICE),
        ("GET /log_count/call (alice)", f"{logs}/log_count/call", ALICE),
        ("GET /contacts/admin?limit=20", f"{logs}/contacts/admin?limit=20", ADMIN),
        ("GET /contacts/admin?limit=20&order=name", f"{logs}/contacts/admin?limit=20&order=name", ADMIN),
        ("GET /contact_groups/admin?limit=20", f"{logs}/contact_groups/admin?limit=20", ADMIN),
        ("GET /contact_groups/admin?order=name&limit=20", f"{logs}/contact_groups/admin?order=name&limit=20", ADMIN),
    ]


# -- the stored history --------------------------------------------------------------------------------------------
def batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


class History:
    """The rows of one box's history, built in memory and then inserted table by table (parents first)."""

    def __init__(self) -> None:
        self.rows: dict[type, list[dict[str, Any]]] = {
            model: [] for model in (User, m.Fax, m.FaxEntry, m.Attempt, m.Call, InboundFax, Contact, ContactGroup)
        }
        self.members: list[dict[str, Any]] = []

    def add(self, model: type, **values: Any) -> int:
        rows = self.rows[model]
        values.setdefault("id", len(rows) + 1)
        rows.append(values)
        return values["id"]

    def insert(self, session: Session) -> None:
        for model, rows in self.rows.items():
            for batch in batches(rows):
                session.execute(insert(model), batch)
        for batch in batches(self.members):
            session.execute(insert(GroupMember), batch)


def fax(history: History, owner: str, created: datetime, document_pages: int | None = 1) -> int:
    return history.add(
        m.Fax,
        owner=owner,
        created=created,
        max_tries=3,
        priority=3,
        try_interval=300,
        receipt="never",
        receipt_attachment="none",
        document_pages=document_pages,
        sender_name=owner.title(),
    )


def entry(history: History, fax_id: int, number: int, owner: str, state: str, when: datetime, **extra: Any) -> int:
    final = state in m.FINAL_STATES
    values = {
        "fax_id": fax_id,
        "number": number,
        "owner": owner,
        "recipient_name": f"Recipient {fax_id}",
        "recipient_fax_number": f"1-218-{fax_id:06d}-{number:02d}",
        "state": state,
        "stime": when,
        "pages": 1,
        "outcome": "success",
        "completed_at": when if final else None,
        "due_at": None if final else when,
        **extra,
    }
    return history.add(m.FaxEntry, **values)


def attempt(
    history: History, entry_id: int, owner: str, start: datetime, result: str, *, try_number: int = 1, line: int = 2
) -> None:
    """A finished try and its call record."""
    sent = result == "success"
    end = start + timedelta(seconds=50 if sent else 25)
    number = history.rows[m.FaxEntry][entry_id - 1]["recipient_fax_number"]
    history.add(
        m.Attempt,
        entry_id=entry_id,
        owner=owner,
        try_number=try_number,
        line_number=line,
        fax_number=number,
        start_time=start,
        connect_time=start + timedelta(seconds=20) if sent else None,
        end_time=end,
        pages_planned=1,
        pages_sent=1 if sent else 0,
        baud_rate=14400 if sent else None,
        remote_id="BENCH" if sent else "",
        result=result,
        result_message="Successfully sent fax" if sent else "Line busy",
        call_result="fax" if sent else "busy",
        finished=True,
    )
    history.add(
        m.Call,
        direction="outbound",
        owner=owner,
        start_time=start,
        end_time=end,
        line_number=line,
        number=number,
        result="fax" if sent else "busy",
    )


def sent_faxes(history: History, n: int) -> None:
    """N faxes before START, one a minute; their entries final, with their tries and calls."""
    for i in range(n):
        owner = OWNERS[i % len(OWNERS)]
        created = START - timedelta(minutes=n - i)
        fax_id = fax(history, owner, created)
        for number in range(2 if i % 10 == 9 else 1):
            tries = 3 if i % 20 == 0 else (0 if i % 50 == 1 else 1)
            state = m.FAILED if tries == 3 else (m.ABORTED if tries == 0 else m.SENT)
            done = created + timedelta(seconds=2 + 50 * tries)
            entry_id = entry(history, fax_id, number, owner, state, done, try_number=max(tries, 1))
            for t in range(tries):
                result = "busy" if state == m.FAILED else "success"
                attempt(history, entry_id, owner, created + timedelta(seconds=2 + 50 * t), result, try_number=t + 1)


def open_faxes(history: History) -> None:
    """The same five entries not final yet at every N: three pending, one preprocessing, one sending on line 1."""
    later = START + timedelta(days=30)  # the manual clock never gets there: these stay as they are
    for owner in ("admin", "alice", "admin"):
        entry(history, fax(history, owner, START), 0, owner, m.PENDING, later)
    entry(history, fax(history, "admin", START, document_pages=None), 0, "admin", m.PREPROCESSING, later, pages=0)
    entry_id = entry(history, fax(history, "admin", START), 0, "admin", m.SENDING, START, due_at=later)
    attempt(history, entry_id, "admin", START, "success", line=1)
    history.rows[m.Attempt][-1].update(finished=False, end_time=later)
    history.rows[m.Call].pop()  # an open call has no call record yet


def received_faxes(history: History, n: int) -> None:
    recipients = ("admin", "alice", "admin,alice", "bob")
    for i in range(n):
        start = START - timedelta(minutes=n - i, seconds=30)
        end = start + timedelta(seconds=50)
        recipient = recipients[i % len(recipients)]
        history.add(
            InboundFax,
            start_time=start,
            connect_time=start + timedelta(seconds=20),
            end_time=end,
            line_number=3,
            remote_id=f"SENDER {i % 97}",
            caller_id=f"218555{i % 10_000:04d}",
            recipient=recipient,
            pages_planned=1,
            pages=1,
            result="success",
            has_document=False,
            finished=True,
        )
        history.add(
            m.Call,
            direction="inbound",
            owner=recipient,
            start_time=start,
            end_time=end,
            line_number=3,
            number=f"218555{i % 10_000:04d}",
            result="fax",
        )


def phone_books(history: History, n: int) -> None:
    """N contacts and N groups, in turn admin's, alice's and the global list's; names not in ID order."""
    for i in range(n):
        owner = BOOK_OWNERS[i % len(BOOK_OWNERS)]
        history.add(Contact, owner=owner, name=f"Contact {(i * 7919) % n:06d}", fax_number=f"218-555-{i:06d}")
    for i in range(n):
        owner = BOOK_OWNERS[i % len(BOOK_OWNERS)]
        group_id = history.add(ContactGroup, owner=owner, name=f"Group {(i * 7919) % n:06d}")
        for position in range(2):
            contact_id = (i + position * len(BOOK_OWNERS)) % n + 1
            contact_owner = BOOK_OWNERS[(contact_id - 1) % len(BOOK_OWNERS)]
            history.members.append(
                {"group_id": group_id, "position": position, "contact_id": contact_id, "contact_owner": contact_owner}
            )


def build(box: Box, n: int) -> str:
    """Store a history of ``n`` faxes in ``box``; the key of a fax in its middle (admin's)."""
    history = History()
    hashes = {name: box.auth.passwords.hash(name) for name in OWNERS[1:]}
    with box.db.read() as session:
        first_user = (session.scalar(select(func.max(User.id))) or 0) + 1
    for offset, name in enumerate(OWNERS[1:]):
        history.add(User, id=first_user + offset, username=name, password_hash=hashes[name], name=name.title())
    sent_faxes(history, n)
    open_faxes(history)
    received_faxes(history, n)
    phone_books(history, n)
    with box.work() as work:
        history.insert(work.session)
        work.session.add(m.Counter(name="faxkey", value=len(history.rows[m.Fax])))
    middle = n // 2 - (n // 2) % len(OWNERS)  # 0-based index of an admin fax
    return f"{middle + 1:08X}"


# -- measuring -----------------------------------------------------------------------------------------------------
class Statements:
    """Counts the SQL statements the engine runs."""

    def __init__(self, box: Box) -> None:
        self.count = 0
        event.listen(box.db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def answer_size(body: bytes) -> int:
    """Top-level elements after <message>, or the count of a log_count."""
    root = etree.fromstring(body)
    count = root.findtext("count")
    return int(count) if count is not None else len(root) - 1


def new_box(data_dir: Path, n: int) -> tuple[Box, str, float]:
    settings = Settings(
        data_dir=data_dir,
        manual_clock=True,
        start_time=START,
        log_level="warning",
        argon2_time_cost=1,
        argon2_memory_kib=8,
    )
    box = Box(settings)
    box.start()
    started = time.perf_counter()
    middle = build(box, n)
    return box, middle, time.perf_counter() - started


async def timed_get(client: httpx.AsyncClient, label: str, path: str, auth: tuple[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = await client.get(path, auth=auth)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{label}: {response.status_code} {response.text[:300]}")
    return elapsed, response.content


async def measure(sizes: list[int], rounds: int, warmup: int) -> dict[int, dict[str, dict[str, float]]]:
    """Every size's box built first, then each round sends every read to every box in turn."""
    results: dict[int, dict[str, dict[str, float]]] = {n: {} for n in sizes}
    timings: dict[int, dict[str, list[float]]] = {n: {} for n in sizes}
    with tempfile.TemporaryDirectory(prefix="ffemu-scaling-") as root:
        boxes, clients, measured = {}, {}, {}
        try:
            for n in sizes:
                boxes[n], middle, built = new_box(Path(root) / str(n), n)
                print(f"N={n:,}: history stored in {built:.1f} s", flush=True)
                transport = httpx.ASGITransport(app=create_app(boxes[n].settings, boxes[n]))
                clients[n] = httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60)
                measured[n] = reads(middle)
                statements = Statements(boxes[n])
                for label, path, auth in measured[n]:  # once untimed: the status, statements and answer size
                    before = statements.count
                    _elapsed, body = await timed_get(clients[n], label, path, auth)
                    results[n][label] = {"statements": statements.count - before, "size": answer_size(body)}
                    timings[n][label] = []
            for round_number in range(warmup + rounds):
                for n in sizes:
                    for label, path, auth in measured[n]:
                        elapsed, _body = await timed_get(clients[n], label, path, auth)
                        if round_number >= warmup:
                            timings[n][label].append(elapsed)
        finally:
            for client in clients.values():
                await client.aclose()
            for box in boxes.values():
                box.stop()
    for n in sizes:
        for label, values in timings[n].items():
            results[n][label]["median"] = statistics.median(values)
    return results


def report(results: dict[int, dict[str, dict[str, float]]]) -> bool:
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]
    head = f"{'read (median ms)':<46}" + "".join(f"{f'N={n:,}':>9}" for n in sizes)
    print(head + f"{'ratio':>7}{'SQL':>5}{'rows':>12}  target")
    ok = True
    for label in results[small]:
        medians = [results[n][label]["median"] for n in sizes]
        ratio = medians[-1] / medians[0]
        ok = ok and ratio <= TARGET_RATIO
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        rows = f"{results[small][label]['size']:.0f}/{results[large][label]['size']:.0f}"
        cells = "".join(f"{value:>9.2f}" for value in medians)
        print(f"{label:<46}{cells}{ratio:>7.2f}{results[large][label]['statements']:>5.0f}{rows:>12}  {verdict}")
    if TARGET_OFAX_AT in results:
        ofax = results[TARGET_OFAX_AT]["GET /ofax"]["median"]
        verdict = "meets" if ofax <= TARGET_OFAX_MS else "MISSES"
        ok = ok and ofax <= TARGET_OFAX_MS
        print(f"GET /ofax at N={TARGET_OFAX_AT:,}: {ofax:.2f} ms median ({verdict} <= {TARGET_OFAX_MS:.0f} ms)")
    print(f"ratio: median at N={large:,} / median at N={small:,} (target <= {TARGET_RATIO:.0f})")
    print(f"SQL: statements per request at N={large:,}")
    print(f"rows: elements in the answer at N={small:,} / N={large:,} (log_count: the count)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES), help="comma-separated fax counts")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(text.replace("_", "")) for text in args.sizes.split(",") if text.strip()]
    if not sizes or min(sizes) < len(OWNERS) * 10:
        raise SystemExit(f"every size must be at least {len(OWNERS) * 10}")
    load_before = os.getloadavg()[0]
    results = asyncio.run(measure(sizes, args.rounds, args.warmup))
    print(f"{args.rounds} rounds measured after {args.warmup} untimed")
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
