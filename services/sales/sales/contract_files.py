"""Where signed contract files are kept ($CRM_DATA_DIR/contract-files/<id>), their size limit and allowed types."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from crm_shared.file_store import JPEG, PDF, PNG, FileStore, clean_file_name as _clean_name
from crm_shared.settings import Settings
from sales.deal_rules import DealRuleViolation

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# The types a signed copy may have, and how such a file begins: the bytes must agree with the declared type.
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {"application/pdf": PDF, "image/png": PNG, "image/jpeg": JPEG}


def clean_file_name(name: str | None) -> str:
    """The last part of a client's file name, without control characters; `contract` if nothing is left."""
    return _clean_name(name, "contract")


class ContractFileStore(FileStore):
    """Signed contract files on local disk, written whole or not at all."""

    noun, error = "signed contract file", DealRuleViolation
    type_code, size_code = "unsupported_contract_file_type", "contract_file_too_large"

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__(folder, max_bytes, ALLOWED_TYPES)

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> "ContractFileStore":
        env = os.environ if environ is None else environ
        return cls(settings.data_dir / "contract-files",
                   int(env.get("CRM_SALES_CONTRACT_FILE_MAX_BYTES", DEFAULT_MAX_BYTES)))
