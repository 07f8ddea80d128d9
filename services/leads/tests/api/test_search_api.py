"""Lead search through the Flask test client: free text in Chinese and English, filters, keyset pages, visibility."""
from leads import search_repository
from leads.pools import DEFAULT_PUBLIC_POOL_ID

SEARCH = "/api/v1/leads/search"


def create(client, headers, **fields):
    body = {"company": "Acme", "contact_name": "Wang Fang", "channel": "web", "allow_duplicate": True, **fields}
    response = client.post("/api/v1/leads", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def companies(response):
    assert response.status_code == 200, response.json
    return sorted(item["company"] for item in response.json["items"])


def test_two_chinese_characters_find_the_company_that_contains_them(client, manager):
    create(client, manager, company="安徽锦佳信息技术有限公司", phone="13812348000")
    create(client, manager, company="杭州示例贸易有限公司", phone="13812349000")
    found = client.get(SEARCH, query_string={"q": "锦佳"}, headers=manager)
    assert companies(found) == ["安徽锦佳信息技术有限公司"]
    assert found.json["total"] == 1 and found.json["total_is_estimate"] is False


def test_full_width_and_upper_case_are_found_by_their_plain_forms(client, manager):
    create(client, manager, company="ＡＣＭＥ　Trading 上海")
    assert companies(client.get(SEARCH, query_string={"q": "acme trading"}, headers=manager)) == ["ＡＣＭＥ　Trading 上海"]


def test_part_of_a_phone_number_finds_the_lead_however_it_was_written(client, manager):
    create(client, manager, company="Phone One", phone="+86 138-1234-8000")
    create(client, manager, company="Phone Two", phone="13900001111")
    assert companies(client.get(SEARCH, query_string={"q": "1234 8000"}, headers=manager)) == ["Phone One"]
    assert companies(client.get(SEARCH, query_string={"q": "8000"}, headers=manager)) == ["Phone One"]


def test_contact_email_and_notes_are_searched_too(client, manager):
    create(client, manager, company="A", contact_name="李娜", email="lina@example.cn")
    create(client, manager, company="B", notes="Met at the Canton fair, wants 200 units")
    assert companies(client.get(SEARCH, query_string={"q": "李娜"}, headers=manager)) == ["A"]
    assert companies(client.get(SEARCH, query_string={"q": "lina@example"}, headers=manager)) == ["A"]
    assert companies(client.get(SEARCH, query_string={"q": "canton fair"}, headers=manager)) == ["B"]


def test_filters_combine_with_the_text(client, manager):
    create(client, manager, company="Alpha Soft", region="华东", industry="software", channel="fair", tags=["vip"])
    create(client, manager, company="Alpha Steel", region="华北", industry="steel", channel="web", tags=["vip"])
    create(client, manager, company="Alpha Foods", region="华东", industry="food", channel="fair", campaign="spring")
    assert companies(client.get(SEARCH, query_string={"q": "alpha", "region": "华东"}, headers=manager)) == [
        "Alpha Foods", "Alpha Soft"]
    assert companies(client.get(SEARCH, query_string={"q": "alpha", "tag": "vip", "channel": "fair"}, headers=manager)) == [
        "Alpha Soft"]
    assert companies(client.get(SEARCH, query_string={"campaign": "spring"}, headers=manager)) == ["Alpha Foods"]
    assert companies(client.get(SEARCH, query_string={"industry": "steel", "status": "pool"}, headers=manager)) == [
        "Alpha Steel"]


def test_a_created_date_range_narrows_the_search(client, manager):
    lead = create(client, manager, company="Dated")
    created = lead["created_at"]
    assert companies(client.get(SEARCH, query_string={"created_from": created}, headers=manager)) == ["Dated"]
    assert companies(client.get(SEARCH, query_string={"created_to": created}, headers=manager)) == []


def test_keyset_pages_cover_every_match_once_in_order(client, manager):
    names = [f"Keyset {n:02d}" for n in range(23)]
    for name in names:
        create(client, manager, company=name)
    create(client, manager, company="Unrelated")
    for sort, expected in (("company", names), ("-company", names[::-1]), ("-created_at", None)):
        seen, cursor, pages = [], None, 0
        while True:
            query = {"q": "keyset", "limit": 5, "sort": sort, **({"cursor": cursor} if cursor else {})}
            page = client.get(SEARCH, query_string=query, headers=manager).json
            assert page["total"] == 23
            seen.extend(item["company"] for item in page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 5
        assert len(seen) == len(set(seen)) == 23
        if expected:
            assert seen == expected


def test_a_cursor_of_another_sort_or_garbage_is_refused(client, manager):
    for n in range(3):
        create(client, manager, company=f"Cursor {n}")
    cursor = client.get(SEARCH, query_string={"q": "cursor", "limit": 1}, headers=manager).json["next_cursor"]
    other_sort = client.get(SEARCH, query_string={"q": "cursor", "sort": "company", "cursor": cursor}, headers=manager)
    assert other_sort.status_code == 422 and other_sort.json["code"] == "invalid_cursor"
    garbage = client.get(SEARCH, query_string={"cursor": "not-a-cursor"}, headers=manager)
    assert garbage.status_code == 422 and garbage.json["code"] == "invalid_cursor"


def test_a_query_too_short_to_be_useful_is_refused_with_a_clear_message(client, manager):
    for q in ("a", "ab", "锦"):
        response = client.get(SEARCH, query_string={"q": q}, headers=manager)
        assert response.status_code == 422, q
        assert response.json["code"] == "query_too_short"
        assert "q" in response.json["errors"]


def test_bad_filters_are_refused_with_the_error_shape(client, manager):
    response = client.get(SEARCH, query_string={"status": "nope", "limit": 0}, headers=manager)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"status", "limit"}


def test_a_rep_finds_pool_leads_and_their_own_but_not_another_reps(client, manager, admin, rep1, rep2):
    mine = create(client, manager, company="Visible Mine")
    theirs = create(client, manager, company="Visible Theirs")
    create(client, manager, company="Visible Pool")
    assert client.post(f"/api/v1/leads/{mine['id']}/claim", headers=rep1).status_code == 200
    assert client.post(f"/api/v1/leads/{theirs['id']}/claim", headers=rep2).status_code == 200
    assert companies(client.get(SEARCH, query_string={"q": "visible"}, headers=rep1)) == ["Visible Mine", "Visible Pool"]
    assert companies(client.get(SEARCH, query_string={"q": "visible"}, headers=admin)) == [
        "Visible Mine", "Visible Pool", "Visible Theirs"]
    assert companies(client.get(SEARCH, query_string={"q": "visible", "owner": "me"}, headers=rep1)) == ["Visible Mine"]


def test_a_rep_sees_public_pool_contacts_masked_and_cannot_find_them_by_phone(client, manager, rep1):
    create(client, manager, company="Returned Co", phone="13812345678", email="li@example.cn",
           pool_id=DEFAULT_PUBLIC_POOL_ID)
    found = client.get(SEARCH, query_string={"q": "returned"}, headers=rep1).json["items"]
    assert [(item["phone"], item["masked"]) for item in found] == [("138****5678", True)]
    assert client.get(SEARCH, query_string={"q": "12345678"}, headers=rep1).json["items"] == []
    assert client.get(SEARCH, query_string={"q": "li@example"}, headers=rep1).json["items"] == []
    by_phone = client.get(SEARCH, query_string={"q": "12345678"}, headers=manager).json["items"]
    assert [item["phone"] for item in by_phone] == ["13812345678"]


def test_only_sales_roles_search(client, agent):
    assert client.get(SEARCH, headers=agent).status_code == 403
    assert client.get(SEARCH).status_code == 401


def test_beyond_the_cap_the_count_is_an_estimate(client, manager, monkeypatch):
    monkeypatch.setattr(search_repository, "COUNT_CAP", 3)
    for n in range(5):
        create(client, manager, company=f"Capped {n}")
    first = client.get(SEARCH, query_string={"q": "capped", "limit": 2}, headers=manager).json
    # A later page is counted on its own, up to the cap (a first page may have counted as it sorted).
    page = client.get(SEARCH, query_string={"q": "capped", "limit": 2, "cursor": first["next_cursor"]},
                      headers=manager).json
    assert page["total_is_estimate"] is True and page["total"] >= 4
    exact = client.get("/api/v1/leads/search", query_string={"q": "capped 1"}, headers=manager).json
    assert (exact["total"], exact["total_is_estimate"]) == (1, False)


def test_a_first_page_sorted_from_every_match_counts_them_exactly_beyond_the_cap(client, manager, monkeypatch,
                                                                                postgresql_only):
    # A handful of matches among few leads: PostgreSQL fetches them all and sorts, counting as it reads.
    monkeypatch.setattr(search_repository, "COUNT_CAP", 3)
    for n in range(6):
        create(client, manager, company=f"Sorted {n}")
    page = client.get(SEARCH, query_string={"q": "sorted", "limit": 2}, headers=manager).json
    assert (page["total"], page["total_is_estimate"], len(page["items"])) == (6, False, 2)
    again = client.get(SEARCH, query_string={"q": "sorted", "limit": 2, "sort": "company"}, headers=manager).json
    assert (again["total"], again["total_is_estimate"]) == (6, False)
    assert [lead["company"] for lead in again["items"]] == ["Sorted 0", "Sorted 1"]


def test_a_tag_search_beyond_the_cap_is_estimated_too(client, manager, monkeypatch):
    # The estimate asks the planner with the statement's parameters: the tag list must go as JSON, not an array.
    monkeypatch.setattr(search_repository, "COUNT_CAP", 2)
    for n in range(4):
        create(client, manager, company=f"Tagged {n}", tags=["老客户"])
    first = client.get(SEARCH, query_string={"tag": "老客户", "limit": 2}, headers=manager).json
    page = client.get(SEARCH, query_string={"tag": "老客户", "limit": 2, "cursor": first["next_cursor"]},
                      headers=manager)
    assert page.status_code == 200, page.json
    assert page.json["total_is_estimate"] is True and page.json["total"] >= 3
