"""The rules of campaigns, segments, materials, deliveries and material files, without a database."""
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from leads.campaigns import (
    Campaign,
    CampaignRuleViolation,
    LeadSegment,
    Material,
    Money,
    Recipient,
    check_link,
    send,
)
from leads.material_files import MaterialStore, clean_file_name

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@dataclass
class FakeLead:
    status: str = "claimed"
    pool_id: str = "pool-1"
    region: str | None = "华东"
    industry: str | None = "制造业"
    channel: str = "web"
    campaign: str | None = "spring"
    tags: list = field(default_factory=lambda: ["vip", "expo"])


def test_a_segment_matches_a_lead_when_every_given_filter_matches_and_any_tag_overlaps():
    segment = LeadSegment.from_dict({"regions": ["华东", "华南"], "channels": ["web"], "tags": ["vip", "other"]})
    assert segment.match(FakeLead())
    assert not segment.match(FakeLead(channel="phone"))
    assert not segment.match(FakeLead(tags=["cold"]))
    assert not segment.match(FakeLead(region=None))


def test_a_segment_without_filters_is_empty_and_round_trips_through_its_json_form():
    assert LeadSegment().is_empty and LeadSegment.from_dict({"tags": []}).is_empty
    segment = LeadSegment.from_dict({"statuses": ["pool", "claimed"], "campaigns": ["spring"]})
    assert not segment.is_empty
    assert LeadSegment.from_dict(segment.to_dict()) == segment
    assert segment.to_dict()["regions"] == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "ftp://x.cn/a",
                                 "https://", "/relative/path", "https://user:pw@example.com/", "https://ex ample.com"])
def test_only_absolute_http_and_https_links_without_credentials_are_accepted(url):
    with pytest.raises(CampaignRuleViolation) as refused:
        check_link(url)
    assert refused.value.status == 422 and refused.value.code == "invalid_url"


def test_http_and_https_links_are_accepted():
    assert check_link(" https://example.com/brochure?x=1 ") == "https://example.com/brochure?x=1"
    assert check_link("http://例子.cn/a") == "http://例子.cn/a"


def test_a_campaign_cannot_end_before_it_starts_either_when_created_or_changed():
    with pytest.raises(CampaignRuleViolation) as refused:
        Campaign.new(code="c", name="C", channel="web", starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 1),
                     budget=Money(Decimal("1.00"), "CNY"), created_by="u", now=NOW)
    assert refused.value.code == "invalid_period"
    campaign = Campaign.new(code="c", name="C", channel="web", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31),
                            budget=Money(Decimal("12000.50"), "CNY"), created_by="u", now=NOW)
    with pytest.raises(CampaignRuleViolation):
        campaign.change({"ends_on": date(2026, 2, 1)}, NOW)
    assert campaign.budget == Money(Decimal("12000.50"), "CNY")


def test_a_file_material_has_no_url_to_change():
    material = Material.file(material_id="m", name="Brochure", file_name="b.pdf", content_type="application/pdf",
                             size_bytes=10, created_by="u", now=NOW)
    with pytest.raises(CampaignRuleViolation) as refused:
        material.change({"url": "https://example.com"}, NOW)
    assert refused.value.code == "not_a_link"


def test_sending_makes_one_delivery_per_distinct_lead_each_with_its_own_unguessable_token():
    material = Material.link(name="Brochure", url="https://example.com/b", created_by="u", now=NOW)
    recipients = [Recipient("l-1", "rep-1", "web"), Recipient("l-2", None, "phone"), Recipient("l-1", "rep-1", "web")]
    sent = send(material, recipients, "manager-1", NOW)
    assert [event.delivery.lead_id for event in sent] == ["l-1", "l-2"]
    tokens = {event.delivery.token for event in sent}
    assert len(tokens) == 2 and all(len(token) >= 40 for token in tokens)
    assert {event.delivery.sent_by for event in sent} == {"manager-1"}


def test_a_file_within_the_limit_and_of_an_allowed_type_is_kept_only_once_committed(tmp_path):
    store = MaterialStore(tmp_path / "materials", max_bytes=100)
    received = store.receive("m-1", io.BytesIO(b"%PDF-1.7 hello"), "application/pdf; charset=binary")
    assert received == ("application/pdf", 14)
    assert not store.path("m-1").exists()
    store.keep("m-1")
    assert store.path("m-1").read_bytes() == b"%PDF-1.7 hello"


@pytest.mark.parametrize("content, content_type, code", [
    (b"x" * 101, "text/plain", "material_too_large"),
    (b"<html><script>", "text/html", "unsupported_material_type"),
    (b"<html><script>", "application/pdf", "unsupported_material_type"),
    (b"", "text/plain", "empty_file"),
])
def test_a_refused_file_leaves_nothing_behind(tmp_path, content, content_type, code):
    store = MaterialStore(tmp_path / "materials", max_bytes=100)
    with pytest.raises(CampaignRuleViolation) as refused:
        store.receive("m-1", io.BytesIO(content), content_type)
    assert refused.value.code == code
    assert not any((tmp_path / "materials").glob("*"))


def test_a_clients_file_name_loses_its_folders_and_control_characters():
    assert clean_file_name("C:\\Users\\x\\产品手册.pdf") == "产品手册.pdf"
    assert clean_file_name("../../etc/passwd") == "passwd"
    assert clean_file_name("a\x00b\n.pdf") == "ab.pdf"
    assert clean_file_name(None) == "material"
