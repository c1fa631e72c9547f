"""Device settings (12.4): t37_settings, modem_settings (analog), sip_settings and t38_settings (FF240-IP),
global_contacts_status. GET answers Success + the element; PUT changes only the fields sent (200 Modified); an
invalid field is refused with 400 naming it and nothing changes. Passwords are write-only (returned empty)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from emulator.ffws.fields import Bool, Choice, Field, Int, Text
from emulator.wire import Elem, el
from emulator.wire.errors import invalid
from emulator.wire.tolerance import Shape, leaves

WRITE_ONLY = frozenset({"password"})
T38_RATES = (2400, 4800, 7200, 9600, 12000, 14400)

SPECS: dict[str, dict[str, Field]] = {
    "t37_settings": {
        "enabled": Bool(),
        "mail_server": Text(),
        "port": Int(1, 65535),
        "username": Text(),
        "password": Text(128),
        "poll_interval": Int(10, 86400),
        "allowed_senders": Text(1024),
        "default_cover_page_name": Text(),
    },
    "modem_settings": {
        "enabled": Bool(),
        "country_code": Text(8),
        "answer_on": Int(1, 9),
        "routing": Choice(("pots_line", "dtmf_digits", "pbx_mode_code")),
        "max_extension_digits": Int(1, 15),
        "station_id": Text(20),
    },
    "sip_settings": {
        "enabled": Bool(),
        "registrar": Text(),
        "proxy": Text(),
        "port": Int(1, 65535),
        "transport": Choice(("udp", "tcp")),
        "username": Text(),
        "password": Text(128),
        "realm": Text(),
        "register_interval": Int(60, 86400),
        "channels": Int(0, 24),
    },
    "t38_settings": {
        "enabled": Bool(),
        "max_bit_rate": Int(2400, 14400),
        "ecm": Bool(),
        "udptl_redundancy": Int(0, 5),
        "jitter_buffer_ms": Int(0, 1000),
    },
    "global_contacts_status": {"non_admin_can_add": Bool()},
}

SHAPES = {name: Shape(leaves(*spec)) for name, spec in SPECS.items()}
SHAPES["modem_settings"] = Shape(leaves("modem_number", *SPECS["modem_settings"]))


def check(name: str, values: dict[str, Any], *, lines: int, cover_pages: Collection[str]) -> None:
    """Rules beyond one field's type."""
    if name == "t38_settings" and values.get("max_bit_rate", 14400) not in T38_RATES:
        raise invalid("max_bit_rate", "must be one of " + ", ".join(map(str, T38_RATES)))
    if name == "sip_settings" and values.get("channels", 0) > lines:
        raise invalid("channels", f"at most {lines} channels are licensed")
    cover = values.get("default_cover_page_name")
    if name == "t37_settings" and cover and cover not in cover_pages:
        raise invalid("default_cover_page_name", f"no cover page named {cover}")
    if name == "modem_settings" and not values.get("country_code", "US").strip():
        raise invalid("country_code", "empty")


def element(name: str, value: dict[str, Any], first: list[Elem] | None = None) -> Elem:
    children = list(first or [])
    children += [el(key, "" if key in WRITE_ONLY else value[key]) for key in SPECS[name]]
    return el(name, children)
