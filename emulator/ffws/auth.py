"""HTTP Basic authentication and the permission rules of the device.

Verifying an Argon2 hash costs tens of milliseconds by design, so verified credentials are remembered in a bounded
in-memory cache keyed by a digest of ``username:password``; the entries of a user are dropped when the password
changes. Unknown users cost the same as wrong passwords (a dummy hash is verified), and both get the same 401.

The cache never outlives what the database holds: each user has a stamp, bumped when its password changes, and the
whole cache an epoch, bumped when the state is reset or replaced, both right after the commit and before the queue's
lock is released. A caller carries the epoch and stamp it was verified under; a verification that raced a change is
not cached, and a unit of work refuses (401) a caller whose credentials changed since (``require_current``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.db import Database
from emulator.ffws.contacts.models import GLOBAL_OWNER
from emulator.ffws.users.models import User
from emulator.wire import FFWSError

REALM = "FaxFinder"
CACHE_SIZE = 1024

VIEW_DENIED = "Authenticated user does not have permission to view data associated with username."
FAX_DENIED = "Authenticated user does not have permission to view this fax."
# Without "associated with username": the guide's wording for editing a user and for the box's own settings.
DATA_VIEW_DENIED = "Authenticated user does not have permission to view data."
DATA_CHANGE_DENIED = "Authenticated user does not have permission to change data."
CHANGE_DENIED = "Authenticated user does not have permission to change data associated with username."


@dataclass(frozen=True)
class Caller:
    id: int
    username: str
    is_admin: bool
    # Which credentials this caller was verified against: the cache's epoch and the user's stamp at the time, and
    # a digest of the stored hash it matched.
    epoch: int = 0
    stamp: int = 0
    proof: bytes = b""


def unauthorized() -> FFWSError:
    return FFWSError(401, "Unauthorized", {"WWW-Authenticate": f'Basic realm="{REALM}"'})


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._hash = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1),))
        self._dummy: str | None = None  # verified against for unknown users; made when first needed

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, hashed: str | None) -> bool:
        if hashed is None and self._dummy is None:
            self._dummy = self._hash.hash("not a password of anyone")
        try:
            return self._hash.verify(password, hashed or self._dummy) and hashed is not None
        except Exception:  # a corrupt stored hash must read as "wrong password", never as a 500
            return False


def _proof(stored: str | None) -> bytes:
    return hashlib.sha256((stored or "").encode()).digest()


def parse_basic(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


class Authenticator:
    def __init__(self, db: Database, passwords: Passwords) -> None:
        self._db = db
        self.passwords = passwords
        self._cache: OrderedDict[bytes, Caller] = OrderedDict()
        self._lock = threading.Lock()
        self._epoch = 0
        self._stamps: dict[int, int] = {}

    @staticmethod
    def _key(username: str, password: str) -> bytes:
        return hashlib.sha256(f"{username}\0{password}".encode()).digest()

    def cached(self, header: str | None) -> Caller | None:
        """The caller if these credentials were verified before (cheap; no database, no Argon2)."""
        credentials = parse_basic(header)
        if credentials is None:
            raise unauthorized()
        key = self._key(*credentials)
        with self._lock:
            caller = self._cache.get(key)
            if caller is not None:
                self._cache.move_to_end(key)
            return caller

    def verify(self, header: str | None) -> Caller:
        """Full check against the database (slow: Argon2). Raises the 401."""
        credentials = parse_basic(header)
        if credentials is None:
            raise unauthorized()
        username, password = credentials
        with self._lock:  # read before the hash: a change commits first and bumps these after
            epoch, stamp = self._epoch, self._stamps.get(username, 0)
        with self._db.read() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            stored = user.password_hash if user else None
            caller = Caller(user.id, user.username, user.is_admin, epoch, stamp, _proof(stored)) if user else None
        if not self.passwords.verify(password, stored) or caller is None:
            raise unauthorized()
        with self._lock:
            if self._is_current(caller):  # nothing changed while verifying: safe to remember
                self._cache[self._key(username, password)] = caller
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return caller

    def _is_current(self, caller: Caller) -> bool:
        return caller.epoch == self._epoch and caller.stamp == self._stamps.get(caller.username, 0)

    def require_current(self, caller: Caller, session: Session) -> None:
        """401 for a caller verified against credentials the database no longer holds. Cheap while nothing changed;
        after a change (of this user, or a reset or import) the user's row is read in the caller's transaction: the
        same id, name, rights and password hash still hold (an admin after a reset, say), anything else is 401."""
        with self._lock:
            if self._is_current(caller):
                return
        user = session.get(User, caller.id)
        if user is None or (user.username, user.is_admin) != (caller.username, caller.is_admin):
            raise unauthorized()
        if not hmac.compare_digest(_proof(user.password_hash), caller.proof):
            raise unauthorized()

    def forget(self, username: str) -> None:
        """A user's credentials changed: drop its cached entries, and its callers verified before are stale."""
        with self._lock:
            self._stamps[username] = self._stamps.get(username, 0) + 1
            for key in [k for k, c in self._cache.items() if c.username == username]:
                del self._cache[key]

    def clear(self) -> None:
        """Every user may be gone or another (a reset, an import): nothing verified before counts."""
        with self._lock:
            self._epoch += 1
            self._stamps.clear()
            self._cache.clear()


# -- permission rules --------------------------------------------------------------------------------------------
def may_act_on(caller: Caller, username: str) -> bool:
    return caller.is_admin or caller.username == username


def require_admin(caller: Caller, message: str) -> None:
    if not caller.is_admin:
        raise FFWSError(403, message)


def require_view(caller: Caller, owner: str) -> None:
    """Read access to ``owner``'s data: itself, an admin, or anyone for the global phone book."""
    if owner != GLOBAL_OWNER and not may_act_on(caller, owner):
        raise FFWSError(403, VIEW_DENIED)


def require_change(caller: Caller, owner: str, non_admin_may_change_global: bool = False) -> None:
    """Write access to ``owner``'s data: itself or an admin; the global phone book is admin-only unless allowed."""
    if owner == GLOBAL_OWNER:
        if caller.is_admin or non_admin_may_change_global:
            return
        raise FFWSError(403, CHANGE_DENIED)
    if not may_act_on(caller, owner):
        raise FFWSError(403, CHANGE_DENIED)
