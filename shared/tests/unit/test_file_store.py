"""An upload is kept whole once its record is committed, or refused in the owning service's words, leaving nothing."""
import io

import pytest

from crm_shared.file_store import PDF, FileStore, clean_file_name


class Refused(Exception):
    def __init__(self, code: str, message: str, errors: dict):
        super().__init__(message)
        self.code, self.errors = code, errors


class NoteStore(FileStore):
    noun, error = "note file", Refused
    type_code, size_code = "unsupported_note_type", "note_too_large"


@pytest.fixture
def store(tmp_path) -> NoteStore:
    return NoteStore(tmp_path / "notes", max_bytes=10, allowed_types={"application/pdf": PDF, "text/plain": None})


def test_an_upload_takes_its_final_name_only_when_kept_and_a_discarded_one_is_gone(store):
    assert store.receive("n-1", io.BytesIO(b"%PDF-1.7"), "Application/PDF; x=y") == ("application/pdf", 8)
    assert store.receive("n-2", io.BytesIO(b"any text"), "text/plain") == ("text/plain", 8)
    assert not store.path("n-1").exists()
    store.keep("n-1")
    store.discard("n-2")
    assert store.path("n-1").read_bytes() == b"%PDF-1.7"
    assert sorted(path.name for path in store.folder.iterdir()) == ["n-1"]


@pytest.mark.parametrize("content, content_type, code, message", [
    (b"<html>", "text/html", "unsupported_note_type", "Files of type text/html are not accepted."),
    (b"<html>", "application/pdf", "unsupported_note_type", "The file's content is not application/pdf."),
    (b"x" * 11, "text/plain", "note_too_large", "A note file may have at most 10 bytes."),
    (b"", "text/plain", "empty_file", "The file is empty."),
])
def test_a_refused_upload_is_refused_with_the_services_code_and_leaves_nothing(store, content, content_type, code,
                                                                              message):
    with pytest.raises(Refused, match=message) as refused:
        store.receive("n-1", io.BytesIO(content), content_type)
    assert refused.value.code == code and list(refused.value.errors) == ["file"]
    assert not store.folder.exists() or not any(store.folder.iterdir())


def test_a_clients_file_name_keeps_its_last_part_only():
    assert clean_file_name("C:\\Users\\x\\合同.pdf", "file") == "合同.pdf"
    assert clean_file_name("\x00\n", "file") == "file"
