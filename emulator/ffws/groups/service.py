"""The rules for contact groups: members are contacts of the group's owner or of the global list."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emulator.device.config import global_list_open
from emulator.ffws.auth import Caller, require_change, require_view
from emulator.ffws.contacts.models import GLOBAL_OWNER, Contact
from emulator.ffws.contacts.service import check_owner
from emulator.ffws.fields import id_or_404, not_found, parse_id, require
from emulator.ffws.groups.models import ContactGroup, GroupMember
from emulator.ffws.groups.wire import GROUP_FIELDS
from emulator.ffws.listing import ListQuery
from emulator.wire.errors import invalid

NO_GROUP = "No group found with that username."
NO_GROUP_FOR = "No group found for that username."
_CONTACT_PATH = re.compile(r"(?:^|/)ffws/v1/contacts/([^/?#]+)/([^/?#]+)/?$")


def list_groups(session: Session, caller: Caller, owner: str, query: ListQuery) -> list[ContactGroup]:
    require_view(caller, owner)
    check_owner(session, owner)
    stmt = query.apply(select(ContactGroup).where(ContactGroup.owner == owner), ContactGroup)
    return list(session.scalars(stmt))


def _get_group(session: Session, owner: str, raw_id: str) -> ContactGroup:
    group = session.get(ContactGroup, id_or_404(raw_id, NO_GROUP))
    if group is None or group.owner != owner:
        raise not_found(NO_GROUP)
    return group


def view_group(session: Session, caller: Caller, owner: str, raw_id: str) -> ContactGroup:
    require_view(caller, owner)
    check_owner(session, owner)
    return _get_group(session, owner, raw_id)


def _resolve_members(session: Session, owner: str, urls: list[str]) -> list[Contact]:
    """Each URL must name an existing contact of ``owner`` or of the global list (400 otherwise)."""
    contacts = []
    for url in urls:
        match = _CONTACT_PATH.search(url.split("?", 1)[0])
        key = parse_id(match.group(2)) if match else None
        contact = session.get(Contact, key) if key is not None else None
        if contact is None or contact.owner != match.group(1) or contact.owner not in (owner, GLOBAL_OWNER):
            raise invalid("contact", f"{url} names no contact of {owner} or of the global list")
        contacts.append(contact)
    return contacts


def _set_members(group: ContactGroup, contacts: list[Contact]) -> None:
    group.members = [GroupMember(position=i, contact_id=c.id, contact_owner=c.owner) for i, c in enumerate(contacts)]


def add_group(
    session: Session,
    caller: Caller,
    owner: str,
    values: dict[str, Any],
    member_urls: list[str] | None,
) -> ContactGroup:
    require_change(caller, owner, global_list_open(session))  # as it is now, in this transaction
    check_owner(session, owner)
    require(values, GROUP_FIELDS)
    contacts = _resolve_members(session, owner, member_urls or [])
    group = ContactGroup(owner=owner, **values)
    session.add(group)
    session.flush()
    _set_members(group, contacts)
    session.flush()
    return group


def edit_group(
    session: Session,
    caller: Caller,
    owner: str,
    raw_id: str,
    values: dict[str, Any],
    member_urls: list[str] | None,
) -> None:
    """Change the fields sent; a ``<contact>`` list, when sent, replaces the members (the path names the group)."""
    require_change(caller, owner, global_list_open(session))  # as it is now, in this transaction
    check_owner(session, owner)
    group = _get_group(session, owner, raw_id)
    if "name" in values and not values["name"].strip():
        raise invalid("name", "empty")
    contacts = _resolve_members(session, owner, member_urls) if member_urls is not None else None
    for key, value in values.items():
        setattr(group, key, value)
    if contacts is not None:
        group.members.clear()
        session.flush()
        _set_members(group, contacts)


def delete_group(session: Session, caller: Caller, owner: str, raw_id: str) -> None:
    require_change(caller, owner, global_list_open(session))  # as it is now, in this transaction
    check_owner(session, owner, NO_GROUP)
    session.delete(_get_group(session, owner, raw_id))


def delete_groups_of(session: Session, owners: list[str]) -> None:
    """Every group of ``owners`` (users being deleted), with its memberships."""
    theirs = select(ContactGroup.id).where(ContactGroup.owner.in_(owners))
    session.execute(delete(GroupMember).where(GroupMember.group_id.in_(theirs)))
    session.execute(delete(ContactGroup).where(ContactGroup.owner.in_(owners)))


def group_ids(session: Session, caller: Caller, owner: str) -> list[int]:
    require_view(caller, owner)
    check_owner(session, owner, NO_GROUP_FOR)
    stmt = select(ContactGroup.id).where(ContactGroup.owner == owner).order_by(ContactGroup.id)
    return list(session.scalars(stmt))
