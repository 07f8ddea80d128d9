"""Uploaded files kept on local disk, whole or not at all, of an allowed type whose first bytes agree with it.

An upload is written beside its final place (`<id>.part`) while the request that brought it runs; the service
calls `keep` once its database transaction committed, `discard` if it did not, so a file is never left without
its record. A refused upload (type, content, size, empty) leaves nothing behind, and is refused with the
owning service's error and codes, which name its own rules.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Callable, ClassVar, Mapping

CHUNK = 64 * 1024

# How files of some types begin, for the allow-lists of the services.
PDF, PNG, JPEG = (b"%PDF-",), (b"\x89PNG\r\n\x1a\n",), (b"\xff\xd8\xff",)
GIF, WEBP = (b"GIF87a", b"GIF89a"), (b"RIFF",)
OOXML, OLE = (b"PK\x03\x04",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)


def normalise_type(content_type: str | None) -> str:
    """`Application/PDF; charset=binary` -> `application/pdf`."""
    return (content_type or "").split(";")[0].strip().lower()


def clean_file_name(name: str | None, fallback: str) -> str:
    """The last part of a client's file name, without control characters; `fallback` if nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ord(ch) >= 32 and ch != "\x7f").strip()
    return base[:255] or fallback


class FileStore:
    """Files in `folder`, by id, of the types in `allowed_types` (type -> how such a file begins, None: no fixed
    signature) and at most `max_bytes` long. A subclass names its files and its refusals (the class variables)."""

    noun: ClassVar[str]  # what the files are, in a message: "material file"
    error: ClassVar[Callable[[str, str, dict], Exception]]  # (code, message, errors by field) -> the error raised
    type_code: ClassVar[str]  # the code of a type that is not allowed, or of content that is not its type
    size_code: ClassVar[str]  # the code of a file over the limit

    def __init__(self, folder: Path, max_bytes: int, allowed_types: Mapping[str, tuple[bytes, ...] | None]):
        self.folder = folder
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types

    def refusal(self, reason: str, kind: str) -> Exception:
        """The error for an upload refused for `reason` ("type", "content", "size" or "empty")."""
        error = type(self).error  # from the class: a plain function there would otherwise bind as a method
        if reason == "type":
            return error(self.type_code, f"Files of type {kind or 'unknown'} are not accepted.",
                         {"file": [f"The type must be one of: {', '.join(sorted(self.allowed_types))}."]})
        if reason == "content":
            return error(self.type_code, f"The file's content is not {kind}.",
                         {"file": [f"The content does not look like {kind}."]})
        if reason == "size":
            return error(self.size_code, f"A {self.noun} may have at most {self.max_bytes} bytes.",
                         {"file": [f"At most {self.max_bytes} bytes."]})
        return error("empty_file", "The file is empty.", {"file": ["The file is empty."]})

    def path(self, file_id: str) -> Path:
        return self.folder / file_id

    def _partial(self, file_id: str) -> Path:
        return self.folder / f"{file_id}.part"

    def check_type(self, content_type: str | None) -> str:
        """The declared type, normalised, if it is allowed."""
        kind = normalise_type(content_type)
        if kind not in self.allowed_types:
            raise self.refusal("type", kind)
        return kind

    def check_size(self, size: int | None) -> None:
        if size is not None and size > self.max_bytes:
            raise self.refusal("size", "")

    def receive(self, file_id: str, stream: BinaryIO, content_type: str | None) -> tuple[str, int]:
        """Write the upload beside its final place; its type and size. Nothing stays behind if it is refused."""
        kind = self.check_type(content_type)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self._partial(file_id)
        size = 0
        try:
            with open(partial, "xb") as out:
                chunk = stream.read(CHUNK)
                signatures = self.allowed_types[kind]
                # The declared type must agree with the bytes, so an HTML page cannot pass for a PDF.
                if chunk and signatures and not chunk.startswith(signatures):
                    raise self.refusal("content", kind)
                while chunk:
                    size += len(chunk)
                    self.check_size(size)
                    out.write(chunk)
                    chunk = stream.read(CHUNK)
            if size == 0:
                raise self.refusal("empty", kind)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return kind, size

    def keep(self, file_id: str) -> None:
        """Its record was committed: the file takes its final name."""
        os.replace(self._partial(file_id), self.path(file_id))

    def discard(self, file_id: str) -> None:
        self._partial(file_id).unlink(missing_ok=True)

    def delete(self, file_id: str) -> None:
        self.path(file_id).unlink(missing_ok=True)
