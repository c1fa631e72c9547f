"""Users, Phone book, Inbound Routing, Fax and System Configuration: what the API allows, with its refusals."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import box_state
from tests.ffws.clients import create_user
from tests.ui.pages import Pages

VIEW_DENIED = "Authenticated user does not have permission to view data."
CHANGE_DENIED = "Authenticated user does not have permission to change data."
USERS_CSV = """Type,Username,Password,Full Name,Email,Phone,Fax,Organization,Include Cover Page,Default
User,carol,pw-carol,Carol C,carol@example.com,555-1,555-2,Acme,Yes,default.pdf
User,dave,pw-dave,Dave D,,,,,No,
"""


@pytest.fixture
def admin(client) -> Pages:  # noqa: ANN001
    pages = Pages(client)
    pages.log_in()
    return pages


def _import(pages: Pages, text: str):  # noqa: ANN202
    files = {"file": ("users.csv", text.encode(), "text/csv")}
    return pages.client.request("POST", "/users/import", auth=None, data={"csrf": pages.csrf}, files=files)


def test_users_are_imported_all_or_nothing_and_exported_without_passwords(client, admin):
    assert _import(admin, USERS_CSV).status_code == 303
    assert client.get("/ffws/v1/verify", auth=("carol", "pw-carol")).status_code == 200
    assert client.get("/ffws/v1/verify", auth=("dave", "pw-dave")).status_code == 200
    user = client.get("/ffws/v1/users/carol").text
    assert "<default_cover_page_enabled>true</default_cover_page_enabled>" in user and "<organization>Acme" in user
    before = box_state(client.box)
    bad = _import(admin, "User,erin,pw,Erin\nUser,carol,pw,Carol again\n")
    assert bad.status_code == 400 and "carol: invalid username: already exists" in bad.text
    assert _import(admin, "Administrator,root,pw,Root\n").status_code == 400
    assert box_state(client.box) == before  # erin was not kept either
    exported = admin.get("/users/export.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = exported.text.splitlines()
    assert rows[0] == "Type,Username,Password,Full Name,Email,Phone,Fax,Organization,Include Cover Page,Default"
    assert "Administrator,admin,,Administrator,,,,,No," in rows
    assert "User,carol,,Carol C,carol@example.com,555-1,555-2,Acme,Yes,default.pdf" in rows


def test_the_export_neutralises_formulas_and_the_import_takes_them_back(client, admin):
    create_user(client, "mallory", "pw")
    fields = '<name>=HYPERLINK("http://evil.example")</name><phone_number>+1 218 555</phone_number>'
    client.put("/ffws/v1/users/mallory", f"<user>{fields}<organization>@corp</organization></user>")
    exported = admin.get("/users/export.csv").text
    row = next(line for line in exported.splitlines() if ",mallory," in line)
    assert row == 'User,mallory,,"\'=HYPERLINK(""http://evil.example"")",,\'+1 218 555,,\'@corp,No,'
    assert admin.post("/users/delete-all").status_code == 303
    assert _import(admin, row.replace(",mallory,,", ",mallory,pw,")).status_code == 303
    user = client.get("/ffws/v1/users/mallory").text
    assert '<name>=HYPERLINK("http://evil.example")</name>' in user and "<phone_number>+1 218 555<" in user
    assert "<organization>@corp</organization>" in user


def test_add_edit_and_delete_all_users(client, admin):
    response = admin.post("/users", {"username": "frank", "password": "pw", "name": "Frank", "priority": "2"})
    assert response.status_code == 303
    assert client.get("/ffws/v1/verify", auth=("frank", "pw")).status_code == 200
    assert admin.post("/users", {"username": "frank", "password": "pw", "name": "F"}).status_code == 400
    assert admin.post("/users/frank/edit", {"name": "Frank F", "password": "", "priority": "5"}).status_code == 303
    user = client.get("/ffws/v1/users/frank").text
    assert "<name>Frank F</name>" in user and "<priority>5</priority>" in user
    assert client.get("/ffws/v1/verify", auth=("frank", "pw")).status_code == 200  # empty password: unchanged
    client.post("/ffws/v1/contacts/frank", "<contact><name>Friend</name></contact>", auth=("frank", "pw"))
    assert admin.post("/users/delete-all").status_code == 303
    assert client.get("/ffws/v1/verify", auth=("frank", "pw")).status_code == 401
    assert client.get("/ffws/v1/users/frank").status_code == 404
    assert client.get("/ffws/v1/verify").status_code == 200  # the administrator stays


def test_delete_all_leaves_nothing_that_names_the_users_it_deleted(client, admin):
    create_user(client, "eve", "pw")
    eve = ("eve", "pw")
    client.post("/ffws/v1/contacts/eve", "<contact><name>Eve's friend</name></contact>", auth=eve)
    client.post("/ffws/v1/contacts/admin", "<contact><name>Admin's friend</name></contact>")
    client.post("/ffws/v1/contacts/global_contact_list", "<contact><name>Everyone's</name></contact>")
    group = "<contact_group><name>Eve's group</name><contact>/ffws/v1/contacts/eve/1</contact></contact_group>"
    assert client.post("/ffws/v1/contact_groups/eve", group, auth=eve).status_code == 200
    routes = {"100": "user:eve", "200": "user:eve\nuser:admin", "300": "email:ops@example.com"}
    for extension, destinations in routes.items():
        form = {"type": "recipient", "extension": extension, "destinations": destinations}
        assert admin.post("/inbound-routing", form).status_code == 303
    response = admin.post("/users/delete-all")
    assert response.status_code == 303
    notice = admin.get(response.headers["location"]).text
    assert "1 user(s) deleted, and 2 inbound route destination(s) that delivered to them." in notice
    assert (
        client.get("/ffws/v1/contacts/eve").status_code == 404 and client.get("/ffws/v1/groups/eve").status_code == 404
    )
    assert "Admin's friend" in client.get("/ffws/v1/contacts/admin").text
    assert "Everyone's" in client.get("/ffws/v1/contacts/global_contact_list").text
    listed = client.get("/ffws/v1/inbound_routes").text
    assert "<value>eve</value>" not in listed and listed.count("<value>admin</value>") == 1
    assert "<value>ops@example.com</value>" in listed
    client.post("/_emulator/inbound", json={"remote_id": "FOR-EVE", "extension": "100", "pages": 1})
    client.post("/_emulator/clock/advance", json={"seconds": 120})
    log = client.get("/ffws/v1/inbound_log").text
    assert "<recipient></recipient>" in log or "<recipient/>" in log  # nobody: eve is gone, not named


def test_what_people_do_on_the_pages_is_logged_without_a_password(client, caplog):
    caplog.set_level(logging.INFO, logger="emulator.ui")
    admin = Pages(client)
    assert admin.log_in("admin", "wrong-Pa55").status_code == 401
    admin.log_in()
    admin.post("/users", {"username": "gina", "password": "secret-Pa55", "name": "Gina"})
    admin.post("/users/gina/edit", {"name": "Gina G", "password": "other-Pa55"})
    _import(admin, "User,hal,hal-Pa55,Hal\n")
    admin.post("/users/delete-all")
    admin.post("/logout")
    lines = [r.getMessage() for r in caplog.records if r.name == "emulator.ui"]
    assert lines == [
        "web login refused for admin from 127.0.0.1",
        "web login: admin from 127.0.0.1",
        "web: admin added user gina",
        "web: admin saved user gina with a new password",
        "web: admin imported 1 user(s): hal",
        "web: admin deleted every user but the administrators (2 user(s) deleted)",
        "web logout: admin",
    ]
    assert "Pa55" not in caplog.text


@pytest.mark.parametrize("username", ["delete-all", "import", "export.csv"])
def test_a_user_named_like_an_action_is_edited_and_nothing_else(client, admin, username):
    create_user(client, username, "pw")
    create_user(client, "victim", "pw")
    page = admin.get(f"/users/{username}/edit")
    assert page.status_code == 200 and f"<h1>Edit user {username}</h1>" in page.text
    assert f'action="/users/{username}/edit"' in page.text
    assert f'href="/users/{username}/edit"' in admin.get("/users").text
    assert admin.post(f"/users/{username}/edit", {"name": "Renamed"}).status_code == 303
    assert "<name>Renamed</name>" in client.get(f"/ffws/v1/users/{username}").text
    assert client.get("/ffws/v1/users/victim").status_code == 200  # not deleted, nor anything imported


def test_a_user_manages_itself_and_is_refused_the_rest(client):
    create_user(client, "bob", "pw")
    pages = Pages(client)
    pages.log_in("bob", "pw")
    listing = pages.get("/users").text
    assert "bob" in listing and '<a href="/users/admin/edit">' not in listing and "Add user" not in listing
    assert pages.get("/users/admin/edit").status_code == 403
    assert pages.post("/users", {"username": "x", "password": "y", "name": "z"}).status_code == 403
    assert pages.post("/users/bob/edit", {"name": "Bobby"}).status_code == 303
    for path in ("/inbound-routing", "/fax-configuration", "/system", "/users/export.csv"):
        response = pages.get(path)
        assert response.status_code == 403 and VIEW_DENIED in response.text, path
    response = pages.post("/users/delete-all")
    assert response.status_code == 403 and CHANGE_DENIED in response.text
    assert pages.post("/system/global_contacts_status", {"non_admin_can_add": "on"}).status_code == 403
    menu = pages.get("/fax-status").text
    assert "Inbound Routing" not in menu and "Phone book" in menu


def test_phone_books_are_each_users_own_and_the_global_one(client):
    create_user(client, "bob", "pw")
    admin = Pages(client)
    admin.log_in()
    assert admin.post("/phone-book", {"owner": "admin", "name": "Admin friend", "fax_number": "1"}).status_code == 303
    assert (
        admin.post("/phone-book", {"owner": "global_contact_list", "name": "Everyones", "fax_number": "2"}).status_code
        == 303
    )
    bob = Pages(client)
    bob.log_in("bob", "pw")
    assert bob.post("/phone-book", {"owner": "bob", "name": "Bob friend", "fax_number": "3"}).status_code == 303
    book = bob.get("/phone-book").text
    assert "Bob friend" in book and "Everyones" in book and "Admin friend" not in book
    assert bob.get("/phone-book?owner=admin").status_code == 403
    refused = bob.post("/phone-book", {"owner": "global_contact_list", "name": "Mine now"})
    assert refused.status_code == 403
    assert bob.post("/phone-book/global_contact_list/2/delete").status_code == 403
    assert bob.post("/phone-book", {"owner": "bob", "name": ""}).status_code == 400
    assert bob.post("/phone-book/bob/3", {"name": "Bob best friend", "fax_number": "4"}).status_code == 303
    assert "Bob best friend" in client.get("/ffws/v1/contacts/bob/3").text
    assert bob.post("/phone-book/bob/3/delete").status_code == 303
    assert client.get("/ffws/v1/contacts/bob/3").status_code == 404


def test_groups_are_shown_added_edited_and_deleted_through_the_groups_service(client):
    create_user(client, "bob", "pw")
    client.post("/ffws/v1/contacts/global_contact_list", "<contact><name>Everyone's</name></contact>")  # id 1
    bob = Pages(client)
    bob.log_in("bob", "pw")
    for name in ("Ann", "Ben"):  # ids 2, 3
        assert bob.post("/phone-book", {"owner": "bob", "name": name, "fax_number": "555"}).status_code == 303
    book = bob.get("/phone-book").text
    assert "No groups." in book and 'name="member" value="bob/2"' in book and 'value="global_contact_list/1"' in book
    form = {"owner": "bob", "name": "Team", "description": "the team", "member": ["bob/2", "global_contact_list/1"]}
    assert bob.post("/phone-book/groups", form).status_code == 303
    group = client.get("/ffws/v1/contact_groups/bob/1").text
    assert "<name>Team</name>" in group and "/contacts/bob/2</contact>" in group and "/global_contact_list/1<" in group
    book = bob.get("/phone-book").text
    assert '<tr data-group="1"><td>Team</td><td>the team</td><td>Ann, Everyone&#39;s</td>' in book
    page = bob.get("/phone-book/groups/bob/1/edit").text
    assert 'value="bob/2" checked' in page and 'value="bob/3">' in page
    assert bob.post("/phone-book/groups/bob/1/edit", {"name": "Team B", "member": ["bob/3"]}).status_code == 303
    group = client.get("/ffws/v1/contact_groups/bob/1").text
    assert "<name>Team B</name>" in group and "/contacts/bob/3</contact>" in group and "/bob/2<" not in group
    before = box_state(client.box)
    refused = bob.post("/phone-book/groups", {"owner": "bob", "name": "Bad", "member": ["admin/9"]})
    assert refused.status_code == 400 and "names no contact of bob or of the global list" in refused.text
    assert bob.post("/phone-book/groups", {"owner": "global_contact_list", "name": "Mine"}).status_code == 403
    assert bob.get("/phone-book/groups/admin/1/edit").status_code == 403
    assert box_state(client.box) == before
    assert bob.post("/phone-book/groups/bob/1/delete").status_code == 303
    assert client.get("/ffws/v1/contact_groups/bob/1").status_code == 404


def test_inbound_routes_and_settings_are_changed_as_the_api_changes_them(client, admin):
    response = admin.post(
        "/inbound-routing", {"type": "recipient", "extension": "42", "destinations": "user:admin\ntrash"}
    )
    assert response.status_code == 303
    route = client.get("/ffws/v1/inbound_routes/1").text
    assert "<extension>42</extension>" in route and "<type>trash</type>" in route
    bad = admin.post("/inbound-routing", {"type": "line", "line_number": "9"})
    assert bad.status_code == 400 and "invalid line_number: out of range (1-2)" in bad.text
    assert admin.post("/inbound-routing/1/delete").status_code == 303
    assert client.get("/ffws/v1/inbound_routes/1").status_code == 404
    assert admin.post("/fax-configuration/t38_settings", {"enabled": "on", "max_bit_rate": "9600"}).status_code == 303
    assert "<max_bit_rate>9600</max_bit_rate>" in client.get("/ffws/v1/t38_settings").text
    assert admin.post("/fax-configuration/t38_settings", {"max_bit_rate": "9601"}).status_code == 400
    assert admin.post("/system/global_contacts_status", {"non_admin_can_add": "on"}).status_code == 303
    assert "<non_admin_can_add>true" in client.get("/ffws/v1/global_contacts_status").text
    assert admin.post("/fax-configuration/modem/1", {"enabled": "on"}).status_code == 404  # an FF240-IP has none
    page = admin.get("/system").text
    assert "Firmware version" in page and "T.37 settings" in page


def test_an_inbound_route_is_edited_as_the_api_edits_it(client, admin):
    form = {"type": "recipient", "extension": "42", "name": "Sales", "destinations": "user:admin\ntrash"}
    assert admin.post("/inbound-routing", form).status_code == 303
    assert 'href="/inbound-routing/1/edit"' in admin.get("/inbound-routing").text
    page = admin.get("/inbound-routing/1/edit").text
    assert 'value="42"' in page and 'value="Sales"' in page and "user:admin\ntrash</textarea>" in page
    form = {"type": "line", "line_number": "2", "name": "Line 2", "destinations": "email:ops@example.com"}
    assert admin.post("/inbound-routing/1/edit", form).status_code == 303
    route = client.get("/ffws/v1/inbound_routes/1").text
    assert "<type>line</type>" in route and "<line_number>2</line_number>" in route and "<name>Line 2</name>" in route
    assert "<value>ops@example.com</value>" in route and "<type>trash</type>" not in route
    before = box_state(client.box)
    bad = admin.post("/inbound-routing/1/edit", {**form, "line_number": "9"})
    assert bad.status_code == 400 and "invalid line_number: out of range (1-2)" in bad.text
    assert box_state(client.box) == before
    assert admin.get("/inbound-routing/7/edit").status_code == 404
    create_user(client, "bob", "pw")
    bob = Pages(client)
    bob.log_in("bob", "pw")
    assert bob.get("/inbound-routing/1/edit").status_code == 403
    assert bob.post("/inbound-routing/1/edit", form).status_code == 403


def test_the_mail_queue_shows_the_boxs_mail_queue_to_administrators(client, admin):
    page = admin.get("/mail-queue").text
    assert '<a href="/mail-queue" aria-current="page">Mail Queue</a>' in page and "The mail queue is empty." in page
    client.put("/ffws/v1/users/admin", "<user><email_address>desk@example.com</email_address></user>")
    client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 1})
    client.post("/_emulator/clock/advance", json={"seconds": 600})
    (mail,) = client.get("/_emulator/outbox").json()["mails"]  # what the control plane shows of it
    page = admin.get("/mail-queue").text
    assert f'<tr data-mail="{mail["id"]}">' in page and '<a href="/inbound/1">fax 1</a>' in page
    for shown in (mail["to"], mail["subject"], mail["state"], mail["created"]):
        assert str(shown).replace("<", "&lt;").replace(">", "&gt;") in page
    assert "No SMTP server is configured" in page  # held: nothing delivers it
    create_user(client, "bob", "pw")
    bob = Pages(client)
    bob.log_in("bob", "pw")
    assert bob.get("/mail-queue").status_code == 403 and "Mail Queue" not in bob.get("/fax-status").text


@pytest.mark.parametrize(("settings_overrides", "enabled"), [({"smtp_listen_port": 2525}, True), ({}, False)])
def test_the_system_page_shows_the_boxs_own_defaults_as_the_api_does(client, admin, enabled):
    """Fax by e-mail (T.37) is on by default where the box listens for it, as GET /t37_settings says."""
    assert (f"<enabled>{str(enabled).lower()}</enabled>" in client.get("/ffws/v1/t37_settings").text) is True
    t37 = admin.get("/system").text.split("T.37 settings", 1)[1].split("</form>", 1)[0]
    assert ('name="enabled" checked' in t37) is enabled
    form = {"mail_server": "mail.example.com", **({"enabled": "on"} if enabled else {})}
    assert admin.post("/system/t37_settings", form).status_code == 303
    assert f"<enabled>{str(enabled).lower()}</enabled>" in client.get("/ffws/v1/t37_settings").text


@pytest.mark.parametrize("settings_overrides", [{"model": "FF440"}])
def test_an_analog_box_configures_its_modems(client, admin):
    assert "Modem 4" in admin.get("/fax-configuration").text
    assert admin.post("/fax-configuration/modem/2", {"station_id": "EMU 2"}).status_code == 303  # enabled unticked
    settings = client.get("/ffws/v1/modem_settings/2").text
    assert "<enabled>false</enabled>" in settings and "<station_id>EMU 2</station_id>" in settings
    assert "Waiting For Ring" in admin.get("/fragments/lines").text
