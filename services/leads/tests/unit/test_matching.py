"""The normalisation and duplicate-matching rules of the lead pool, without a database."""
import pytest

from leads.matching import (
    INTERNATIONAL,
    LANDLINE,
    MOBILE,
    SERVICE,
    STRONG,
    WEAK,
    CompanyName,
    Match,
    duplicate_keys,
    find_duplicates,
    normalize_company,
    normalize_email,
    normalize_phone,
    parse_phone,
)

# --- phones -----------------------------------------------------------------------------------------

MOBILE_SPELLINGS = [
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "138.0013.8000",
    "(138) 0013 8000",
    "+86 138 0013 8000",
    "+86-138-0013-8000",
    "+8613800138000",
    "0086 138 0013 8000",
    "008613800138000",
    "86 13800138000",
    "8613800138000",
    "+86 (138) 0013-8000",
    "013800138000",
    "１３８００１３８０００",
    "＋８６ １３８ ００１３ ８０００",
    "138－0013－8000",
    "138—0013—8000",
    "  13800138000\u200b ",
    "手机：138 0013 8000",
    "Tel: +86 138 0013 8000",
]


@pytest.mark.parametrize("written", MOBILE_SPELLINGS)
def test_every_usual_spelling_of_a_mainland_mobile_gives_the_same_number(written):
    assert normalize_phone(written) == "+8613800138000"
    assert parse_phone(written).kind == MOBILE


@pytest.mark.parametrize(
    "written", ["13312345678", "14712345678", "15912345678", "16612345678", "17712345678", "18912345678", "19912345678"]
)
def test_mobiles_of_every_range_from_13_to_19_are_accepted(written):
    assert normalize_phone(written) == "+86" + written


@pytest.mark.parametrize(
    "written",
    [
        "010-88888888",
        "010 8888 8888",
        "(010)88888888",
        "(010) 8888-8888",
        "01088888888",
        "+86 10 8888 8888",
        "+86 010 88888888",
        "+86 (0)10 8888 8888",
        "+86-10-88888888",
        "0086 10 88888888",
        "0086-010-88888888",
        "86-10-88888888",
        "861088888888",
        "０１０－８８８８８８８８",
        "（０１０）８８８８８８８８",
        "电话: 010-88888888",
    ],
)
def test_a_beijing_landline_is_recognised_in_every_format(written):
    phone = parse_phone(written)
    assert (phone.number, phone.kind, phone.extension) == ("+861088888888", LANDLINE, None)


@pytest.mark.parametrize(
    "written, number",
    [
        ("021-66666666", "+862166666666"),
        ("020 3888 1234", "+862038881234"),
        ("0755-8888-8888", "+8675588888888"),
        ("0571-88888888", "+8657188888888"),
        ("0571-8888888", "+865718888888"),
        ("(0551)6512345", "+865516512345"),
        ("+86 571 8888 8888", "+8657188888888"),
        ("+86 0571 8888888", "+865718888888"),
        ("0898-66123456", "+8689866123456"),
        ("0991 4567890", "+869914567890"),
    ],
)
def test_landlines_keep_their_area_code_without_the_trunk_zero(written, number):
    assert normalize_phone(written) == number
    assert parse_phone(written).kind == LANDLINE


@pytest.mark.parametrize(
    "written, number, extension",
    [
        ("0571 88888888 转 123", "+8657188888888", "123"),
        ("0571-88888888转8001", "+8657188888888", "8001"),
        ("0571-88888888-转-8001", "+8657188888888", "8001"),
        ("021-66666666 分机 12", "+862166666666", "12"),
        ("021-6666-6666 ext 12", "+862166666666", "12"),
        ("021-66666666 ext.12", "+862166666666", "12"),
        ("021-66666666 Ext: 12", "+862166666666", "12"),
        ("021-66666666x12", "+862166666666", "12"),
        ("021-66666666 X 12", "+862166666666", "12"),
        ("021-66666666#12", "+862166666666", "12"),
        ("021-66666666＃１２", "+862166666666", "12"),
        ("010-88888888-123", "+861088888888", "123"),
        ("(010)88888888-6", "+861088888888", "6"),
        ("tel:+86-21-66666666;ext=8", "+862166666666", "8"),
        ("+1 650 253 0000 ext. 4", "+16502530000", "4"),
    ],
)
def test_an_extension_is_stripped_from_the_number_but_reported(written, number, extension):
    phone = parse_phone(written)
    assert (phone.number, phone.extension) == (number, extension)
    assert normalize_phone(written) == number


def test_a_number_without_an_extension_reports_none():
    assert parse_phone("0571-88888888").extension is None


@pytest.mark.parametrize(
    "written, number",
    [
        ("400-800-1234", "+864008001234"),
        ("4008001234", "+864008001234"),
        ("400 800 1234", "+864008001234"),
        ("+86 400 800 1234", "+864008001234"),
        ("800-810-8888", "+868008108888"),
    ],
)
def test_400_and_800_service_numbers_are_kept_as_mainland_numbers(written, number):
    phone = parse_phone(written)
    assert (phone.number, phone.kind) == (number, SERVICE)


@pytest.mark.parametrize(
    "written, number",
    [
        ("+1 650 253 0000", "+16502530000"),
        ("+1 (650) 253-0000", "+16502530000"),
        ("001 650 253 0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+852 2123 4567", "+85221234567"),
        ("+853 2888 1234", "+85328881234"),
        ("+886 2 2345 6789", "+886223456789"),
        ("+81 3-1234-5678", "+81312345678"),
        ("+49 30 123456", "+4930123456"),
        ("＋６５ ６１２３ ４５６７", "+6561234567"),
    ],
)
def test_numbers_of_other_countries_keep_plus_and_their_digits(written, number):
    phone = parse_phone(written)
    assert (phone.number, phone.kind) == (number, INTERNATIONAL)


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "   ",
        "hello",
        "n/a",
        "无",
        "12345",
        "95588",
        "88888888",
        "8888-8888",
        "1380013800",
        "138001380001",
        "12345678901",
        "10086123456",
        "+86 12345678901",
        "+86 138 0013 800",
        "010-08888888",
        "010-888888889",
        "0571-888888",
        "138-0013-8000-12",
        "13800138000 / 13900139000",
        "13800138000, 13900139000",
        "138O0138000",
        "+",
        "+0 123 4567",
        "+1 23",
        "+1234567890123456",
        "0571-88888888 转",
    ],
)
def test_what_is_not_a_phone_number_gives_none(garbage):
    assert normalize_phone(garbage) is None
    assert parse_phone(garbage) is None


def test_a_local_number_without_area_code_is_not_matched_because_the_city_is_unknown():
    assert normalize_phone("8888 8888") is None
    assert normalize_phone("0571-8888 8888") == "+8657188888888"


def test_a_mainland_number_written_with_and_without_country_code_gives_one_key():
    spellings = ["021 6666 6666", "+86 21 6666 6666", "0086-021-66666666"]
    assert {normalize_phone(written) for written in spellings} == {"+862166666666"}


# --- emails -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "written",
    [
        "li@example.cn",
        "Li@Example.CN",
        "  LI@EXAMPLE.CN  ",
        "ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ",
        "ＬＩ@example.cn",
        "li@example。cn",
        "mailto:li@example.cn",
        "MAILTO:Li@Example.cn",
        "<li@example.cn>",
        "li@example.cn.",
        "\u200bli@example.cn\ufeff",
        "li@example.cn\u3000",
    ],
)
def test_an_email_is_trimmed_case_folded_and_made_half_width(written):
    assert normalize_email(written) == "li@example.cn"


@pytest.mark.parametrize(
    "written, normalized",
    [
        ("Wang.Fang+crm@Sub.Example.com.cn", "wang.fang+crm@sub.example.com.cn"),
        ("sales_01@jinjia-tech.com", "sales_01@jinjia-tech.com"),
        ("ZHANG@163.COM", "zhang@163.com"),
        ("service@例子.中国", "service@例子.中国"),
        ("Straße@example.de", "strasse@example.de"),
    ],
)
def test_an_email_keeps_its_dots_plus_tags_and_international_domains(written, normalized):
    assert normalize_email(written) == normalized


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "   ",
        "li",
        "li@",
        "@example.cn",
        "li@example",
        "li@@example.cn",
        "li@example@cn.com",
        "li@.cn",
        "li@example..cn",
        "li@example.c",
        "li@127.0.0.1",
        "li @example.cn",
        "li@exa mple.cn",
        "li@example.cn; wang@example.cn",
        "li@example.cn,wang@example.cn",
        "Li Lei <li@example.cn>",
        "无",
    ],
)
def test_what_is_not_an_email_address_gives_none(garbage):
    assert normalize_email(garbage) is None


# --- company names ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "written",
    [
        "安徽锦佳信息技术有限公司",
        "安徽锦佳信息技术有限责任公司",
        "安徽锦佳信息技术股份有限公司",
        "安徽锦佳信息技术公司",
        "安徽锦佳信息技术",
        "安徽 锦佳 信息技术 有限公司",
        "  安徽锦佳信息技术有限公司。 ",
        "安徽锦佳信息技术有限公司上海分公司",
        "安徽锦佳信息技术有限公司 上海分公司",
        "安徽锦佳信息技术有限公司(上海分公司)",
        "安徽锦佳信息技术集团有限公司",
        "安徽锦佳信息技术集团股份有限公司",
        "安徽锦佳信息技术集团",
    ],
)
def test_a_chinese_company_matches_under_every_legal_form_and_branch(written):
    assert normalize_company(written).key == "安徽锦佳信息技术"


@pytest.mark.parametrize(
    "written",
    [
        "Acme",
        "ACME",
        "Acme Co., Ltd.",
        "Acme Co.,Ltd",
        "ACME CO.,LTD.",
        "Acme Co. Ltd",
        "Acme Co Ltd",
        "Acme Company Limited",
        "Acme Co., Limited",
        "Acme Limited",
        "Acme Ltd.",
        "Acme, Inc.",
        "Acme Inc",
        "Acme Incorporated",
        "Acme Corp.",
        "Acme Corporation",
        "Acme Company",
        "Acme LLC",
        "Acme L.L.C.",
        "Acme GmbH",
        "Acme AG",
        "Acme S.A.",
        "Acme PLC",
        "Acme Pte. Ltd.",
        "Acme Group",
        "Acme Group Co., Ltd.",
    ],
)
def test_an_english_company_matches_under_every_legal_form(written):
    assert normalize_company(written).key == "acme"


@pytest.mark.parametrize(
    "written, key",
    [
        ("ＡＢＣ科技有限公司", "abc科技"),
        ("ＡＢＣ　科技有限公司", "abc科技"),
        ("abc科技有限公司", "abc科技"),
        ("北京字节跳动科技有限公司", "北京字节跳动科技"),
        ("锦佳控股集团股份有限公司", "锦佳控股"),
        ("深圳市腾讯计算机系统有限公司", "深圳市腾讯计算机系统"),
        ("阿里巴巴（中国）有限公司", "阿里巴巴"),
        ("华为技术有限公司", "华为技术"),
        ("上海锦佳信息技术有限公司", "上海锦佳信息技术"),
        ("Acme Holdings Co., Ltd.", "acmeholdings"),
        ("Acme Technology (Shanghai) Co., Ltd.", "acmetechnology"),
        ("Coca-Cola Beverages (Shanghai) Co., Ltd.", "cocacolabeverages"),
        ("AT&T Inc.", "att"),
        ("Costco Wholesale Corporation", "costcowholesale"),
        ("Tesco PLC", "tesco"),
        ("Siemens Aktiengesellschaft", "siemensaktiengesellschaft"),
        ("锦佳Co.,Ltd.", "锦佳"),
        ("深圳前海微众银行股份有限公司", "深圳前海微众银行"),
        ("杭州某某投资管理合伙企业（有限合伙）", "杭州某某投资管理"),
    ],
)
def test_a_company_key_is_lowercase_half_width_and_without_punctuation_spaces_or_legal_form(written, key):
    assert normalize_company(written).key == key


def test_a_legal_suffix_is_only_removed_as_a_whole_word_in_english():
    assert normalize_company("Tesco").key == "tesco"
    assert normalize_company("San Francisco Bakery").key == "sanfranciscobakery"
    assert normalize_company("Sysag").key == "sysag"


def test_the_branch_is_noted_and_the_key_is_that_of_the_parent_company():
    name = normalize_company("安徽锦佳信息技术有限公司上海分公司")
    assert name == CompanyName(
        key="安徽锦佳信息技术", display="安徽锦佳信息技术有限公司上海分公司", branch="上海分公司", qualifier=None
    )


@pytest.mark.parametrize(
    "written, key, branch",
    [
        ("中国工商银行股份有限公司北京市分行", "中国工商银行", "北京市分行"),
        ("中国工商银行北京市分行", "中国工商银行", "北京市分行"),
        ("招商银行股份有限公司深圳南山支行", "招商银行", "深圳南山支行"),
        ("锦佳集团上海分公司", "锦佳", "上海分公司"),
        ("锦佳上海分公司", "锦佳", "上海分公司"),
        ("锦佳杭州市分公司", "锦佳", "杭州市分公司"),
        ("锦佳咨询有限公司广州办事处", "锦佳咨询", "广州办事处"),
        ("某某证券股份有限公司上海浦东新区营业部", "某某证券", "上海浦东新区营业部"),
        ("Acme Co., Ltd. Shanghai Branch", "acme", "Shanghai Branch"),
        ("Acme Inc., New York Branch", "acme", "New York Branch"),
        ("Acme, Shanghai Branch Office", "acme", "Shanghai Branch Office"),
        ("Acme Ltd (Shanghai Branch)", "acme", "Shanghai Branch"),
        ("Bank of China Shanghai Branch", "bankofchina", "Shanghai Branch"),
    ],
)
def test_branches_in_chinese_and_english_are_split_from_the_parent(written, key, branch):
    name = normalize_company(written)
    assert (name.key, name.branch) == (key, branch)


def test_a_company_without_a_branch_reports_none():
    assert normalize_company("安徽锦佳信息技术有限公司").branch is None
    assert normalize_company("Acme Co., Ltd.").branch is None


@pytest.mark.parametrize(
    "written, qualifier",
    [
        ("锦佳信息技术（上海）有限公司", "上海"),
        ("锦佳（上海）信息技术有限公司", "上海"),
        ("锦佳信息技术(上海)有限公司", "上海"),
        ("锦佳信息技术 （ 上海 ） 有限公司", "上海"),
    ],
)
def test_a_region_in_parentheses_is_kept_as_qualifier_and_left_out_of_the_key(written, qualifier):
    name = normalize_company(written)
    assert (name.key, name.qualifier) == ("锦佳信息技术", qualifier)


def test_a_region_in_parentheses_matches_the_same_company_without_it_but_a_region_prefix_does_not():
    assert normalize_company("锦佳信息技术（上海）有限公司").key == normalize_company("锦佳信息技术有限公司").key
    assert normalize_company("上海锦佳信息技术有限公司").key != normalize_company("锦佳信息技术有限公司").key


def test_a_partnership_form_in_parentheses_is_a_legal_form_not_a_qualifier():
    name = normalize_company("宁波锦佳股权投资合伙企业（有限合伙）")
    assert (name.key, name.qualifier) == ("宁波锦佳股权投资", None)


def test_the_display_form_is_half_width_with_single_spaces_and_none_inside_chinese():
    assert normalize_company("  ＡＢＣ科技（上海） 有限公司 ").display == "ABC科技(上海)有限公司"
    assert normalize_company("安徽 锦佳　信息技术有限公司").display == "安徽锦佳信息技术有限公司"
    assert normalize_company(" Acme   Co.,  Ltd. ").display == "Acme Co., Ltd."


@pytest.mark.parametrize("written", [None, "", "   ", "有限公司", "公司", "Co., Ltd.", "Inc.", "（上海）", "---"])
def test_a_name_with_nothing_but_legal_form_or_punctuation_has_an_empty_key(written):
    assert normalize_company(written).key == ""


# --- duplicate keys and matches ---------------------------------------------------------------------

def test_a_lead_is_indexed_by_its_phone_email_and_company():
    keys = duplicate_keys(company="安徽锦佳信息技术有限公司上海分公司", phone="+86 138-0013-8000", email="Li@Example.cn")
    assert keys == {"phone:+8613800138000", "email:li@example.cn", "company:安徽锦佳信息技术"}


def test_a_lead_with_only_a_company_is_indexed_by_the_company_alone():
    assert duplicate_keys(company="Acme Co., Ltd.") == {"company:acme"}


def test_unreadable_fields_give_no_keys():
    assert duplicate_keys(company="有限公司", phone="n/a", email="none") == set()
    assert duplicate_keys() == set()


def test_a_one_character_company_key_is_too_vague_to_index():
    assert duplicate_keys(company="A有限公司") == set()
    assert duplicate_keys(company="华为") == {"company:华为"}


def test_the_phone_key_ignores_the_extension_so_colleagues_at_one_switchboard_collide():
    assert duplicate_keys(phone="0571-88888888 转 101") == duplicate_keys(phone="(0571) 8888 8888 ext 202")


def index(**leads: set[str]) -> dict[str, set[str]]:
    """An inverted index key -> lead ids, as the repository will keep it."""
    keys: dict[str, set[str]] = {}
    for lead_id, lead_keys in leads.items():
        for key in lead_keys:
            keys.setdefault(key, set()).add(lead_id)
    return keys


EXISTING = index(
    lead_1=duplicate_keys(company="安徽锦佳信息技术有限公司", phone="13800138000", email="li@example.cn"),
    lead_2=duplicate_keys(company="安徽锦佳信息技术有限公司上海分公司", phone="021-66666666"),
    lead_3=duplicate_keys(company="Acme Co., Ltd.", email="sales@acme.com"),
    lead_4=duplicate_keys(company="北京字节跳动科技有限公司", phone="+86 10 8888 8888"),
)


def test_a_shared_phone_is_a_strong_match():
    matches = find_duplicates(duplicate_keys(company="某某公司", phone="138 0013 8000"), EXISTING)
    assert matches == [Match(lead_id="lead_1", keys=("phone:+8613800138000",), strength=STRONG)]


def test_a_shared_email_is_a_strong_match():
    matches = find_duplicates(duplicate_keys(email="SALES@ACME.COM"), EXISTING)
    assert matches == [Match(lead_id="lead_3", keys=("email:sales@acme.com",), strength=STRONG)]


def test_a_shared_company_alone_is_a_weak_match():
    matches = find_duplicates(duplicate_keys(company="Acme Inc.", phone="+1 650 253 0000"), EXISTING)
    assert matches == [Match(lead_id="lead_3", keys=("company:acme",), strength=WEAK)]


def test_strong_matches_come_first_then_those_sharing_more_keys():
    candidate = duplicate_keys(company="安徽锦佳信息技术股份有限公司", phone="021 6666 6666", email="li@example.cn")
    matches = find_duplicates(candidate, EXISTING)
    assert [(match.lead_id, match.strength, match.keys) for match in matches] == [
        ("lead_1", STRONG, ("company:安徽锦佳信息技术", "email:li@example.cn")),
        ("lead_2", STRONG, ("company:安徽锦佳信息技术", "phone:+862166666666")),
    ]


def test_weak_matches_follow_strong_ones_and_ties_are_ordered_by_lead_id():
    existing = index(
        b=duplicate_keys(company="锦佳科技"),
        a=duplicate_keys(company="锦佳科技有限公司"),
        c=duplicate_keys(phone="13800138000"),
    )
    matches = find_duplicates(duplicate_keys(company="锦佳科技公司", phone="13800138000"), existing)
    assert [(match.lead_id, match.strength) for match in matches] == [("c", STRONG), ("a", WEAK), ("b", WEAK)]


def test_a_lead_with_no_shared_key_has_no_duplicates():
    assert find_duplicates(duplicate_keys(company="全新客户有限公司", phone="13900139000"), EXISTING) == []
    assert find_duplicates(set(), EXISTING) == []


def test_a_lead_checked_again_is_not_its_own_duplicate():
    keys = duplicate_keys(company="Acme Co., Ltd.", email="sales@acme.com")
    assert find_duplicates(keys, EXISTING, exclude="lead_3") == []


def test_an_import_row_matches_a_lead_entered_in_another_format():
    typed = duplicate_keys(company="北京字节跳动科技有限公司", phone="010-88888888")
    imported = duplicate_keys(company="北京字节跳动科技有限公司 ", phone="８６１０８８８８８８８８")
    assert typed == imported
    assert find_duplicates(imported, EXISTING)[0] == Match(
        lead_id="lead_4", keys=("company:北京字节跳动科技", "phone:+861088888888"), strength=STRONG
    )
