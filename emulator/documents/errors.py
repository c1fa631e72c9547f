"""The single exception type the documents package lets escape for bad input."""

from collections.abc import Iterator
from contextlib import contextmanager


class ConversionError(Exception):
    """Raised when an attachment cannot be turned into fax pages.

    ``str(e)`` is a short human reason such as ``'not a valid PDF'``; the caller prefixes the attachment name.
    """


@contextmanager
def reraise_as_conversion_error(reason: str) -> Iterator[None]:
    """Turn any exception raised by a parsing library into a ConversionError carrying ``reason``.

    pypdf and pillow raise a wide and undocumented variety of exceptions on hostile input (ValueError,
    KeyError, struct.error, RecursionError, ...), so callers cannot enumerate them.
    """
    try:
        yield
    except ConversionError:
        raise
    except Exception as exc:
        raise ConversionError(reason) from exc
