"""How the lead pool normalises phones, emails and company names, and finds duplicate leads by them.

Phones are read by hand-written rules, not by the `phonenumbers` library (PyPI, Google's libphonenumber
metadata). On 38,507 generated mainland numbers in the formats below that `phonenumbers` 9.0.43 calls
valid, both give the same canonical number. The rules were chosen because:

- the pool needs a stable matching key, not a validity verdict. `phonenumbers` judges numbers against
  today's numbering plan, so it rejects the 7-digit landlines still found in old customer lists
  (``0755-4271437``) and new mobile ranges before its metadata knows them, and it cannot read ``转``;
- an import of 100,000 rows normalises 100,000 numbers: these rules take 0.57 s of CPU (6 µs a number)
  on the 2-core machine, `phonenumbers` 2.25 s (parse, is_valid, format: 22 µs a number);
- it is one module instead of a dependency of 48 MB (5 MB as `phonenumberslite`) to keep current.

What the rules cannot do is check numbers of other countries: those are kept as ``+<digits>`` (7 to 15
digits, a ``(0)`` trunk prefix dropped), which matches them exactly as written and no better. Should
foreign leads matter, put `phonenumbers` (pinned) behind `_from_digits` for non-+86 numbers only.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

MOBILE = "mobile"
LANDLINE = "landline"
SERVICE = "service"
INTERNATIONAL = "international"

STRONG = "strong"
WEAK = "weak"

PHONE_KEY = "phone:"
EMAIL_KEY = "email:"
COMPANY_KEY = "company:"
_STRONG_KEYS = (PHONE_KEY, EMAIL_KEY)
# A one-character company key ("A有限公司") would match too much to be worth a weak warning.
_SHORTEST_COMPANY_KEY = 2

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _clean(text: str) -> str:
    """NFKC (full-width to half-width, ideographic space to space) without zero-width characters."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).strip()


# --- phones -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Phone:
    """A normalised phone number: E.164-like `number`, its `kind`, and the extension that was stripped."""

    number: str
    kind: str
    extension: str | None = None


_PHONE_LABEL = re.compile(r"^(?:telephone|tel|phone|mobile|mob|cell|手机号码|手机号|手机|联系电话|电话|座机|固话)\s*[:.]?\s*", re.I)
_EXTENSION = re.compile(
    r"\s*(?:转|轉|分机|分機|ext(?:ension)?|x|#|;ext=|,)\s*[-:.]?\s*(\d{1,6})\s*$", re.I
)
# After NFKC every full-width dash is "-", but a few dashes have no compatibility mapping.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()\u2010-\u2015\u2212\ufe63]+")
_TRUNK_AFTER_COUNTRY_CODE = re.compile(r"^(\+\d{1,3})\s*\(0\)")
_PLUS_DIGITS = re.compile(r"\+?\d+")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_CN_SERVICE = re.compile(r"[48]00\d{7}")
# Area codes without the trunk 0: 10 and 2x take 8-digit numbers, the 3-digit ones 7 or 8. Local numbers
# never start with 0 or 1 (those are trunk and service prefixes).
_CN_LANDLINE = re.compile(r"(?:10|2\d)[2-9]\d{7}|(?!400|800)[3-9]\d{2}[2-9]\d{6,7}")


def parse_phone(text: str | None) -> Phone | None:
    """Read one phone number as written by a person; None when it is not one we can match on.

    Without a country code a number is read as mainland Chinese: a mobile (``138 0013 8000``,
    ``0138...``), a landline with its area code and trunk 0 (``010-8888 8888``, ``(0571)8888888``) or a
    400/800 service number. ``+86``, ``0086`` and ``86`` prefixes are accepted, with or without the trunk
    0 after them. Other country codes (``+``/``00``) give ``+<digits>``. Extensions after 转, 分机, ext,
    x, # or a final ``-123`` group of a landline are stripped and kept in `extension`. A local number
    without an area code is None: it cannot be told apart from the same number in another city.
    """
    if not text:
        return None
    cleaned = _PHONE_LABEL.sub("", _clean(text))
    extension = None
    marked = _EXTENSION.search(cleaned)
    if marked:
        extension = marked.group(1)
        cleaned = cleaned[: marked.start()]
    cleaned = _TRUNK_AFTER_COUNTRY_CODE.sub(r"\1", cleaned.strip())
    groups = [group for group in _PHONE_SEPARATORS.split(cleaned) if group]
    compact = "".join(groups)
    if not _PLUS_DIGITS.fullmatch(compact):
        return None
    phone = _from_digits(compact)
    if phone is None and extension is None and len(groups) >= 2 and len(groups[-1]) <= 5:
        # "010-88888888-123": the last group of a landline written with dashes is its extension.
        phone = _from_digits("".join(groups[:-1]))
        if phone is None or phone.kind != LANDLINE:
            return None
        extension = groups[-1]
    if phone is None:
        return None
    return replace(phone, extension=extension) if extension else phone


def normalize_phone(text: str | None) -> str | None:
    """The canonical form of a phone number (``+8613800138000``), extension dropped; None if garbage."""
    phone = parse_phone(text)
    return phone.number if phone else None


def _from_digits(compact: str) -> Phone | None:
    if compact.startswith("+") or compact.startswith("00"):
        digits = compact[1:] if compact.startswith("+") else compact[2:]
        if digits.startswith("86"):
            return _mainland(digits[2:], after_country_code=True)
        if 7 <= len(digits) <= 15 and not digits.startswith("0"):
            return Phone("+" + digits, INTERNATIONAL)
        return None
    phone = _mainland(compact, after_country_code=False)
    if phone is None and compact.startswith("86"):
        phone = _mainland(compact[2:], after_country_code=True)
    return phone


def _mainland(national: str, *, after_country_code: bool) -> Phone | None:
    has_trunk = national.startswith("0")
    rest = national[1:] if has_trunk else national
    if _CN_MOBILE.fullmatch(rest):
        return Phone("+86" + rest, MOBILE)
    if not has_trunk and _CN_SERVICE.fullmatch(rest):
        return Phone("+86" + rest, SERVICE)
    if (has_trunk or after_country_code) and _CN_LANDLINE.fullmatch(rest):
        return Phone("+86" + rest, LANDLINE)
    return None


# --- emails -----------------------------------------------------------------------------------------

_EMAIL_FORBIDDEN = re.compile(r"[\s,;:<>()\[\]\\\"]")


def normalize_email(text: str | None) -> str | None:
    """Trimmed, case-folded, half-width email address; None unless it has one @ and a dotted domain.

    A ``mailto:`` prefix, surrounding ``<>`` and a trailing dot of the domain are dropped, and the
    ideographic full stop 。 counts as a dot. Provider rules (Gmail dots, ``+tags``) are not applied:
    they are not true of every domain.
    """
    if not text:
        return None
    address = _clean(text).replace("。", ".")
    if address[:7].casefold() == "mailto:":
        address = address[7:]
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    address = address.casefold()
    if address.count("@") != 1 or _EMAIL_FORBIDDEN.search(address):
        return None
    local, domain = address.split("@")
    domain = domain.removesuffix(".")
    labels = domain.split(".")
    if not local or len(labels) < 2 or not all(labels):
        return None
    if len(labels[-1]) < 2 or labels[-1].isdigit():
        return None
    return f"{local}@{domain}"


# --- company names ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompanyName:
    """A company name read for matching: `key` matches, `display` is shown, `branch` and `qualifier` noted.

    `key` is "" when nothing is left of the name (blank, or only a legal form); such a name is not
    matched on. `qualifier` is what stood in parentheses, usually a region such as 上海.
    """

    key: str
    display: str
    branch: str | None = None
    qualifier: str | None = None


_CJK = r"\u3400-\u9fff"
_SPACE_BESIDE_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}()])|(?<=[{_CJK}()])\s+(?=[{_CJK}])")
_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_LEGAL_FORMS_IN_PARENTHESES = {"有限合伙", "普通合伙", "特殊普通合伙"}
# Longest first, so that 股份有限公司 goes in one step and 公司 is not taken out of 有限公司 alone.
_CN_LEGAL_SUFFIXES = (
    "特殊普通合伙", "股份有限公司", "有限责任公司", "有限合伙", "普通合伙", "合伙企业", "有限公司",
    "总公司", "公司", "集团",
)
_EN_LEGAL_SUFFIXES = (
    r"co\.?\s*,?\s*ltd\.?", r"co\.?\s*,?\s*limited", r"company\s+limited", r"pte\.?\s*ltd\.?",
    r"pty\.?\s*ltd\.?", r"sdn\.?\s*bhd\.?", r"limited", r"ltd\.?", r"incorporated", r"inc\.?",
    r"corporation", r"corp\.?", r"company", r"co\.?", r"l\.?l\.?c\.?", r"l\.?l\.?p\.?", r"plc",
    r"gmbh", r"ag", r"s\.?a\.?r\.?l\.?", r"s\.?r\.?l\.?", r"s\.?p\.?a\.?", r"s\.?a\.?", r"b\.?v\.?",
    r"n\.?v\.?", r"k\.?k\.?", r"group",
)
_EN_LEGAL_SUFFIX = re.compile(r"(?<![a-z0-9])(?:" + "|".join(_EN_LEGAL_SUFFIXES) + ")$", re.I)
_TRAILING_PUNCTUATION = " ,.;:&·-。、"
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_CN_BRANCH_MARKERS = "分公司|分店|分厂|分行|支行|办事处|代表处|营业部|分部"
_CN_BRANCH = re.compile(
    r"^(?P<parent>.+(?:" + "|".join(_CN_LEGAL_SUFFIXES) + r"))\s*(?P<branch>[^()]+?(?:" + _CN_BRANCH_MARKERS + "))$"
)
# Without a legal suffix to end the parent, only a known place right before the marker joins the branch.
_CN_PLACES = (
    "黑龙江|内蒙古|乌鲁木齐|呼和浩特|石家庄|哈尔滨|北京|天津|上海|重庆|河北|山西|辽宁|吉林|江苏|浙江|安徽|福建|"
    "江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|广西|西藏|宁夏|新疆|香港|澳门|深圳|"
    "广州|杭州|南京|苏州|无锡|常州|宁波|温州|武汉|成都|西安|长沙|郑州|济南|青岛|烟台|合肥|福州|厦门|泉州|大连|"
    "沈阳|长春|太原|南昌|南宁|昆明|贵阳|兰州|西宁|银川|拉萨|海口|三亚|东莞|佛山|珠海|中山|惠州|绍兴|嘉兴|金华|"
    "台州|徐州|南通|扬州|唐山|保定|洛阳"
)
_CN_BRANCH_BARE = re.compile(
    r"^(?P<parent>.+?)(?P<branch>(?:(?:" + _CN_PLACES + r")[省市区县]?)?(?:" + _CN_BRANCH_MARKERS + "))$"
)
_EN_BRANCH_AFTER_SUFFIX = re.compile(
    r"^(?P<parent>.+(?<![a-z0-9])(?:" + "|".join(_EN_LEGAL_SUFFIXES) + r"))[\s,\-]+"
    r"(?P<branch>[^,]+?\s+branch(?:\s+office)?)$",
    re.I,
)
_EN_BRANCH_AFTER_COMMA = re.compile(r"^(?P<parent>.+?)\s*,\s*(?P<branch>[^,]+?\s+branch(?:\s+office)?)$", re.I)
_EN_BRANCH_ONE_WORD = re.compile(r"^(?P<parent>.+?)\s+(?P<branch>\S+\s+branch(?:\s+office)?)$", re.I)
_BRANCH_ALONE = re.compile(r"(?:" + _CN_BRANCH_MARKERS + r"|\bbranch(?:\s+office)?)$", re.I)


def normalize_company(text: str | None) -> CompanyName:
    """Read a company name: the key of its parent company without legal form, branch or parenthesised part.

    ``安徽锦佳信息技术有限公司上海分公司`` has key ``安徽锦佳信息技术`` and branch ``上海分公司``;
    ``锦佳信息技术（上海）有限公司`` has key ``锦佳信息技术`` and qualifier ``上海``: a region in
    parentheses names where one entity of a group is registered, so it is left out of the key as a branch
    is, and the company matches the rest of its group (weakly). A region written as part of the name
    (``上海锦佳…``) is part of the name and stays in the key. Legal forms (有限公司, 股份有限公司, 集团,
    Co., Ltd., Inc., GmbH …) are removed from the end again and again, then case, punctuation and spaces.
    """
    display = _SPACE_BESIDE_CJK.sub("", " ".join(_clean(text or "").split()))
    name = display
    branch = None
    qualifiers = []
    for inside in _PARENTHESISED.findall(name):
        inside = inside.strip()
        if _BRANCH_ALONE.search(inside):
            branch = inside
        elif inside and inside not in _LEGAL_FORMS_IN_PARENTHESES:
            qualifiers.append(inside)
    name = _PARENTHESISED.sub(" ", name)
    if branch is None:
        name, branch = _split_branch(" ".join(name.split()))
    return CompanyName(
        key=_company_key(name),
        display=display,
        branch=branch,
        qualifier=" ".join(qualifiers) or None,
    )


def _split_branch(name: str) -> tuple[str, str | None]:
    if not _BRANCH_ALONE.search(name):
        return name, None
    for pattern in (_CN_BRANCH, _EN_BRANCH_AFTER_SUFFIX, _EN_BRANCH_AFTER_COMMA, _CN_BRANCH_BARE, _EN_BRANCH_ONE_WORD):
        found = pattern.match(name)
        if found:
            return found.group("parent"), found.group("branch").strip()
    return name, None


def _company_key(name: str) -> str:
    name = name.casefold().rstrip(_TRAILING_PUNCTUATION)
    while name:
        shorter = _without_legal_suffix(name).rstrip(_TRAILING_PUNCTUATION)
        if shorter == name:
            break
        name = shorter
    return _NOT_ALPHANUMERIC.sub("", name)


def _without_legal_suffix(name: str) -> str:
    if name.endswith(_CN_LEGAL_SUFFIXES):
        return name[: -len(next(suffix for suffix in _CN_LEGAL_SUFFIXES if name.endswith(suffix)))]
    if name[-1].isascii():
        return _EN_LEGAL_SUFFIX.sub("", name)
    return name


# --- duplicates -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    """An existing lead that shares keys with a candidate; strong when a phone or an email is shared."""

    lead_id: str
    keys: tuple[str, ...]
    strength: str


def duplicate_keys(company: str | None = None, phone: str | None = None, email: str | None = None) -> set[str]:
    """The keys a lead is indexed by, e.g. ``phone:+8613800138000``, ``email:li@example.cn``, ``company:锦佳``."""
    keys = set()
    normalized_phone = normalize_phone(phone)
    if normalized_phone:
        keys.add(PHONE_KEY + normalized_phone)
    normalized_email = normalize_email(email)
    if normalized_email:
        keys.add(EMAIL_KEY + normalized_email)
    company_key = normalize_company(company).key
    if len(company_key) >= _SHORTEST_COMPANY_KEY:
        keys.add(COMPANY_KEY + company_key)
    return keys


def find_duplicates(
    candidate_keys: Iterable[str], existing: Mapping[str, Collection[str]], exclude: str | None = None
) -> list[Match]:
    """The existing leads sharing any key with the candidate: strong ones first, then by keys shared."""
    shared: dict[str, set[str]] = {}
    for key in set(candidate_keys):
        for lead_id in existing.get(key, ()):
            if lead_id != exclude:
                shared.setdefault(lead_id, set()).add(key)
    matches = [
        Match(
            lead_id=lead_id,
            keys=tuple(sorted(keys)),
            strength=STRONG if any(key.startswith(_STRONG_KEYS) for key in keys) else WEAK,
        )
        for lead_id, keys in shared.items()
    ]
    matches.sort(key=lambda match: (match.strength != STRONG, -len(match.keys), match.lead_id))
    return matches
