"""Contact functions (03-contacts-groups §3.1–3.5): a user's phone book and the global one."""

from __future__ import annotations

from fastapi import Request

from emulator.catalogue import device
from emulator.ffws.auth import require_change
from emulator.ffws.contacts import service
from emulator.ffws.contacts.wire import CONTACT, FILTER_FIELDS, contact_element, read_contact
from emulator.ffws.http import CurrentCaller, GlobalListOpen, Work, XmlBody, base_url
from emulator.ffws.listing import LIST_PARAMS, ListQuery, oids_text
from emulator.wire import el, parse_xml
from emulator.wire.response import xml_response


@device.route("GET", "/contacts/{owner}", params=LIST_PARAMS + FILTER_FIELDS)
def view_contacts(owner: str, request: Request, caller: CurrentCaller, work: Work):
    """A phone book (a username or global_contact_list), with limit/offset, substring filters and order."""
    query = ListQuery.parse(request.query_params, FILTER_FIELDS)
    base = base_url(request)
    contacts = service.list_contacts(work.session, caller, owner, query)
    return xml_response("Success", [contact_element(c, base) for c in contacts])


@device.route("GET", "/contacts/{owner}/{contact_id}")
def view_contact(owner: str, contact_id: str, request: Request, caller: CurrentCaller, work: Work):
    """One contact."""
    contact = service.view_contact(work.session, caller, owner, contact_id)
    return xml_response("Success", [contact_element(contact, base_url(request))])


@device.route("POST", "/contacts/{owner}")
def add_contact(
    owner: str, request: Request, caller: CurrentCaller, global_open: GlobalListOpen, work: Work, body: XmlBody
):
    """Add a contact; answers 200 Created with the stored contact."""
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values = read_contact(parse_xml(body, root="contact", shape=CONTACT))
    contact = service.add_contact(work.session, caller, owner, values)
    return xml_response("Created", [contact_element(contact, base_url(request))])


@device.route("PUT", "/contacts/{owner}/{contact_id}")
def edit_contact(
    owner: str,
    contact_id: str,
    request: Request,
    caller: CurrentCaller,
    global_open: GlobalListOpen,
    work: Work,
    body: XmlBody,
):
    """Change the fields the request carries."""
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values = read_contact(parse_xml(body, root="contact", shape=CONTACT))
    service.edit_contact(work.session, caller, owner, contact_id, values)
    return xml_response("Modified")


@device.route("DELETE", "/contacts/{owner}/{contact_id}")
def delete_contact(owner: str, contact_id: str, request: Request, caller: CurrentCaller, work: Work):
    """Delete a contact (and take it out of every group)."""
    service.delete_contact(work.session, caller, owner, contact_id)
    return xml_response("Deleted")


@device.route("GET", "/contact_oids/{owner}")
def view_contact_ids(owner: str, request: Request, caller: CurrentCaller, work: Work):
    """The IDs of a phone book as one comma-separated list."""
    ids = service.contact_ids(work.session, caller, owner)
    return xml_response("Success", [el("oids", oids_text(ids))])
