"""Group functions (03-contacts-groups §3.6–3.10)."""

from __future__ import annotations

from fastapi import Request

from emulator.catalogue import device
from emulator.ffws.auth import require_change
from emulator.ffws.groups import service
from emulator.ffws.groups.wire import FILTER_FIELDS, group_element, read_group
from emulator.ffws.http import CurrentCaller, GlobalListOpen, XmlBody, base_url, get_box
from emulator.ffws.listing import ListQuery, oids_text
from emulator.wire import el, parse_xml
from emulator.wire.response import xml_response


@device.route("GET", "/contact_groups/{owner}")
def view_groups(owner: str, request: Request, caller: CurrentCaller):
    """The groups of a user or of global_contact_list, with limit/offset, filters and order."""
    query = ListQuery.parse(request.query_params, FILTER_FIELDS)
    base = base_url(request)
    with get_box(request).db.read() as session:
        groups = service.list_groups(session, caller, owner, query)
        return xml_response("Success", [group_element(g, base) for g in groups])


@device.route("GET", "/contact_groups/{owner}/{group_id}")
def view_group(owner: str, group_id: str, request: Request, caller: CurrentCaller):
    """One group (the URL the device emits as contact_group_url)."""
    with get_box(request).db.read() as session:
        group = service.view_group(session, caller, owner, group_id)
        return xml_response("Success", [group_element(group, base_url(request))])


@device.route("POST", "/contact_groups/{owner}")
def add_group(owner: str, request: Request, caller: CurrentCaller, global_open: GlobalListOpen, body: XmlBody):
    """Create a group; answers 200 Created with the stored group, members in request order."""
    box = get_box(request)
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values, members = read_group(parse_xml(body, root="contact_group"))
    with box.db.transaction() as session:
        group = service.add_group(session, caller, owner, values, members, global_open)
        return xml_response("Created", [group_element(group, base_url(request))])


@device.route("PUT", "/contact_groups/{owner}/{group_id}")
def edit_group(
    owner: str,
    group_id: str,
    request: Request,
    caller: CurrentCaller,
    global_open: GlobalListOpen,
    body: XmlBody,
):
    """Change the fields sent; a contact list, when sent, replaces the members."""
    box = get_box(request)
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values, members = read_group(parse_xml(body, root="contact_group"))
    with box.db.transaction() as session:
        service.edit_group(session, caller, owner, group_id, values, members, global_open)
    return xml_response("Modified")


@device.route("DELETE", "/contact_groups/{owner}/{group_id}")
def delete_group(owner: str, group_id: str, request: Request, caller: CurrentCaller, global_open: GlobalListOpen):
    """Delete a group (its contacts stay)."""
    box = get_box(request)
    with box.db.transaction() as session:
        service.delete_group(session, caller, owner, group_id, global_open)
    return xml_response("Deleted")


@device.route("GET", "/contact_group_oids/{owner}")
def view_group_ids(owner: str, request: Request, caller: CurrentCaller):
    """The IDs of a user's groups as one comma-separated list."""
    with get_box(request).db.read() as session:
        ids = service.group_ids(session, caller, owner)
    return xml_response("Success", [el("oids", oids_text(ids))])
