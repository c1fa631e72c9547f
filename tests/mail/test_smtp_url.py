"""--smtp-url is read once and its password never shows: not in the settings' own error text, not on the command
line's answer, whatever is wrong with the URL (a bad port, brackets, a space in the host, another scheme)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from emulator.cli import main
from emulator.mail.target import BadSmtpUrl, parse_smtp_url
from emulator.settings import Settings

SECRET = "S3CRET"
BAD = {
    f"smtp://u:{SECRET}@host:99999": "the port must be a number from 1 to 65535",
    f"smtp://u:{SECRET}[x@host": "not a URL",
    f"ftp://u:{SECRET}@host": "expected smtp://",
    f"smtp://u:{SECRET}@[::1": "not a URL",
    f"smtp://u:{SECRET}@ho st:25": "the host may hold",
    f"smtp://u:{SECRET}@ho<st:25": "the host may hold",
}


@pytest.mark.parametrize(("url", "why"), sorted(BAD.items()))
def test_a_bad_url_is_refused_without_repeating_it(url, why):
    with pytest.raises(BadSmtpUrl) as caught:
        parse_smtp_url(url)
    assert why in str(caught.value) and SECRET not in str(caught.value)
    with pytest.raises(ValidationError) as refused:
        Settings(smtp_url=url)
    assert why in str(refused.value)
    assert SECRET not in str(refused.value) and SECRET not in repr(refused.value)


@pytest.mark.parametrize("url", sorted(BAD))
def test_the_command_line_names_the_flag_not_the_password(url, capsys, monkeypatch):
    monkeypatch.setattr("emulator.server.serve", lambda settings: pytest.fail("a bad URL was served"))
    assert main(["serve", "--smtp-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("faxfinder-emulator: --smtp-url: ") and SECRET not in err


@pytest.mark.parametrize("url", ["smtp://[::1]:2525", "smtp://mail.example.com", "smtps://u:p%40ss@10.0.0.1"])
def test_good_hosts_still_pass(url):
    assert parse_smtp_url(url).host in ("::1", "mail.example.com", "10.0.0.1")
