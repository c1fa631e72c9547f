"""Delete All (the web pages' Users menu): every user but the administrators goes, with what is only theirs, through
the services that keep each of those things."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.db.work import UnitOfWork
from emulator.ffws.auth import Caller
from emulator.ffws.configuration import service as configuration
from emulator.ffws.contacts import service as contacts
from emulator.ffws.groups import service as groups
from emulator.ffws.users import service as users


@dataclass(frozen=True)
class Deleted:
    users: int
    route_destinations: int  # inbound route destinations that delivered to them


def delete_all_users(work: UnitOfWork, caller: Caller) -> Deleted:
    """Their phone books and groups go, and the inbound route destinations that delivered to them (a fax must not
    be routed to a user that is no more); their faxes and log records stay, as history."""
    session = work.session
    deleted = users.deletable_users(session, caller)
    names = [user.username for user in deleted]
    groups.delete_groups_of(session, names)
    contacts.delete_phone_books(session, names)
    destinations = configuration.forget_users(session, names)
    users.delete_users(work, caller, deleted)
    return Deleted(len(deleted), destinations)
