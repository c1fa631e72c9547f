"""What the box converts (its content types), without importing the converters."""

SUPPORTED_CONTENT_TYPES = frozenset({"application/pdf", "text/plain", "image/tiff", "image/png", "image/jpeg"})
