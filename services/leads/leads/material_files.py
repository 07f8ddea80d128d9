"""Where uploaded material files are kept ($CRM_DATA_DIR/materials/<id>), their size limit and the type allow-list."""
from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Mapping

from crm_shared.settings import Settings
from leads.campaigns import CampaignRuleViolation

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024
OOXML = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# The types a material may have, and how such a file begins (None: no fixed signature). The declared
# type must be listed and the bytes must agree with it, so an HTML page cannot pass for a PDF.
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "video/mp4": None,
    "text/plain": None,
    "text/csv": None,
    "application/msword": OLE,
    "application/vnd.ms-excel": OLE,
    "application/vnd.ms-powerpoint": OLE,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": OOXML,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": OOXML,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": OOXML,
}


def normalise_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def clean_file_name(name: str | None) -> str:
    """The last part of a client's file name, without control characters; `material` if nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ord(ch) >= 32 and ch != "\x7f").strip()
    return base[:255] or "material"


class MaterialStore:
    """Material files on local disk, written whole or not at all."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.folder = folder
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> "MaterialStore":
        env = os.environ if environ is None else environ
        return cls(settings.data_dir / "materials", int(env.get("CRM_LEADS_MATERIAL_MAX_BYTES", DEFAULT_MAX_BYTES)))

    def path(self, material_id: str) -> Path:
        return self.folder / material_id

    def _partial(self, material_id: str) -> Path:
        return self.folder / f"{material_id}.part"

    def check_type(self, content_type: str) -> str:
        kind = normalise_type(content_type)
        if kind not in ALLOWED_TYPES:
            allowed = ", ".join(sorted(ALLOWED_TYPES))
            raise CampaignRuleViolation("unsupported_material_type", f"Files of type {kind or 'unknown'} are not accepted.",
                                        {"file": [f"The type must be one of: {allowed}."]})
        return kind

    def check_size(self, size: int | None) -> None:
        if size is not None and size > self.max_bytes:
            raise CampaignRuleViolation("material_too_large", f"A material file may have at most {self.max_bytes} bytes.",
                                        {"file": [f"At most {self.max_bytes} bytes."]})

    def receive(self, material_id: str, stream: BinaryIO, content_type: str) -> int:
        """Write the upload beside its final place and return its size; nothing stays behind if it is refused."""
        kind = self.check_type(content_type)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self._partial(material_id)
        size = 0
        try:
            with open(partial, "xb") as out:
                head = stream.read(CHUNK)
                signatures = ALLOWED_TYPES[kind]
                if signatures and not head.startswith(signatures):
                    raise CampaignRuleViolation(
                        "unsupported_material_type", f"The file's content is not {kind}.",
                        {"file": [f"The content does not look like {kind}."]})
                chunk = head
                while chunk:
                    size += len(chunk)
                    self.check_size(size)
                    out.write(chunk)
                    chunk = stream.read(CHUNK)
            if size == 0:
                raise CampaignRuleViolation("empty_file", "The file is empty.", {"file": ["The file is empty."]})
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size

    def keep(self, material_id: str) -> None:
        """The material was committed: its file takes its final name."""
        os.replace(self._partial(material_id), self.path(material_id))

    def discard(self, material_id: str) -> None:
        self._partial(material_id).unlink(missing_ok=True)

    def delete(self, material_id: str) -> None:
        self.path(material_id).unlink(missing_ok=True)
