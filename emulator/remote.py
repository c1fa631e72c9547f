"""Commands that talk to a running emulator over its control plane (``--url``, ``FFEMU_URL``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"


def _client(args: argparse.Namespace) -> httpx.Client:
    headers = {}
    token = args.token or os.environ.get("FFEMU_CONTROL_TOKEN")
    if token:
        headers["X-Emulator-Token"] = token
    return httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=args.timeout)


def call(args: argparse.Namespace, method: str, path: str, body: Any = None) -> int:
    """One control call; prints the JSON answer; exit status 0 on 2xx, 1 otherwise."""
    try:
        with _client(args) as client:
            response = client.request(method, "/_emulator" + path, json=body)
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
        default=os.environ.get("FFEMU_URL", DEFAULT_URL),
        help=f"base URL of the running emulator [env FFEMU_URL; default {DEFAULT_URL}]",
    )
    parser.add_argument("--token", default=None, help="control token [env FFEMU_CONTROL_TOKEN]")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the answer")


def add_remote_commands(commands: argparse._SubParsersAction) -> None:
    health = commands.add_parser("health", help="ask a running emulator whether it is up (exit 0 if so)")
    _common(health)
    health.set_defaults(run=lambda a: call(a, "GET", "/health"))
