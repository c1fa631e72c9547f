"""The rules for phone books: a user's own contacts and the global list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emulator.device.config import global_list_open
from emulator.ffws.auth import Caller, require_change, require_view
from emulator.ffws.contacts.models import GLOBAL_OWNER, Contact
from emulator.ffws.contacts.wire import CONTACT_FIELDS
from emulator.ffws.fields import id_or_404, not_found, require
from emulator.ffws.groups.models import GroupMember
from emulator.ffws.listing import ListQuery
from emulator.ffws.users.service import NO_USER, find_user
from emulator.wire.errors import invalid

CONTACT_NOT_FOUND = "Contact not found."


def check_owner(session: Session, owner: str, message: str = NO_USER) -> None:
    """``owner`` must be a user or the global list (404 with ``message`` otherwise)."""
    if owner != GLOBAL_OWNER and find_user(session, owner) is None:
        raise not_found(message)


def may_add_global(session: Session, caller: Caller) -> bool:
    """Whether the caller may write the global phone book: an administrator, or anyone while the device setting
    global_contacts_status allows it."""
    return caller.is_admin or global_list_open(session)


def list_contacts(session: Session, caller: Caller, owner: str, query: ListQuery) -> list[Contact]:
    require_view(caller, owner)
    check_owner(session, owner)
    stmt = query.apply(select(Contact).where(Contact.owner == owner), Contact)
    return list(session.scalars(stmt))


def get_contact(session: Session, owner: str, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.owner != owner:
        raise not_found(CONTACT_NOT_FOUND)
    return contact


def view_contact(session: Session, caller: Caller, owner: str, raw_id: str) -> Contact:
    require_view(caller, owner)
    check_owner(session, owner)
    return get_contact(session, owner, id_or_404(raw_id, CONTACT_NOT_FOUND))


def add_contact(session: Session, caller: Caller, owner: str, values: dict[str, Any]) -> Contact:
    require_change(caller, owner, global_list_open(session))  # as it is now, in this transaction
    check_owner(session, owner)
    require(values, CONTACT_FIELDS)
    contact = Contact(owner=owner, **values)
    session.add(contact)
    session.flush()
    return contact


def edit_contact(session: Session, caller: Caller, owner: str, raw_id: str, values: dict[str, Any]) -> Contact:
    require_change(caller, owner, global_list_open(session))  # as it is now, in this transaction
    check_owner(session, owner, CONTACT_NOT_FOUND)
    contact = get_contact(session, owner, id_or_404(raw_id, CONTACT_NOT_FOUND))
    if "name" in values and not values["name"].strip():
        raise invalid("name", "empty")
    for key, value in values.items():
        setattr(contact, key, value)
    return contact


def delete_contact(session: Session, caller: Caller, owner: str, raw_id: str) -> None:
    """Delete a contact and take it out of every group that listed it."""
    require_change(caller, owner, global_list_open(session))  # as it is now, in this transaction
    check_owner(session, owner, CONTACT_NOT_FOUND)
    contact = get_contact(session, owner, id_or_404(raw_id, CONTACT_NOT_FOUND))
    session.execute(delete(GroupMember).where(GroupMember.contact_id == contact.id))
    session.delete(contact)


def delete_phone_books(session: Session, owners: list[str]) -> None:
    """Every contact of ``owners`` (users being deleted), and their places in groups."""
    theirs = select(Contact.id).where(Contact.owner.in_(owners))
    session.execute(delete(GroupMember).where(GroupMember.contact_id.in_(theirs)))
    session.execute(delete(Contact).where(Contact.owner.in_(owners)))


def contact_ids(session: Session, caller: Caller, owner: str) -> list[int]:
    require_view(caller, owner)
    check_owner(session, owner, CONTACT_NOT_FOUND)
    return list(session.scalars(select(Contact.id).where(Contact.owner == owner).order_by(Contact.id)))
