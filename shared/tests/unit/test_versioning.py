"""The If-Match / ETag helper: what a header means, and how stale writes are answered."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from crm_shared.errors import APIError
from crm_shared.versioning import (
    VersionMismatch,
    check_version,
    etag,
    optional_version,
    parse_if_match,
    required_version,
    stale_write_refused,
)


def test_an_etag_is_the_quoted_version_and_if_match_reads_it_back_strong_or_weak():
    assert etag(7) == '"7"'
    assert parse_if_match(etag(7)) == 7
    assert parse_if_match('W/"7"') == 7
    assert parse_if_match(None) is None and parse_if_match("  ") is None


@pytest.mark.parametrize("header", ["7", '"7", "8"', "*", '"seven"', 'W/7', '"-1"'])
def test_an_if_match_that_is_not_one_version_tag_is_a_400(header):
    with pytest.raises(APIError) as refused:
        parse_if_match(header)
    assert (refused.value.status, refused.value.code) == (400, "malformed_precondition")


def test_a_write_without_if_match_is_428_and_with_one_reads_its_version():
    app = Flask(__name__)
    with app.test_request_context(headers={}):
        with pytest.raises(APIError) as refused:
            required_version("customer")
        assert (refused.value.status, refused.value.code) == (428, "precondition_required")
        assert optional_version() is None
    with app.test_request_context(headers={"If-Match": '"3"'}):
        assert required_version("customer") == optional_version() == 3


def test_a_version_other_than_the_current_one_is_412_naming_the_current_version():
    check_version("customer", 4, 4)
    check_version("customer", None, 4)
    with pytest.raises(VersionMismatch) as refused:
        check_version("customer", 3, 4)
    assert (refused.value.status, refused.value.code, refused.value.errors) == (412, "version_mismatch", {"current_version": 4})


def test_an_update_the_database_found_stale_becomes_412():
    with pytest.raises(VersionMismatch):
        with stale_write_refused("opportunity"):
            raise StaleDataError("UPDATE statement on table expected to update 1 row(s); 0 were matched.")
    with pytest.raises(ValueError):
        with stale_write_refused("opportunity"):
            raise ValueError("other errors pass through")
