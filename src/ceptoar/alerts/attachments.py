"""What may be attached to an alert: size and type limits checked on the bytes, not only the name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Extension → (content type, leading bytes that the file must start with, or None for text).
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
    ".json": ("application/json", None),
    ".xml": ("application/xml", None),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
}
# Bytes that betray an executable or script whatever the file is called.
_FORBIDDEN_PREFIXES = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str


def check_attachment(name: str, content: bytes) -> CheckedFile:
    """Raise ValidationError naming the file when it is too large or not an allowed type."""
    limit = settings.CEPTOAR_ATTACHMENT_MAX_BYTES
    safe_name = PurePath(name.replace("\\", "/")).name or "attachment"
    if len(content) > limit:
        raise ValidationError(
            _("%(name)s is %(size)s bytes; attachments may be at most %(limit)s bytes.")
            % {"name": safe_name, "size": f"{len(content):,}", "limit": f"{limit:,}"},
            code="too_large",
        )
    extension = PurePath(safe_name).suffix.lower()
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            _("%(name)s: files of type %(extension)s may not be attached. Allowed: %(allowed)s.")
            % {"name": safe_name, "extension": extension or "?", "allowed": ", ".join(sorted(ALLOWED_TYPES))},
            code="forbidden_type",
        )
    content_type, signatures = ALLOWED_TYPES[extension]
    head = content[:16]
    wrong_signature = signatures is not None and not head.startswith(signatures)
    if (
        head.startswith(_FORBIDDEN_PREFIXES)
        or wrong_signature
        or (signatures is None and b"\x00" in content[:4096])
    ):
        raise ValidationError(
            _("%(name)s does not contain what its name says (%(extension)s).")
            % {"name": safe_name, "extension": extension},
            code="mismatched_type",
        )
    return CheckedFile(safe_name, content_type, len(content), hashlib.sha256(content).hexdigest())
