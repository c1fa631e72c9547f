"""The single exception type the documents package lets escape for bad input."""

import errno
from collections.abc import Iterator
from contextlib import contextmanager

# A full file system, or a full quota of the file system's own.
DISK_FULL_ERRNOS = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None)


class ConversionError(Exception):
    """Raised when an attachment cannot be turned into fax pages.

    ``str(e)`` is a short human reason such as ``'not a valid PDF'``; the caller prefixes the attachment name.
    ``permanent`` is False when asking again may succeed (a worker killed from outside, a deadline passed on a busy
    machine): such a refusal is not remembered.
    """

    def __init__(self, *args: object, permanent: bool = True) -> None:
        super().__init__(*args)
        self.permanent = permanent


@contextmanager
def reraise_as_conversion_error(reason: str) -> Iterator[None]:
    """Turn any exception raised by a parsing library into a ConversionError carrying ``reason``.

    pypdf and pillow raise a wide and undocumented variety of exceptions on hostile input (ValueError,
    KeyError, struct.error, RecursionError, ...), so callers cannot enumerate them. Running out of memory is not
    a property of the input but of the budget it was given: it stays a MemoryError, for the worker to report. Nor
    is a full disk: it stays the OSError it is, for the box to answer as a full disk (and to try again later).
    """
    try:
        yield
    except (ConversionError, MemoryError):
        raise
    except OSError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            raise
        raise ConversionError(reason) from exc
    except Exception as exc:
        raise ConversionError(reason) from exc
