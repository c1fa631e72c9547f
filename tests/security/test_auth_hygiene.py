"""Auth hygiene: unknown users cost and look the same as wrong passwords; passwords appear in no response, no log
line, no journal entry."""

import base64

import pytest

from emulator.ffws.auth import Passwords
from tests.process import ServerProcess

SECRET = "Sup3r-Secret-Pw"
USER = (
    f"<user><name>Hy Giene</name><username>hygiene</username><password>{SECRET}</password>"
    "<email_address>h@example.test</email_address></user>"
)


def test_unknown_users_are_verified_against_a_dummy_hash(client, monkeypatch):
    calls = []
    original = Passwords.verify

    def counting(self, password, hashed):
        calls.append(hashed)
        return original(self, password, hashed)

    monkeypatch.setattr(Passwords, "verify", counting)
    unknown = client.get("/ffws/v1/verify", auth=("nobody", "x"))
    wrong = client.get("/ffws/v1/verify", auth=("admin", "x"))
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content
    assert len(calls) == 2  # Argon2 ran for the unknown user too: no timing shortcut


@pytest.mark.parametrize("header", ["Basic !!!", "Bearer abc", "Basic " + base64.b64encode(b"no-colon").decode(), ""])
def test_malformed_authorization_is_a_plain_401(client, header):
    response = client.get("/ffws/v1/verify", auth=None, headers={"authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="FaxFinder"'


def test_passwords_never_leave_the_box(tmp_path):
    server = ServerProcess(tmp_path / "data", "--manual-clock", "--log-level", "debug").start()
    token = base64.b64encode(f"hygiene:{SECRET}".encode()).decode()
    try:
        with server.client(auth=("admin", "admin")) as http:
            answers = [http.post("/ffws/v1/users", content=USER)]
            answers.append(http.put("/ffws/v1/users/hygiene", content=f"<user><password>{SECRET}2</password></user>"))
            answers.append(http.put("/ffws/v1/users/hygiene", content=f"<user><password>{SECRET}</password></user>"))
            answers.append(http.get("/ffws/v1/users/hygiene"))
            answers.append(http.get("/ffws/v1/verify", auth=("hygiene", SECRET)))
            answers.append(http.get("/ffws/v1/verify", auth=("hygiene", "wrong")))
            answers.append(http.post("/ffws/v1/users", content=USER))  # duplicate: 400
            answers.append(http.get("/_emulator/journal"))
            answers.append(http.get("/_emulator/state/export"))
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 401, 400, 200, 200]
    finally:
        server.stop()
    for answer in answers:
        assert SECRET not in answer.text and token not in answer.text
    assert "[redacted]" in answers[-2].text
    log = "".join(server.output)
    assert SECRET not in log and token not in log
