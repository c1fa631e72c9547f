"""User functions (02-users): verify, view, add, edit."""

from __future__ import annotations

from fastapi import Request

from emulator.catalogue import device
from emulator.ffws.http import CurrentCaller, Work, XmlBody, base_url, get_box
from emulator.ffws.users import service
from emulator.ffws.users.wire import USER, read_user, user_element
from emulator.wire import parse_xml
from emulator.wire.response import xml_response


@device.route("GET", "/verify")
async def verify_user(caller: CurrentCaller):
    """Check credentials and do nothing else."""
    return xml_response("Verified")


@device.route("GET", "/users/{username}")
def view_user(username: str, request: Request, caller: CurrentCaller, work: Work):
    """One user's record (itself, or anyone for an admin)."""
    user = service.view_user(work.session, caller, username)
    return xml_response("Success", [user_element(user, base_url(request))])


@device.route("POST", "/users")
def add_user(request: Request, caller: CurrentCaller, work: Work, body: XmlBody):
    """Create a user (admin); answers 200 Created with the stored user."""
    box = get_box(request)
    service.require_may_add(caller)  # before parsing: a non-admin gets 403, not a 400
    values = read_user(parse_xml(body, root="user", shape=USER))
    user = service.add_user(work, caller, values, box.auth.passwords.hash, box.cover_page_names())
    return xml_response("Created", [user_element(user, base_url(request))])


@device.route("PUT", "/users/{username}")
def edit_user(username: str, request: Request, caller: CurrentCaller, work: Work, body: XmlBody):
    """Change the fields the request carries."""
    box = get_box(request)
    service.require_may_edit(caller, username)
    values = read_user(parse_xml(body, root="user", shape=USER))
    service.edit_user(work, caller, username, values, box.auth.passwords.hash, box.cover_page_names())
    return xml_response("Modified")
