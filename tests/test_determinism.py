"""Under the manual clock the same requests give byte-identical answers (conventions: one clock, one random source):
two fresh emulators, one script, the same bytes — FAXKEYs, timestamps, page counts and preview PDFs included."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import FFClient, make_box
from tests.ffws.clients import attachment, b64, cover, fax_to, pdf_bytes, recipient, schedule_body, text_bytes

NUMBERS = ["218-555-1000", "218-555-0001", "218-555-0002", "218-555-0003", "218-555-0004", "218-555-0005",
           "218-555-0006", "218-555-0009"]  # fmt: skip
Step = tuple[str, str, Callable[[FFClient], httpx.Response]]


def step(method: str, path: str, body: str | None = None, **kwargs: object) -> Step:
    return (method, path, lambda c: c.request(method, path, body, **kwargs))


def script() -> list[Step]:
    alice = ("alice", "alice-pw")
    steps = [
        step(
            "POST",
            "/ffws/v1/users",
            "<user><name>Alice</name><username>alice</username><password>alice-pw</password></user>",
        ),
        step(
            "POST",
            "/ffws/v1/contacts/admin",
            "<contact><name>Bob</name><fax_number>218-555-1000</fax_number></contact>",
        ),
        step("POST", "/ffws/v1/contacts/alice", "<contact><name>Carl</name></contact>", auth=alice),
        step(
            "PUT",
            "/ffws/v1/inbound_routes",
            "<inbound_route><type>global</type><destination><type>user</type>"
            "<value>alice</value></destination></inbound_route>",
        ),  # fmt: skip
    ]
    for number in NUMBERS:
        steps.append(step("POST", "/ffws/v1/ofax", fax_to(number, pages=2, max_tries=2, try_interval=60)))
    with_cover = schedule_body(
        cover_page=cover(subject="Hello", comments="Deterministic"),
        recipients=[recipient("5551234"), recipient("5550005")],
        attachments=[attachment(text_bytes(80)), attachment(pdf_bytes(1), "application/pdf", "one.pdf")],
    )
    steps.append(step("POST", "/ffws/v1/ofax", with_cover, auth=alice))
    steps.append(step("POST", "/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 2}))
    steps.append(
        step("POST", "/_emulator/inbound", json={"caller_id": "5550100", "document_base64": b64(pdf_bytes(3))})
    )
    for seconds in (1, 10, 30, 60, 600, 3600):
        steps += [
            step("POST", "/_emulator/clock/advance", json={"seconds": seconds}),
            step("GET", "/ffws/v1/ofax?all_users=true&class=pending"),
            step("GET", "/ffws/v1/channel_status"),
            step("GET", "/ffws/v1/outbound_status"),
            step("GET", "/ffws/v1/inbound_status"),
        ]
    steps += [
        step("GET", "/ffws/v1/ofax?all_users=true&class=complete&complete_limit=50"),
        step("GET", "/ffws/v1/ofax/00000009"),
        step("GET", "/ffws/v1/ofax/00000002/0000"),
        step("GET", "/ffws/v1/outbound_log"),
        step("GET", "/ffws/v1/inbound_log"),
        step("GET", "/ffws/v1/call_log"),
        step("GET", "/ffws/v1/log_count/outbound"),
        step("GET", "/ffws/v1/status"),
        step("GET", "/ffws/v1/about"),
        step("GET", "/ffws/v1/contacts/admin"),
        step("GET", "/ffws/v1/users/alice", auth=alice),
        step("GET", "/ffws/v1/data/inbound/1.pdf"),
        step("GET", "/ffws/v1/data/inbound/2.pdf"),
        step("GET", "/_emulator/clock"),
    ]
    steps += [step("GET", f"/ffws/v1/data/preview/{key:08X}-0000.pdf") for key in range(1, len(NUMBERS) + 1)]
    steps += [step("GET", f"/ffws/v1/data/preview/{len(NUMBERS) + 1:08X}-{n:04X}.pdf") for n in (0, 1)]
    return steps


def play(client: FFClient) -> list[tuple[str, str, int, bytes]]:
    return [(method, path, (r := run(client)).status_code, r.content) for method, path, run in script()]


def test_two_fresh_emulators_answer_byte_for_byte_the_same(template_dir, tmp_path):
    first, second = FFClient(make_box(template_dir, tmp_path / "a")), FFClient(make_box(template_dir, tmp_path / "b"))
    try:
        one, two = play(first), play(second)
    finally:
        first.close()
        second.close()
    for a, b in zip(one, two, strict=True):
        assert a == b, f"{a[0]} {a[1]}"
    answers = {(m, p): (status, body) for m, p, status, body in one}
    # the script did what it meant to: every outcome ran, previews and inbound documents are real PDFs
    refused = {k: v[0] for k, v in answers.items() if v[0] >= 300}
    assert refused == {("GET", "/ffws/v1/outbound_status"): 404}  # the last one: nothing pending or sending any more
    complete = answers[("GET", "/ffws/v1/ofax?all_users=true&class=complete&complete_limit=50")][1].decode()
    for state in ("<state>sent</state>", "<state>failed</state>", "<state>dead</state>"):
        assert state in complete
    assert "/ofax/00000009/0001" in answers[("POST", "/ffws/v1/ofax")][1].decode()  # the last schedule
    assert answers[("GET", "/ffws/v1/data/preview/00000001-0000.pdf")][1].startswith(b"%PDF")
    assert answers[("GET", "/ffws/v1/data/inbound/2.pdf")][1].startswith(b"%PDF")
    assert b"<pages>3</pages>" in answers[("GET", "/ffws/v1/inbound_log")][1]


def test_a_reset_box_answers_the_script_as_a_fresh_one(template_dir, tmp_path):
    client = FFClient(make_box(template_dir, tmp_path / "a"))
    try:
        once = play(client)
        assert client.post("/_emulator/reset").status_code == 200
        again = play(client)
    finally:
        client.close()
    for a, b in zip(once, again, strict=True):
        assert a == b, f"{a[0]} {a[1]}"
