"""Where signed contract files are kept ($CRM_DATA_DIR/contract-files/<id>), their size limit and allowed types."""
from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Mapping

from crm_shared.settings import Settings
from sales.deal_rules import DealRuleViolation

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024
# The types a signed copy may have, and how such a file begins: the bytes must agree with the declared type.
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def clean_file_name(name: str | None) -> str:
    """The last part of a client's file name, without control characters; `contract` if nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ord(ch) >= 32 and ch != "\x7f").strip()
    return base[:255] or "contract"


class ContractFileStore:
    """Signed contract files on local disk, written whole or not at all."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.folder = folder
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> "ContractFileStore":
        env = os.environ if environ is None else environ
        return cls(settings.data_dir / "contract-files",
                   int(env.get("CRM_SALES_CONTRACT_FILE_MAX_BYTES", DEFAULT_MAX_BYTES)))

    def path(self, file_id: str) -> Path:
        return self.folder / file_id

    def _partial(self, file_id: str) -> Path:
        return self.folder / f"{file_id}.part"

    def check_size(self, size: int | None) -> None:
        if size is not None and size > self.max_bytes:
            raise DealRuleViolation("contract_file_too_large", f"A signed contract file may have at most "
                                                               f"{self.max_bytes} bytes.",
                                    {"file": [f"At most {self.max_bytes} bytes."]})

    def receive(self, file_id: str, stream: BinaryIO, content_type: str | None) -> tuple[str, int]:
        """Write the upload beside its final place; its type and size. Nothing stays behind if it is refused."""
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind not in ALLOWED_TYPES:
            raise DealRuleViolation("unsupported_contract_file_type", f"Files of type {kind or 'unknown'} are not "
                                                                      f"accepted.",
                                    {"file": [f"The type must be one of: {', '.join(sorted(ALLOWED_TYPES))}."]})
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self._partial(file_id)
        size = 0
        try:
            with open(partial, "xb") as out:
                chunk = stream.read(CHUNK)
                if chunk and not chunk.startswith(ALLOWED_TYPES[kind]):
                    raise DealRuleViolation("unsupported_contract_file_type", f"The file's content is not {kind}.",
                                            {"file": [f"The content does not look like {kind}."]})
                while chunk:
                    size += len(chunk)
                    self.check_size(size)
                    out.write(chunk)
                    chunk = stream.read(CHUNK)
            if size == 0:
                raise DealRuleViolation("empty_file", "The file is empty.", {"file": ["The file is empty."]})
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return kind, size

    def keep(self, file_id: str) -> None:
        """The signing was committed: the file takes its final name."""
        os.replace(self._partial(file_id), self.path(file_id))

    def discard(self, file_id: str) -> None:
        self._partial(file_id).unlink(missing_ok=True)
