"""Property: whatever a client throws at the write endpoints, the answer is never a 5xx, and each request either
applies fully or leaves the database exactly as it was."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import box_state

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
NUMBERISH = st.one_of(st.integers(-(10**12), 10**12).map(str), TEXT, st.just(""))

VALID = {
    ("POST", "/ffws/v1/users"): (
        "user",
        {
            "name": "Prop",
            "username": "prop1",
            "password": "pw",
            "priority": "2",
            "max_attempts": "3",
            "interval": "60",
            "receipt": "never",
            "receipt_attachment": "none",
            "default_cover_page_enabled": "false",
        },
    ),
    ("PUT", "/ffws/v1/users/admin"): ("user", {"name": "Admin", "organization": "MTS", "priority": "4"}),
    ("POST", "/ffws/v1/contacts/admin"): (
        "contact",
        {"name": "C", "fax_number": "555-1234", "phone_number": "1", "organization": "O"},
    ),
    ("POST", "/ffws/v1/contact_groups/admin"): ("contact_group", {"name": "G", "description": "D"}),
    ("POST", "/ffws/v1/ofax"): (
        "schedule_fax",
        {"max_tries": "2", "priority": "1", "try_interval": "30", "receipt": "never", "schedule_all_at": ""},
    ),
}
FAX_PARTS = (
    "<recipient><name>R</name><fax_number>555-1234</fax_number></recipient>"
    "<attachment><location>inline</location><name>a.txt</name><content_type>text/plain</content_type>"
    f"<content>{base64.b64encode(b'hello').decode()}</content></attachment>"
)


def _xml(root: str, fields: dict[str, str], extra: str = "") -> str:
    children = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<{root}>{children}{extra}</{root}>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def mutated(draw):
    (method, path), (root, fields) = draw(st.sampled_from(list(VALID.items())))
    fields = dict(fields)
    for key in draw(st.lists(st.sampled_from(list(fields)), max_size=3, unique=True)):
        action = draw(st.sampled_from(["drop", "replace", "numberish", "empty"]))
        if action == "drop":
            del fields[key]
        elif action == "replace":
            fields[key] = _escape(draw(TEXT))
        elif action == "numberish":
            fields[key] = _escape(draw(NUMBERISH))
        else:
            fields[key] = ""
    if draw(st.booleans()):
        fields[draw(st.sampled_from(["unknown", "comment", "name", "contact"]))] = _escape(draw(TEXT))
    extra = FAX_PARTS if root == "schedule_fax" and draw(st.integers(0, 3)) else ""
    body = _xml(root, fields, extra).encode()
    cut = draw(st.one_of(st.none(), st.integers(0, len(body))))
    if cut is not None:
        body = body[:cut]
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.binary(max_size=200))
    return method, path, body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=mutated())
def test_random_bodies_never_5xx_and_never_half_write(client, request):
    method, path, body = request
    before = box_state(client.box)
    response = client.request(method, path, body)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/xml"
    after = box_state(client.box)
    if response.status_code >= 400:
        assert after == before, f"{response.status_code} {response.text} but the database changed"
    else:
        assert response.status_code in (200, 201)
        assert after != before or method == "PUT", "a success that wrote nothing"
        _undo(client)


def _undo(client) -> None:
    """Back to the fixtures between examples (the fixture is shared by all examples of one test)."""
    client.box.reset()
