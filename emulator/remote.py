"""Commands that talk to a running emulator over its control plane (``--url``, ``FFEMU_URL``)."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import TYPE_CHECKING, Any

from emulator.settings import ClientSettings

if TYPE_CHECKING:
    import httpx


def _client(args: argparse.Namespace) -> httpx.Client:
    import httpx  # not on `serve`'s start-up path

    headers = {}
    token = args.token or ClientSettings().control_token
    if token:
        headers["X-Emulator-Token"] = token
    return httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=args.timeout)


def call(args: argparse.Namespace, method: str, path: str, body: Any = None, params: dict | None = None) -> int:
    """One control call; prints the JSON answer; exit status 0 on 2xx, 1 otherwise."""
    import httpx

    try:
        with _client(args) as client:
            response = client.request(method, "/_emulator" + path, json=body, params=params)
    except httpx.HTTPError as exc:
        print(f"faxfinder-emulator: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    try:
        text = json.dumps(response.json(), indent=2)
    except ValueError:
        text = response.text
    print(text, file=sys.stdout if response.is_success else sys.stderr)
    return 0 if response.is_success else 1


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=ClientSettings().url,
        help=f"base URL of the running emulator [env FFEMU_URL; default {ClientSettings.model_fields['url'].default}]",
    )
    parser.add_argument("--token", default=None, help="control token [env FFEMU_CONTROL_TOKEN]")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the answer")


def _command(commands: argparse._SubParsersAction, name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text, description=help_text)
    _common(parser)
    parser.set_defaults(run=run)
    return parser


def _inbound_body(a: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"remote_id": a.remote_id, "caller_id": a.caller_id, "extension": a.extension}
    body.update(outcome=a.outcome, line=a.line, pages=a.pages)
    if a.document:
        with open(a.document, "rb") as handle:
            body["document_base64"] = base64.b64encode(handle.read()).decode()
    return body


def _fault_body(a: argparse.Namespace) -> dict[str, Any]:
    keys = ("kind", "method", "path", "status", "message", "delay_ms", "drop_connection", "fax_number", "outcome")
    return {k: getattr(a, k) for k in keys + ("times", "probability", "seed") if getattr(a, k) is not None}


def add_remote_commands(commands: argparse._SubParsersAction) -> None:
    _command(
        commands,
        "health",
        "ask a running emulator whether it is up (exit 0 if so)",
        lambda a: call(a, "GET", "/health"),
    )
    _command(commands, "reset", "put a running emulator back to its fixtures", lambda a: call(a, "POST", "/reset"))
    advance = _command(
        commands, "advance", "move emulated time forward, running every transition due on the way",
        lambda a: call(a, "POST", "/clock/advance", {"seconds": a.seconds}),
    )  # fmt: skip
    advance.add_argument("seconds", type=float, help="emulated seconds")
    clock = _command(
        commands, "clock", "show the emulated clock, or switch it (--manual, --time-scale)", lambda a: _clock(a)
    )
    clock.add_argument("--manual", action=argparse.BooleanOptionalAction, default=None, help="switch manual/scaled")
    clock.add_argument("--time-scale", type=float, default=None, help="emulated seconds per wall second")
    _add_journal(commands)
    _add_faults(commands)
    _add_inbound(commands)
    _add_outbox(commands)


def _add_journal(commands: argparse._SubParsersAction) -> None:
    journal = _command(commands, "journal", "show the last /ffws/v1 exchanges", lambda a: _journal(a))
    journal.add_argument("--limit", type=int, default=None)
    journal.add_argument("--method", default=None)
    journal.add_argument("--path", default=None, help="glob, e.g. '/ffws/v1/ofax*'")
    journal.add_argument("--status", type=int, default=None)
    journal.add_argument(
        "--warned",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only exchanges with warnings (--no-warned: only those without)",
    )
    journal.add_argument("--clear", action="store_true", help="forget the recorded exchanges")


def _add_faults(commands: argparse._SubParsersAction) -> None:
    faults = _command(commands, "faults", "list, add or clear faults", lambda a: _faults(a))
    faults.add_argument("action", choices=("list", "add", "clear", "remove"), nargs="?", default="list")
    faults.add_argument("--id", type=int, help="with remove: the fault")
    for flag, kind in (("--kind", str), ("--method", str), ("--path", str), ("--status", int), ("--message", str)):
        faults.add_argument(flag, type=kind, default=None)
    for flag, kind in (("--delay-ms", int), ("--fax-number", str), ("--outcome", str), ("--times", int)):
        faults.add_argument(flag, type=kind, default=None)
    faults.add_argument("--probability", type=float, default=None)
    faults.add_argument("--seed", type=int, default=None)
    faults.add_argument("--drop-connection", action="store_true", default=None)


def _add_inbound(commands: argparse._SubParsersAction) -> None:
    inbound = _command(commands, "inbound", "simulate a fax arriving at a running emulator", lambda a: _inbound(a))
    inbound.add_argument("--remote-id", default="", help="the sender's station id")
    inbound.add_argument("--caller-id", default="", help="the calling number")
    inbound.add_argument("--extension", default="", help="dialled digits (recipient routes)")
    inbound.add_argument("--line", type=int, default=None, help="the line it arrives on")
    inbound.add_argument("--pages", type=int, default=None, help="page count (without --document)")
    inbound.add_argument("--document", default=None, help="a PDF or TIFF file: the fax itself")
    inbound.add_argument("--outcome", choices=("success", "failure", "partial"), default="success")


def _add_outbox(commands: argparse._SubParsersAction) -> None:
    outbox = _command(commands, "outbox", "show the mail queue (receipts, received faxes), one mail, or clear it",
                      lambda a: _outbox(a))  # fmt: skip
    outbox.add_argument("--id", type=int, default=None, help="one mail (with --eml: its raw RFC 5322 message)")
    outbox.add_argument("--eml", action="store_true", help="with --id: print the message as sent (.eml)")
    outbox.add_argument("--state", default=None, help="only mails in this state (queued, delivered, failed…)")
    outbox.add_argument("--kind", choices=("receipt", "inbound"), default=None)
    outbox.add_argument("--flush", action="store_true", help="try every queued mail now (and held or refused ones)")
    outbox.add_argument("--clear", action="store_true", help="forget every mail of the queue")


def _clock(a: argparse.Namespace) -> int:
    change = {k: v for k, v in (("manual", a.manual), ("time_scale", a.time_scale)) if v is not None}
    return call(a, "PUT", "/clock", change) if change else call(a, "GET", "/clock")


def _journal(a: argparse.Namespace) -> int:
    if a.clear:
        return call(a, "DELETE", "/journal")
    query = {k: getattr(a, k) for k in ("limit", "method", "path", "status", "warned") if getattr(a, k) is not None}
    return call(a, "GET", "/journal", params=query)


def _faults(a: argparse.Namespace) -> int:
    if a.action == "add":
        return call(a, "POST", "/faults", _fault_body(a))
    if a.action == "clear":
        return call(a, "DELETE", "/faults")
    if a.action == "remove":
        if a.id is None:
            print("faxfinder-emulator: faults remove needs --id", file=sys.stderr)
            return 2
        return call(a, "DELETE", f"/faults/{a.id}")
    return call(a, "GET", "/faults")


def _inbound(a: argparse.Namespace) -> int:
    try:
        body = _inbound_body(a)
    except OSError as exc:
        print(f"faxfinder-emulator: cannot read {a.document}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return call(a, "POST", "/inbound", body)


def _outbox(a: argparse.Namespace) -> int:
    if a.clear:
        return call(a, "DELETE", "/outbox")
    if a.flush:
        return call(a, "POST", "/outbox/flush")
    if a.id is not None:
        return _eml(a) if a.eml else call(a, "GET", f"/outbox/{a.id}")
    if a.eml:
        print("faxfinder-emulator: outbox --eml needs --id", file=sys.stderr)
        return 2
    query = {k: getattr(a, k) for k in ("state", "kind") if getattr(a, k) is not None}
    return call(a, "GET", "/outbox", params=query)


def _eml(a: argparse.Namespace) -> int:
    """The raw message, as it is (bytes to stdout: a mail program, or a file, reads it as sent)."""
    import httpx

    try:
        with _client(a) as client:
            response = client.get(f"/_emulator/outbox/{a.id}.eml")
    except httpx.HTTPError as exc:
        print(f"faxfinder-emulator: cannot reach {a.url}: {exc}", file=sys.stderr)
        return 1
    if not response.is_success:
        print(response.text, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(response.content)
    sys.stdout.flush()
    return 0
