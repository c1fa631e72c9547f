"""The rules for users: who may see and change whom, what a valid user is."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emulator.db.work import UnitOfWork
from emulator.events import UserChanged
from emulator.ffws.auth import CHANGE_DENIED, DATA_CHANGE_DENIED, VIEW_DENIED, Caller, may_act_on, require_admin
from emulator.ffws.contacts.models import GLOBAL_OWNER
from emulator.ffws.fields import not_found, require
from emulator.ffws.users.models import User
from emulator.ffws.users.wire import USER_FIELDS
from emulator.wire import FFWSError
from emulator.wire.errors import invalid

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*")
NO_USER = "No user found with that username."
USER_NOT_FOUND = "User not found."


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def view_user(session: Session, caller: Caller, username: str) -> User:
    if not may_act_on(caller, username):
        raise FFWSError(403, VIEW_DENIED)
    user = find_user(session, username)
    if user is None:
        raise not_found(NO_USER)
    return user


def require_may_add(caller: Caller) -> None:
    require_admin(caller, CHANGE_DENIED)


def require_may_edit(caller: Caller, username: str) -> None:
    if not may_act_on(caller, username):
        raise FFWSError(403, DATA_CHANGE_DENIED)


def _check_values(values: dict[str, Any], cover_pages: Collection[str]) -> None:
    name = values.get("default_cover_page_name")
    if name and name not in cover_pages:
        raise invalid("default_cover_page_name", f"no cover page named {name}")
    if "password" in values and not values["password"]:
        raise invalid("password", "empty")


def _check_new(values: dict[str, Any], cover_pages: Collection[str]) -> None:
    require(values, USER_FIELDS)
    username = values["username"]
    if username == GLOBAL_OWNER or not USERNAME.fullmatch(username):
        raise invalid("username", "only letters, digits and _ . @ - are allowed, starting with a letter or digit")
    _check_values(values, cover_pages)


def add_user(
    work: UnitOfWork,
    caller: Caller,
    values: dict[str, Any],
    hash_password: Callable[[str], str],
    cover_pages: Collection[str],
) -> User:
    """Create a user. The password is hashed (slow, by design) once the request is known valid and before the
    transaction opens: the queue's lock is never held while Argon2 runs."""
    require_may_add(caller)
    _check_new(values, cover_pages)
    password_hash = hash_password(values.pop("password"))
    session = work.session
    username = values["username"]
    if find_user(session, username) is not None:
        raise invalid("username", "already exists")
    user = User(username=username, password_hash=password_hash, is_admin=False)
    for key, value in values.items():
        setattr(user, key, value)
    session.add(user)
    session.flush()
    work.emit(UserChanged(user.id, user.username, credentials=False))
    return user


def _existing_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise not_found(USER_NOT_FOUND)
    return user


def _check_edit(username: str, values: dict[str, Any], cover_pages: Collection[str]) -> None:
    if values.get("username", username) != username:
        raise invalid("username", "cannot be changed")
    if "name" in values and not values["name"].strip():
        raise invalid("name", "empty")
    _check_values(values, cover_pages)


def edit_user(
    work: UnitOfWork,
    caller: Caller,
    username: str,
    values: dict[str, Any],
    hash_password: Callable[[str], str],
    cover_pages: Collection[str],
) -> User:
    """Change the fields the request carries. A new password is hashed before the transaction opens, and only
    once the values are known valid; a password change makes the cached credentials of the user stale."""
    require_may_edit(caller, username)
    try:
        _check_edit(username, values, cover_pages)
    except FFWSError:
        _existing_user(work.session, username)  # a missing user is refused with 404 first, as it always was
        raise
    password = values.pop("password", None)
    password_hash = hash_password(password) if password is not None else None
    user = _existing_user(work.session, username)
    values.pop("username", None)
    for key, value in values.items():
        setattr(user, key, value)
    if password_hash is not None:
        user.password_hash = password_hash
    work.emit(UserChanged(user.id, user.username, credentials=password_hash is not None))
    return user


# -- whom the box's mail concerns (emulator.mail) -----------------------------------------------------------------
def user_by_email(session: Session, address: str) -> User | None:
    """The user whose e-mail address ``address`` is, in any case (the first made, when several share it)."""
    address = address.strip()
    if not address:
        return None
    stmt = select(User).where(func.lower(User.email_address) == address.lower()).order_by(User.id).limit(1)
    return session.scalars(stmt).first()


def users_named(session: Session, usernames: Collection[str]) -> dict[str, User]:
    if not usernames:
        return {}
    return {user.username: user for user in session.scalars(select(User).where(User.username.in_(usernames)))}


def first_admin(session: Session) -> User | None:
    """The user admin, else the first administrator made."""
    stmt = select(User).where(User.is_admin.is_(True)).order_by(User.username != "admin", User.id).limit(1)
    return session.scalars(stmt).first()


def list_users(session: Session, caller: Caller) -> list[User]:
    """Every user for an admin (the web pages' Users list); a user sees itself, as GET /users/{username} allows."""
    stmt = select(User).order_by(User.username)
    if not caller.is_admin:
        stmt = stmt.where(User.id == caller.id)
    return list(session.scalars(stmt))


def deletable_users(session: Session, caller: Caller) -> list[User]:
    """The users Delete All deletes: every one but the administrators (an administrator's call only)."""
    require_admin(caller, DATA_CHANGE_DENIED)
    return list(session.scalars(select(User).where(User.is_admin.is_(False))))


def delete_users(work: UnitOfWork, caller: Caller, deleted: list[User]) -> None:
    """Delete these users (what was theirs elsewhere, the phone books and routes, is the caller's to clear first);
    their credentials stop working at once."""
    require_admin(caller, DATA_CHANGE_DENIED)
    for user in deleted:
        work.session.delete(user)
        work.emit(UserChanged(user.id, user.username, credentials=True))
