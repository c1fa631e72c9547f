"""HTTPS like the device: --tls-port serves the same box as plain HTTP, with a self-signed certificate made in the
data dir on the first start (and kept), or the user's --certfile/--keyfile."""

import ssl

import httpx
import pytest

from emulator.tls import self_signed
from tests.process import ServerProcess

ADMIN = ("admin", "admin")
CONTACT = "<contact><name>Over TLS</name><fax_number>555-0100</fax_number></contact>"


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.kill()


def test_http_and_https_share_one_state(tmp_path, servers):
    server = ServerProcess(tmp_path / "data", "--manual-clock", "--tls-port", "0")
    servers.append(server.start())
    cert = tmp_path / "data" / "tls" / "cert.pem"
    assert server.tls_url.startswith("https://127.0.0.1:") and cert.is_file()
    with httpx.Client(base_url=server.tls_url, verify=ssl.create_default_context(cafile=cert), auth=ADMIN) as tls:
        assert tls.get("/ffws/v1/verify").text.count("<message>Verified</message>") == 1
        created = tls.post("/ffws/v1/contacts/admin", content=CONTACT)
        assert created.status_code == 200
    with server.client(auth=ADMIN) as plain:
        assert "<name>Over TLS</name>" in plain.get("/ffws/v1/contacts/admin").text
    assert server.stop() == 0

    first = cert.read_bytes()
    servers.append(server.start())  # the certificate is kept across restarts
    assert cert.read_bytes() == first


def test_a_plain_client_refuses_the_self_signed_certificate(tmp_path, servers):
    server = ServerProcess(tmp_path / "data", "--tls-port", "0")
    servers.append(server.start())
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.tls_url + "/ffws/v1/verify", auth=ADMIN)


def test_the_users_certificate_is_used(tmp_path, servers):
    cert, key = self_signed(tmp_path / "mine", "127.0.0.1")
    args = ("--tls-port", "0", "--certfile", str(cert), "--keyfile", str(key))
    server = ServerProcess(tmp_path / "data", *args)
    servers.append(server.start())
    response = httpx.get(server.tls_url + "/ffws/v1/verify", auth=ADMIN, verify=ssl.create_default_context(cafile=cert))
    assert response.status_code == 200
    assert not (tmp_path / "data" / "tls").exists()


def test_a_missing_certificate_file_is_a_clear_error(tmp_path):
    server = ServerProcess(tmp_path / "data", "--tls-port", "0", "--certfile", "nope.pem", "--keyfile", "nope.key")
    with pytest.raises(AssertionError, match="no such file: nope.pem"):
        server.start(timeout=15)


SCHEDULE = (
    "<schedule_fax><recipient><name>R</name><fax_number>5551234</fax_number></recipient>"
    "<attachment><name>a.txt</name><content_type>text/plain</content_type><content>dGVzdA==</content></attachment>"
    "<cover_page><enabled>false</enabled></cover_page></schedule_fax>"
)


def test_links_given_over_plain_http_lead_to_the_https_port_and_can_be_followed(tmp_path, servers):
    server = ServerProcess(tmp_path / "data", "--manual-clock", "--tls-port", "0")
    servers.append(server.start())
    cert = tmp_path / "data" / "tls" / "cert.pem"
    with server.client(auth=ADMIN) as plain:
        created = plain.post("/ffws/v1/ofax", content=SCHEDULE)
        assert created.status_code == 201, created.text
        plain.post("/_emulator/clock/advance", json={"seconds": 10})
    text = created.text
    entry_url = text.split("<fax_entry_url>")[1].split("<")[0]
    preview = text.split("<preview>")[1].split("<")[0]
    assert entry_url.startswith(server.tls_url + "/ffws/v1/ofax/")  # https://127.0.0.1:TLSPORT/…
    with httpx.Client(verify=ssl.create_default_context(cafile=cert), auth=ADMIN) as tls:
        assert "<state>" in tls.get(entry_url).text
        followed = tls.get(preview)
        assert followed.status_code == 200 and followed.content.startswith(b"%PDF")
