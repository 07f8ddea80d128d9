"""Where uploaded material files are kept ($CRM_DATA_DIR/materials/<id>), their size limit and the type allow-list."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from crm_shared.file_store import GIF, JPEG, OLE, OOXML, PDF, PNG, WEBP, FileStore, clean_file_name as _clean_name
from crm_shared.settings import Settings
from leads.campaigns import CampaignRuleViolation

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# The types a material may have, and how such a file begins (None: no fixed signature).
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": PDF,
    "image/png": PNG,
    "image/jpeg": JPEG,
    "image/gif": GIF,
    "image/webp": WEBP,
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


def clean_file_name(name: str | None) -> str:
    """The last part of a client's file name, without control characters; `material` if nothing is left."""
    return _clean_name(name, "material")


class MaterialStore(FileStore):
    """Material files on local disk, written whole or not at all."""

    noun, error = "material file", CampaignRuleViolation
    type_code, size_code = "unsupported_material_type", "material_too_large"

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__(folder, max_bytes, ALLOWED_TYPES)

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> "MaterialStore":
        env = os.environ if environ is None else environ
        return cls(settings.data_dir / "materials", int(env.get("CRM_LEADS_MATERIAL_MAX_BYTES", DEFAULT_MAX_BYTES)))
