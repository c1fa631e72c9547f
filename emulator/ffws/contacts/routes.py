"""Contact functions (03-contacts-groups §3.1–3.5): a user's phone book and the global one."""

from __future__ import annotations

from fastapi import Request

from emulator.catalogue import device
from emulator.ffws.auth import require_change
from emulator.ffws.contacts import service
from emulator.ffws.contacts.wire import FILTER_FIELDS, contact_element, read_contact
from emulator.ffws.http import CurrentCaller, GlobalListOpen, XmlBody, base_url, get_box
from emulator.ffws.listing import ListQuery, oids_text
from emulator.wire import el, parse_xml
from emulator.wire.response import xml_response


@device.route("GET", "/contacts/{owner}")
def view_contacts(owner: str, request: Request, caller: CurrentCaller):
    """A phone book (a username or global_contact_list), with limit/offset, substring filters and order."""
    query = ListQuery.parse(request.query_params, FILTER_FIELDS)
    base = base_url(request)
    with get_box(request).db.read() as session:
        contacts = service.list_contacts(session, caller, owner, query)
        return xml_response("Success", [contact_element(c, base) for c in contacts])


@device.route("GET", "/contacts/{owner}/{contact_id}")
def view_contact(owner: str, contact_id: str, request: Request, caller: CurrentCaller):
    """One contact."""
    with get_box(request).db.read() as session:
        contact = service.view_contact(session, caller, owner, contact_id)
        return xml_response("Success", [contact_element(contact, base_url(request))])


@device.route("POST", "/contacts/{owner}")
def add_contact(owner: str, request: Request, caller: CurrentCaller, global_open: GlobalListOpen, body: XmlBody):
    """Add a contact; answers 200 Created with the stored contact."""
    box = get_box(request)
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values = read_contact(parse_xml(body, root="contact"))
    with box.db.transaction() as session:
        contact = service.add_contact(session, caller, owner, values, global_open)
        return xml_response("Created", [contact_element(contact, base_url(request))])


@device.route("PUT", "/contacts/{owner}/{contact_id}")
def edit_contact(
    owner: str,
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    global_open: GlobalListOpen,
    body: XmlBody,
):
    """Change the fields the request carries."""
    box = get_box(request)
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values = read_contact(parse_xml(body, root="contact"))
    with box.db.transaction() as session:
        service.edit_contact(session, caller, owner, contact_id, values, global_open)
    return xml_response("Modified")


@device.route("DELETE", "/contacts/{owner}/{contact_id}")
def delete_contact(owner: str, contact_id: str, request: Request, caller: CurrentCaller, global_open: GlobalListOpen):
    """Delete a contact (and take it out of every group)."""
    box = get_box(request)
    with box.db.transaction() as session:
        service.delete_contact(session, caller, owner, contact_id, global_open)
    return xml_response("Deleted")


@device.route("GET", "/contact_oids/{owner}")
def view_contact_ids(owner: str, request: Request, caller: CurrentCaller):
    """The IDs of a phone book as one comma-separated list."""
    with get_box(request).db.read() as session:
        ids = service.contact_ids(session, caller, owner)
    return xml_response("Success", [el("oids", oids_text(ids))])
