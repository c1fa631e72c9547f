"""Faxing at size: one ``POST /ffws/v1/ofax`` near the model's request limit, and 2,000 faxes drained by 24 lines.

    python bench/ofax.py [--runs 3] [--pdf-mb 27.5] [--faxes 2000] [--drain-runs 3] [--recipients 1] [--clients 4]

Big fax: a valid PDF of about ``--pdf-mb`` MB (reportlab pages, each with an image of seeded random grey levels, so
it does not compress) is sent base64-inlined in one ``schedule_fax``. A 30 MB PDF would make a 40 MB body, over the
36 MiB (37,748,736-byte) request limit of every model, so the default PDF is the size whose body still fits with a
margin; the sizes used are printed. Each run gets a fresh ``faxfinder-emulator serve --manual-clock`` process and
data dir (VmHWM is a process-lifetime high-water mark): one small warm-up fax, then the server's VmRSS is read
(idle), the big fax is posted and timed from sending the request to the 201 having arrived, and VmHWM is read again.
Reported: the median time (target <= 1.5 s) and the worst peak RSS above idle (target <= 3x the body size). The
clock is then advanced by preprocessing + dial + pages x page time and the entry must be ``sent`` with the PDF's
page count.

Drain: ``serve --model FF840 --lines 24 --manual-clock``; ``--faxes`` one-page faxes (text attachment, cover page
disabled) are scheduled, by default as one request per fax with one recipient (``--recipients N``: N recipients
per request, one fax entry each, fewer requests), from ``--clients`` keep-alive connections. Then one
``POST /_emulator/clock/advance`` covers preprocessing and every batch of 24 calls; its ``transitions`` divided by
its wall time is reported, median of ``--drain-runs`` fresh servers (target >= 500/s), with the server's CPU time
during the advance beside it (on a shared machine wall time also counts other processes' turns), and
``GET /ffws/v1/ofax?class=complete`` and ``/ffws/v1/log_count/outbound`` must show every entry sent.

Everything runs on 127.0.0.1 with cheap Argon2 and stops by itself: servers end with SIGTERM (SIGKILL after a few
seconds), every wait is bounded, the temporary directory is removed, and each server's log is scanned for errors.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import math
import os
import platform
import random
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from servers import AUTH, HOST, cpu_seconds, emulator_argv, free_port, running

from emulator.device.outcomes import CONVERSION_SECONDS, DIAL_SECONDS, PAGE_SECONDS
from emulator.device.profiles import PROFILES

OFAX = "/ffws/v1/ofax"
ADVANCE = "/_emulator/clock/advance"
LIMIT = PROFILES["FF840"].max_request_bytes  # 36 MiB, the same for every model
TARGET_SECONDS = 1.5
TARGET_RSS_RATIO = 3.0
TARGET_TRANSITIONS = 500.0
HTTP_TIMEOUT = 600.0  # one advance over thousands of faxes answers only when every transition has run
CHEAP_ARGON2 = ("--argon2-time-cost", "1", "--argon2-memory-kib", "8")
SERVE = ("--manual-clock", *CHEAP_ARGON2, "--log-level", "warning")  # every server's options, before its own
IMAGE_WIDTH = 1024  # pixels; one byte each (grey)
PAGE_IMAGE_BYTES = 1024 * 1024  # about 1 MB of image per page
MB = 1_000_000


# -- servers (the rest is in bench/servers.py) ---------------------------------------------------------------------
def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB (/proc/PID/status)."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


# -- HTTP --------------------------------------------------------------------------------------------------------
def call(
    conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None, content_type: str = ""
) -> tuple[int, bytes]:
    headers = {"Authorization": AUTH}
    if content_type:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def expect(status: int, body: bytes, wanted: int, what: str) -> bytes:
    if status != wanted:
        raise SystemExit(f"{what}: HTTP {status}, expected {wanted}: {body[:500]!r}")
    return body


def advance(conn: http.client.HTTPConnection, seconds: float) -> tuple[int, float]:
    """Advance the manual clock; (transitions, wall seconds of the call)."""
    payload = json.dumps({"seconds": seconds}).encode()
    start = time.perf_counter()
    status, body = call(conn, "POST", ADVANCE, payload, "application/json")
    elapsed = time.perf_counter() - start
    return json.loads(expect(status, body, 200, "advance"))["transitions"], elapsed


def fax_entries(body: bytes) -> list[dict[str, str]]:
    """The fax entries of an ofax answer: url, state and pages of each."""
    root = ET.fromstring(body)
    return [
        {"url": e.findtext("fax_entry_url") or "", "state": e.findtext("state") or "", "pages": e.findtext("pages")}
        for e in root.iter("fax_entry")
    ]


def entry_path(url: str) -> str:
    """``https://host/ffws/v1/ofax/KEY/ENTRY`` → ``/ffws/v1/ofax/KEY/ENTRY`` (the device links with https)."""
    return "/ffws/v1/" + url.split("/ffws/v1/", 1)[1]


# -- request bodies ------------------------------------------------------------------------------------------------
def big_pdf(target_bytes: int, seed: int = 1) -> tuple[bytes, int]:
    """A valid PDF of about ``target_bytes``: reportlab pages, each with an image of seeded random grey levels."""
    from PIL import Image
    from reportlab import rl_config
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    rl_config.useA85 = 0  # binary streams: ASCII85 would add 25 % that a client would not send
    pages = max(1, round(target_bytes / PAGE_IMAGE_BYTES))
    rows = max(1, (target_bytes // pages - 1200) // IMAGE_WIDTH)  # ~1.2 kB of page and image overhead each
    rng = random.Random(seed)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    for number in range(1, pages + 1):
        image = Image.frombytes("L", (IMAGE_WIDTH, rows), rng.randbytes(IMAGE_WIDTH * rows))
        canvas.drawImage(ImageReader(image), 36, 100, 540, 540)
        canvas.drawString(72, 720, f"faxfinder-emulator bench: page {number} of {pages}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), pages


def schedule_fax_body(recipients: list[str], name: str, content_type: str, data: bytes) -> bytes:
    """A ``schedule_fax`` as the guide writes it: cover page off, one inline attachment (single-line base64)."""
    people = "".join(
        f"<recipient><name>Bench {n}</name><fax_number>{number}</fax_number></recipient>"
        for n, number in enumerate(recipients, start=1)
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<schedule_fax>'
        f"<cover_page><enabled>false</enabled></cover_page>{people}"
        f"<attachment><location>inline</location><name>{name}</name><content_type>{content_type}</content_type>"
        "<content_transfer_encoding>base64</content_transfer_encoding><content>"
    )
    return head.encode() + base64.b64encode(data) + b"</content></attachment></schedule_fax>\n"


def fax_number(n: int) -> str:
    """Distinct numbers that match no failing outcome rule (fixtures/outcomes.json keys on the last digits)."""
    return f"1-218-{n:06d}-88"


def text_fax_body(recipients: list[str]) -> bytes:
    return schedule_fax_body(recipients, "note.txt", "text/plain", b"One page from bench/ofax.py.\n")


# -- 1. one big fax ------------------------------------------------------------------------------------------------
def big_fax_run(work: Path, run: int, body: bytes, pages: int, problems: list[str]) -> dict[str, float | str]:
    port = free_port()
    argv = emulator_argv(work / f"big-{run}", port, *SERVE)
    with running(argv, port, work / f"big-{run}.log", problems) as server:
        conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)
        try:
            # Warm-up: first-call paths of the schedule route (threadpool, parser, document store), not the body.
            warm = call(conn, "POST", OFAX, text_fax_body([fax_number(0)]), "application/xml")
            expect(*warm, 201, "warm-up schedule_fax")
            before, cpu = memory_kib(server.pid), cpu_seconds(server.pid)
            start = time.perf_counter()
            status, answer = call(conn, "POST", OFAX, body, "application/xml")
            elapsed = time.perf_counter() - start
            after, cpu = memory_kib(server.pid), cpu_seconds(server.pid) - cpu
            (entry,) = fax_entries(expect(status, answer, 201, "big schedule_fax"))
            _, advance_seconds = advance(conn, CONVERSION_SECONDS + DIAL_SECONDS + PAGE_SECONDS * pages)
            (done,) = fax_entries(expect(*call(conn, "GET", entry_path(entry["url"])), 200, "view the big fax"))
        finally:
            conn.close()
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "idle_kib": before["VmRSS"],
        "hwm_before_kib": before["VmHWM"],
        "peak_over_idle": (after["VmHWM"] - before["VmRSS"]) * 1024,
        "state": done["state"],
        "pages": done["pages"] or "",
        "advance_seconds": advance_seconds,
    }


def big_fax(work: Path, pdf_mb: float, runs: int, problems: list[str]) -> dict:
    started = time.perf_counter()
    pdf, pages = big_pdf(int(pdf_mb * MB))
    body = schedule_fax_body([fax_number(1)], "big.pdf", "application/pdf", pdf)
    made = time.perf_counter() - started
    if len(body) > LIMIT:
        raise SystemExit(f"a {len(pdf):,}-byte PDF makes a {len(body):,}-byte body, over the {LIMIT:,} limit")
    results = [big_fax_run(work, run, body, pages, problems) for run in range(1, runs + 1)]
    return {"pdf": len(pdf), "pages": pages, "body": len(body), "made": made, "runs": results}


# -- 2. draining -------------------------------------------------------------------------------------------------
def schedule_many(port: int, faxes: int, per_request: int, clients: int) -> tuple[int, float]:
    """Schedule ``faxes`` entries, ``per_request`` recipients a request, over ``clients`` connections."""
    numbers = [fax_number(n) for n in range(1, faxes + 1)]
    bodies = [text_fax_body(numbers[i : i + per_request]) for i in range(0, faxes, per_request)]

    def worker(share: list[bytes]) -> int:
        conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)
        try:
            made = 0
            for body in share:
                made += len(fax_entries(expect(*call(conn, "POST", OFAX, body, "application/xml"), 201, "schedule")))
            return made
        finally:
            conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        made = sum(pool.map(worker, [bodies[i::clients] for i in range(clients)]))
    elapsed = time.perf_counter() - start
    if made != faxes:
        raise SystemExit(f"scheduled {made} fax entries, expected {faxes}")
    return len(bodies), elapsed


def drain_seconds(faxes: int, lines: int) -> int:
    """Emulated seconds until the last of ``faxes`` one-page faxes, all ready together, is sent over ``lines``."""
    batches = math.ceil(faxes / lines)
    return CONVERSION_SECONDS + batches * (DIAL_SECONDS + PAGE_SECONDS * 1)


def drain(work: Path, run: int, faxes: int, per_request: int, clients: int, problems: list[str]) -> dict:
    port, lines = free_port(), 24
    argv = emulator_argv(work / f"drain-{run}", port, *SERVE, "--model", "FF840", "--lines", str(lines))
    with running(argv, port, work / f"drain-{run}.log", problems) as server:
        requests, schedule_seconds = schedule_many(port, faxes, per_request, clients)
        conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)
        try:
            seconds = drain_seconds(faxes, lines)
            cpu = cpu_seconds(server.pid)
            transitions, elapsed = advance(conn, seconds)
            cpu = cpu_seconds(server.pid) - cpu
            listing = expect(*call(conn, "GET", f"{OFAX}?class=complete&complete_limit=5000"), 200, "complete list")
            count = expect(*call(conn, "GET", "/ffws/v1/log_count/outbound"), 200, "outbound log count")
        finally:
            conn.close()
    entries = fax_entries(listing)
    return {
        "requests": requests,
        "schedule_seconds": schedule_seconds,
        "advance": seconds,
        "transitions": transitions,
        "elapsed": elapsed,
        "cpu": cpu,
        "rate": transitions / elapsed,
        "sent": sum(1 for e in entries if e["state"] == "sent" and e["pages"] == "1"),
        "complete": len(entries),
        "outbound_log": int(ET.fromstring(count).findtext("count") or -1),
    }


# -- report ------------------------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def row(label: str, value: str, target: str = "") -> None:
    print(f"{label:<52} {value:>16}  {target}".rstrip())


def report_big(big: dict) -> None:
    runs = big["runs"]
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_over_idle"] for r in runs)
    ratio = peak / big["body"]
    print(f"1. POST {OFAX}: one fax, PDF base64-inlined, cover page off; fresh server per run")
    row("PDF size (bytes, pages)", f"{big['pdf']:,}", f"{big['pages']} pages (reportlab, random-grey images)")
    row("request body (bytes)", f"{big['body']:,}", f"{big['body'] / LIMIT:.1%} of the {LIMIT:,}-byte limit")
    row("send -> 201, median (s)", f"{seconds:.3f}", f"<= {TARGET_SECONDS} {verdict(seconds <= TARGET_SECONDS)}")
    row("  runs (s)", " ".join(f"{r['seconds']:.3f}" for r in runs))
    row("  server CPU during the request, runs (s)", " ".join(f"{r['cpu']:.2f}" for r in runs))
    row(
        "peak RSS over idle, worst run (MB)",
        f"{peak / MB:.1f}",
        f"= {ratio:.2f}x body; <= {TARGET_RSS_RATIO:.0f}x {verdict(ratio <= TARGET_RSS_RATIO)}",
    )
    row("  runs (MB: VmHWM after - VmRSS idle)", " ".join(f"{r['peak_over_idle'] / MB:.1f}" for r in runs))
    row(
        "  idle VmRSS / VmHWM before (MB)", f"{runs[0]['idle_kib'] / 1000:.1f} / {runs[0]['hwm_before_kib'] / 1000:.1f}"
    )
    states = {f"{r['state']}, {r['pages']} pages" for r in runs}
    wanted = f"sent, {big['pages']} pages"
    row("after advancing the clock", ", ".join(sorted(states)), f"{wanted} {verdict(states == {wanted})}")
    row("  advance wall time, median (s)", f"{statistics.median(r['advance_seconds'] for r in runs):.3f}")
    row("  (building the PDF and body, s)", f"{big['made']:.1f}")


def report_drain(runs: list[dict], faxes: int, per_request: int, clients: int) -> None:
    middle = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]  # the median run, reported whole
    rate = middle["rate"]
    shape = "1 recipient each" if per_request == 1 else f"{per_request} recipients each"
    print(f"2. drain {faxes:,} one-page faxes through 24 lines (FF840, manual clock); fresh server per run")
    row("scheduled", f"{middle['requests']:,} requests", f"{shape}, {clients} client connections")
    row("  scheduling wall time, runs (s)", " ".join(f"{r['schedule_seconds']:.1f}" for r in runs))
    row("advance (emulated s)", f"{middle['advance']:,}", "2 s preprocessing + batches x (15 s dial + 30 s)")
    row("  transitions", f"{middle['transitions']:,}", "3 per entry: pending, sending, sent")
    row("  wall time, median run (s)", f"{middle['elapsed']:.2f}")
    row("  server CPU time, median run (s)", f"{middle['cpu']:.2f}")
    row(
        "transitions per second (wall), median",
        f"{rate:.0f}",
        f">= {TARGET_TRANSITIONS:.0f} {verdict(rate >= TARGET_TRANSITIONS)}",
    )
    row("  runs (per wall second)", " ".join(f"{r['rate']:.0f}" for r in runs))
    row("  runs (per server CPU second)", " ".join(f"{r['transitions'] / r['cpu']:.0f}" for r in runs))
    sent = min(r["sent"] for r in runs)
    all_sent = all(r["sent"] == faxes and r["complete"] == faxes for r in runs)
    row("entries sent, 1 page (ofax?class=complete)", f"{sent:,}", f"of {faxes:,}, every run {verdict(all_sent)}")
    logged = min(r["outbound_log"] for r in runs)
    ok = all(r["outbound_log"] == faxes for r in runs)
    row("outbound log records", f"{logged:,}", f"of {faxes:,}, every run {verdict(ok)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="big-fax runs, a fresh server each (default 3)")
    parser.add_argument("--pdf-mb", type=float, default=27.5, help="size of the big PDF in MB of 10^6 (default 27.5)")
    parser.add_argument("--faxes", type=int, default=2000, help="faxes to drain (default 2000)")
    parser.add_argument("--drain-runs", type=int, default=3, help="drain runs, a fresh server each (default 3)")
    parser.add_argument("--recipients", type=int, default=1, help="recipients per drain request (default 1)")
    parser.add_argument("--clients", type=int, default=4, help="connections scheduling the drain (default 4)")
    parser.add_argument("--skip-big", action="store_true", help="only the drain")
    parser.add_argument("--skip-drain", action="store_true", help="only the big fax")
    args = parser.parse_args()
    if min(args.runs, args.drain_runs, args.faxes) < 1:
        parser.error("--runs, --drain-runs and --faxes must be at least 1")
    if not 1 <= args.recipients <= PROFILES["FF840"].max_recipients:
        parser.error(f"--recipients must be 1..{PROFILES['FF840'].max_recipients}")

    problems: list[str] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ffemu-bench-ofax-") as tmp:
        work = Path(tmp)
        big = None if args.skip_big else big_fax(work, args.pdf_mb, args.runs, problems)
        drained = [
            drain(work, run, args.faxes, args.recipients, args.clients, problems)
            for run in range(1, (0 if args.skip_drain else args.drain_runs) + 1)
        ]

    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
    print(f"{'measure':<52} {'value':>16}  target")
    if big:
        report_big(big)
    if drained:
        report_drain(drained, args.faxes, args.recipients, args.clients)
    print("server logs: " + ("clean" if not problems else f"{len(problems)} suspicious lines"))
    for line in problems[:20]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
