"""Firmware profiles: what separates one attested device's answers from another's, as a table of named switches.

Each row is one switch: what it changes, its value in every profile and where that value is attested. A profile is
the column of one name. Nothing else in the emulator knows a profile by name: code asks the box's ``Firmware`` for a
switch's value. ``GET /_emulator/profile`` and README's "Firmware profiles" table show this table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from emulator.wire.dialect import Dialect

FirmwareName = Literal["3.x", "guide-1.1", "ff240-r1-2025"]
NAMES: tuple[FirmwareName, ...] = ("3.x", "guide-1.1", "ff240-r1-2025")
DEFAULT: FirmwareName = "3.x"

PROFILES: dict[str, str] = {
    "3.x": "Today's firmware (default): the element listing of the API reference and its 3.0.4 example "
    "(ffws-api 09), the client contract (ffws-api 13).",
    "guide-1.1": "The shapes of the Developer Guide S000578 v1.1.02's examples (2008-era firmware).",
    "ff240-r1-2025": "A real FF240.R1 as a public client (MCFaxApp) logged it in July 2025.",
}

GUIDE = "Developer Guide v1.1.02, Scheduling a Fax / Viewing Fax Entries examples"
LISTING = "ffws-api 09 §9.3 (element listing and the 3.0.4 example)"
CONTRACT = "ffws-api 13 (client contract)"
R1_LOG = "FF240.R1 log, MCFaxApp logs/mcfax.log (2025)"


@dataclass(frozen=True)
class Switch:
    name: str
    meaning: str
    values: dict[str, Any]  # profile name → value
    sources: dict[str, str]  # profile name → where the value is attested (or why it is chosen)


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "time_separator",
        "What separates date and time in timestamps (created, stime, log times…).",
        {"3.x": "T", "guide-1.1": " ", "ff240-r1-2025": "T"},
        {"3.x": CONTRACT + " P4", "guide-1.1": GUIDE + " (created 2008-08-01 08:43:29)", "ff240-r1-2025": R1_LOG},
    ),
    Switch(
        "cover_page_url_first",
        "fax_entry/cover_page lists url before enabled.",
        {"3.x": False, "guide-1.1": True, "ff240-r1-2025": False},
        {"3.x": LISTING, "guide-1.1": GUIDE, "ff240-r1-2025": "as 3.x (not in the log)"},
    ),
    Switch(
        "sender_email_address",
        "fax_entry/sender ends with email_address.",
        {"3.x": True, "guide-1.1": False, "ff240-r1-2025": True},
        {"3.x": LISTING + ", " + CONTRACT + " P6", "guide-1.1": GUIDE, "ff240-r1-2025": "as 3.x (not in the log)"},
    ),
    Switch(
        "pages_count_cover",
        "fax_entry/pages counts the cover page (the preview always has it).",
        {"3.x": True, "guide-1.1": False, "ff240-r1-2025": True},
        {
            "3.x": CONTRACT + " P9a",
            "guide-1.1": GUIDE + " (cover page + one-page text: pages 1)",
            "ff240-r1-2025": "as 3.x (not in the log)",
        },
    ),
    Switch(
        "listing_approval",
        "fax entries read back (GET /ofax…) carry approver and approval_time (the schedule answer always does).",
        {"3.x": True, "guide-1.1": False, "ff240-r1-2025": True},
        {"3.x": "ffws-api 09 Q-ELM-4", "guide-1.1": GUIDE + " (list example)", "ff240-r1-2025": "as 3.x"},
    ),
    Switch(
        "recipient_dash_dropped",
        "fax_entry/recipient/fax_number is echoed without leading dashes (otherwise verbatim).",
        {"3.x": False, "guide-1.1": True, "ff240-r1-2025": False},
        {"3.x": CONTRACT + " R11", "guide-1.1": GUIDE + " (-218-555-3335 → 218-555-3335)", "ff240-r1-2025": "as 3.x"},
    ),
    Switch(
        "key_separator",
        "What separates FAXKEY and ENTRYKEY in fax_entry_url: '/' or the percent-encoded '%2F'.",
        {"3.x": "/", "guide-1.1": "/", "ff240-r1-2025": "%2F"},
        {"3.x": CONTRACT + " P3", "guide-1.1": GUIDE, "ff240-r1-2025": R1_LOG + " (…/ofax/00000D07%2F0000)"},
    ),
    Switch(
        "links",
        "The base of links in answers when --links does not say: device (https://HOST, no port, whatever the request "
        "came over) or followable (see Links).",
        {"3.x": "followable", "guide-1.1": "device", "ff240-r1-2025": "device"},
        {
            "3.x": "chosen: links a client can follow (the device's own form stays available as --links device)",
            "guide-1.1": GUIDE + " (https://192.168.2.1/…, no port)",
            "ff240-r1-2025": R1_LOG + " (https://10.70.1.13/… to a request over http://)",
        },
    ),
    Switch(
        "error_blank_line",
        "Error bodies have an empty line before </response>.",
        {"3.x": False, "guide-1.1": False, "ff240-r1-2025": True},
        {"3.x": "ffws-api 00 §4", "guide-1.1": "as 3.x (no error example)", "ff240-r1-2025": R1_LOG},
    ),
)


@dataclass(frozen=True)
class Firmware:
    """One profile's value of every switch (built from ``SWITCHES``: a switch missing here fails at import)."""

    name: str
    time_separator: str
    cover_page_url_first: bool
    sender_email_address: bool
    pages_count_cover: bool
    listing_approval: bool
    recipient_dash_dropped: bool
    key_separator: str
    links: str
    error_blank_line: bool

    @property
    def dialect(self) -> Dialect:
        return Dialect(time_separator=self.time_separator, error_blank_line=self.error_blank_line)


def firmware(name: str) -> Firmware:
    return Firmware(name=name, **{s.name: s.values[name] for s in SWITCHES})


def _check_table() -> None:
    names = {f.name for f in fields(Firmware)} - {"name"}
    rows = {s.name for s in SWITCHES}
    if names != rows or any(set(s.values) != set(NAMES) or set(s.sources) != set(NAMES) for s in SWITCHES):
        raise RuntimeError("the firmware table and Firmware disagree")


_check_table()
PROFILE_OF = {name: firmware(name) for name in NAMES}


def markdown() -> str:
    """README's part of "Firmware profiles": the profiles, the table of switches, and where each value comes from."""

    def cell(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else f"`{value}`"

    lines = [f"- `{name}`: {PROFILES[name]}" for name in NAMES]
    lines += ["", "| switch | meaning | " + " | ".join(f"`{n}`" for n in NAMES) + " |"]
    lines.append("|---|---|" + "---|" * len(NAMES))
    for s in SWITCHES:
        lines.append(f"| `{s.name}` | {s.meaning} | " + " | ".join(cell(s.values[n]) for n in NAMES) + " |")
    lines += ["", "Where each value comes from (the table's `sources`):", ""]
    for s in SWITCHES:
        lines.append(f"- `{s.name}`: " + "; ".join(f"{n}: {s.sources[n]}" for n in NAMES) + ".")
    return "\n".join(lines) + "\n"


def describe(active: str) -> dict[str, Any]:
    """The table as JSON (``GET /_emulator/profile``)."""
    return {
        "firmware": active,
        "profiles": [{"name": n, "description": PROFILES[n]} for n in NAMES],
        "switches": [
            {"name": s.name, "meaning": s.meaning, "values": s.values, "sources": s.sources} for s in SWITCHES
        ],
    }
