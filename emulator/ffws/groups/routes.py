"""Group functions (03-contacts-groups §3.6–3.10)."""

from __future__ import annotations

from fastapi import Request

from emulator.catalogue import device
from emulator.ffws.auth import require_change
from emulator.ffws.groups import service
from emulator.ffws.groups.wire import FILTER_FIELDS, GROUP, group_element, read_group
from emulator.ffws.http import CurrentCaller, GlobalListOpen, Work, XmlBody, base_url
from emulator.ffws.listing import LIST_PARAMS, ListQuery, oids_text
from emulator.wire import el, parse_xml
from emulator.wire.response import xml_response


@device.route("GET", "/contact_groups/{owner}", params=LIST_PARAMS + FILTER_FIELDS)
def view_groups(owner: str, request: Request, caller: CurrentCaller, work: Work):
    """The groups of a user or of global_contact_list, with limit/offset, filters and order."""
    query = ListQuery.parse(request.query_params, FILTER_FIELDS)
    base = base_url(request)
    groups = service.list_groups(work.session, caller, owner, query)
    return xml_response("Success", [group_element(g, base) for g in groups])


@device.route("GET", "/contact_groups/{owner}/{group_id}")
def view_group(owner: str, group_id: str, request: Request, caller: CurrentCaller, work: Work):
    """One group (the URL the device emits as contact_group_url)."""
    group = service.view_group(work.session, caller, owner, group_id)
    return xml_response("Success", [group_element(group, base_url(request))])


@device.route("POST", "/contact_groups/{owner}")
def add_group(
    owner: str, request: Request, caller: CurrentCaller, global_open: GlobalListOpen, work: Work, body: XmlBody
):
    """Create a group; answers 200 Created with the stored group, members in request order."""
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values, members = read_group(parse_xml(body, root="contact_group", shape=GROUP))
    group = service.add_group(work.session, caller, owner, values, members)
    return xml_response("Created", [group_element(group, base_url(request))])


@device.route("PUT", "/contact_groups/{owner}/{group_id}")
def edit_group(
    owner: str,
    group_id: str,
    request: Request,
    caller: CurrentCaller,
    global_open: GlobalListOpen,
    work: Work,
    body: XmlBody,
):
    """Change the fields sent; a contact list, when sent, replaces the members."""
    require_change(caller, owner, global_open)  # before parsing: a stranger gets 403, not a 400
    values, members = read_group(parse_xml(body, root="contact_group", shape=GROUP))
    service.edit_group(work.session, caller, owner, group_id, values, members)
    return xml_response("Modified")


@device.route("DELETE", "/contact_groups/{owner}/{group_id}")
def delete_group(owner: str, group_id: str, request: Request, caller: CurrentCaller, work: Work):
    """Delete a group (its contacts stay)."""
    service.delete_group(work.session, caller, owner, group_id)
    return xml_response("Deleted")


@device.route("GET", "/contact_group_oids/{owner}")
def view_group_ids(owner: str, request: Request, caller: CurrentCaller, work: Work):
    """The IDs of a user's groups as one comma-separated list."""
    ids = service.group_ids(work.session, caller, owner)
    return xml_response("Success", [el("oids", oids_text(ids))])
