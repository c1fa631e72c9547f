"""Secrets at rest (issue 10, finding 10): the SIP and T.37 passwords are stored as Argon2 hashes, so neither a state
export nor a copy of the database shows them; a database from before is migrated; the data dir is created 0700."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from emulator import paths
from emulator.box import Box
from emulator.db.engine import make_engine
from emulator.device import config
from emulator.tls import self_signed
from tests.conftest import box_settings
from tests.ffws.clients import element, party

SECRET = "Sip-s3cret-Zq9"
IP = {"model": "FF240-IP", "lines": 2}


def files_of(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.mark.parametrize("settings_overrides", [IP])
def test_setting_passwords_are_in_neither_an_export_nor_the_database_files(fresh_client):
    client = fresh_client
    for name in ("sip_settings", "t37_settings"):
        response = client.put(f"/ffws/v1/{name}", element(name, party(username="fax", password=f"{SECRET}-{name}")))
        assert response.status_code == 200, response.text
    export = client.get("/_emulator/state/export")
    assert export.status_code == 200
    assert SECRET not in export.text
    client.box.db.dispose()  # the WAL checkpointed into the database file: what a copy of the data dir holds
    assert SECRET.encode() not in files_of(client.box.settings.data_dir)
    stored = {r["name"]: json.loads(r["value"]) for r in export.json()["tables"]["device_settings"]}
    for name in ("sip_settings", "t37_settings"):
        assert client.box.auth.passwords.verify(f"{SECRET}-{name}", stored[name]["password"])
        # still write-only on the wire
        assert "<password></password>" in client.get(f"/ffws/v1/{name}").text


def test_a_database_from_before_has_its_plain_setting_passwords_hashed(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    alembic = Config()
    alembic.set_main_option("script_location", str(paths.migrations_dir()))

    def migrate(revision: str) -> None:
        with engine.begin() as connection:
            alembic.attributes["connection"] = connection
            command.upgrade(alembic, revision)

    migrate("0004")
    sip = {**config.DEFAULTS["sip_settings"], "username": "fax", "password": SECRET}
    t37 = {**config.DEFAULTS["t37_settings"], "password": ""}  # none set: nothing to hash
    with engine.begin() as connection:
        for name, value in (("sip_settings", sip), ("t37_settings", t37)):
            connection.execute(
                text("INSERT INTO device_settings (name, value) VALUES (:n, :v)"), {"n": name, "v": json.dumps(value)}
            )
    migrate("0005")
    with engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT name, value FROM device_settings")).all())
    engine.dispose()
    assert SECRET not in stored["sip_settings"]
    hashed = json.loads(stored["sip_settings"])
    assert {k: v for k, v in hashed.items() if k != "password"} == {k: v for k, v in sip.items() if k != "password"}
    from emulator.ffws.auth import Passwords

    assert Passwords(2, 19456).verify(SECRET, hashed["password"])
    assert json.loads(stored["t37_settings"])["password"] == ""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_dir_is_created_readable_by_its_user_only(tmp_path: Path):
    previous = os.umask(0o022)  # the usual umask: without care the directory would be 0755
    try:
        data = tmp_path / "new" / "data"
        box = Box(box_settings(data))
        box.start()
        box.stop()
        assert mode(data) == 0o700
        cert, key = self_signed(tmp_path / "tls-first", "127.0.0.1")  # HTTPS may make the data dir first
        assert mode(tmp_path / "tls-first") == 0o700 and mode(key.parent) == 0o700 and mode(key) == 0o600
    finally:
        os.umask(previous)


def test_an_existing_data_dir_keeps_its_mode(tmp_path: Path):
    data = tmp_path / "shared"
    data.mkdir()
    data.chmod(0o750)
    box = Box(box_settings(data))
    box.start()
    box.stop()
    assert mode(data) == 0o750
