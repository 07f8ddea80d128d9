"""Lead search latency over 1,000,000 leads: the search endpoint's code path, against the same SQL run raw.

    .venv/bin/python bench/bench_lead_search.py [--rows 1000000] [--repeat 3] \
        [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep URL] [--only KIND,...] [--json out.json]

Creates a scratch database on the PostgreSQL server, migrated with the leads migrations, and loads
`--rows` generated leads into it (half Chinese, half English companies; contacts, phones, e-mails,
notes, statuses, pools, owners, regions, industries, channels, tags, campaigns and three years of
creation dates), with COPY from two processes. The migrations' own indexes are dropped before the
load and created again after it from their definitions, exactly as they were (`pg_indexes`), which is
several times faster than loading into a table with two GIN indexes. Then ANALYZE.

Then a query mix goes through `GET /api/v1/leads/search` with the Flask test client of the real app
(token check, argument parsing, visibility, search conditions, keyset page, capped count, masking and
serialisation), as a sales manager and as a rep, each query `--repeat` times after one warm-up:
Chinese 2-character fragments (`锦佳`, served by the bigram index), longer Chinese fragments, English
words, phone and e-mail fragments, free text with filters, filters alone, the company sort and the
second page (the first page's `next_cursor`). The raw baseline of each request is the very SQL the
request sent (caught with a SQLAlchemy event), sent again straight through psycopg on one connection,
in the same run; a primary-key lookup is the floor. The database is dropped at the end, unless
`--keep` names a database URL to load once and reuse (the load takes a few minutes at 1,000,000).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from crm_shared import testing
from leads import create_app
from leads.config import SERVICE, SERVICE_ROOT
from leads.db_search import searchable
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID

TARGET_P95_MS = 50.0
# A savepoint the app opens, maybe among other statements sent at once (`SET LOCAL ...; SAVEPOINT name; ...`).
SAVEPOINT_OPENED = re.compile(r"(?:^|;\s*)SAVEPOINT (\w+)")
LOAD_PROCESSES = 2

# --- the data -------------------------------------------------------------------------------------

PLACES = ("北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "安徽", "合肥", "宁波",
          "厦门", "青岛", "天津", "重庆", "长沙", "郑州", "济南", "福州", "无锡", "佛山", "东莞")
# Brand names are two characters drawn from these: about 16,000 pairs, so one brand names a few dozen leads.
BRAND_CHARS = ("锦佳华信达恒泰安盛鑫源宏远博瑞腾飞嘉禾丰裕德隆昌兴中天海润金誉诚正永辉明成新创佳美通利聚合众亿祥"
               "康宁和睿智凯旋致远星辰光彩晨曦云峰蓝图卓越精工优品嘉豪龙腾东方万通同仁长青益民")
TRADES = ("信息技术", "科技", "贸易", "实业", "电子", "网络科技", "软件", "机械制造", "医药", "化工", "食品", "物流",
          "建设工程", "咨询服务", "文化传媒", "环保科技", "新能源", "教育科技", "餐饮管理", "汽车服务")
CN_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "有限责任公司", "有限公司上海分公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文斌晓东海燕玉梅红霞"
EN_WORDS = ("northwind", "acme", "global", "pacific", "summit", "bluewater", "silverline", "evergreen", "harbor",
            "pioneer", "crescent", "keystone", "redwood", "sterling", "horizon", "lakeside", "meridian", "orchard",
            "granite", "falcon", "aurora", "cobalt", "everest", "liberty", "maple", "oakridge", "pinnacle", "quantum",
            "riverside", "sapphire", "titan", "vertex", "willow", "zenith", "atlas", "beacon", "cedar", "delta")
EN_TRADES = ("trading", "technology", "logistics", "foods", "media", "pharma", "software", "industries",
             "consulting", "electronics", "manufacturing", "holdings")
EN_FORMS = ("Ltd", "Co., Ltd.", "Inc.", "LLC", "GmbH", "Pte. Ltd.", "Limited", "Corp.")
FIRST = ("John", "Mary", "James", "Linda", "David", "Susan", "Peter", "Emma", "Wei", "Li", "Anna", "Tom", "Chris")
LAST = ("Smith", "Wang", "Chen", "Brown", "Miller", "Lee", "Taylor", "Zhang", "Wilson", "Clark", "Moore", "Liu")
MAIL_DOMAINS = ("163.com", "qq.com", "126.com", "gmail.com", "outlook.com", "sina.com", "example.cn", "aliyun.com")
CHANNELS = ("web", "fair", "referral", "ads", "cold_call", "wechat", "partner", "campaign")
REGIONS = ("华东", "华北", "华南", "华中", "西南", "西北", "东北", "港澳台", "海外")
INDUSTRIES = ("software", "retail", "manufacturing", "finance", "education", "healthcare", "logistics", "energy",
              "real_estate", "agriculture", "media", "government")
SIZES = (None, "1-10", "11-50", "51-200", "201-1000", "1000+")
TAGS = ("vip", "重点", "续约", "展会", "老客户", "高意向", "待跟进", "海外", "KA", "渠道", "试用", "流失风险")
CAMPAIGNS = (None, None, None, "2026春季展会", "618促销", "Canton Fair 2026", "webinar-q3", "双十一")
NOTES = ("", "", "", "Met at the Canton fair", "回访：有意向，下周再联系", "Asked for a quote on 200 units",
         "客户要求报价，预算充足", "Not reachable, try again", "老板出差，月底回电", "Interested in the premium plan",
         "已发送产品资料", "需要技术方案演示", "Wants a discount for annual billing", "竞争对手在跟进")
REPS = 200
TEAM_POOLS = ("00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2",
              "00000000-0000-4000-8000-0000000000a3")
STARTED = datetime(2023, 11, 27, tzinfo=timezone.utc)
SPAN_SECONDS = 3 * 365 * 24 * 3600
COLUMNS = ("id", "company", "contact_name", "phone", "email", "channel", "status", "owner_id", "created_at",
           "claimed_at", "converted_at", "version", "pool_id", "region", "industry", "company_size", "tags",
           "campaign", "previous_owner_id", "entered_pool_at", "last_activity_at", "notes", "merged_into_id",
           "search_text", "search_grams")


def rep_id(number: int) -> str:
    return f"rep-{number:03d}"


def team_of(rep_number: int) -> str:
    """Reps are in 20 teams of 10; the sales manager of the mix oversees team-01."""
    return f"team-{rep_number % 20 + 1:02d}"


def chinese_company(rng: random.Random) -> str:
    brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
    place = rng.choice(PLACES) if rng.random() < 0.7 else ""
    return place + brand + rng.choice(TRADES) + rng.choice(CN_FORMS)


def english_company(rng: random.Random) -> str:
    count = 2 if rng.random() < 0.4 else 1
    words = [rng.choice(EN_WORDS).title() for _ in range(count)]
    return " ".join(words) + " " + rng.choice(EN_TRADES).title() + " " + rng.choice(EN_FORMS)


def phone_number(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.75:
        number = f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}"
        return rng.choice((number, f"{number[:3]} {number[3:7]} {number[7:]}", f"+86 {number}",
                           f"{number[:3]}-{number[3:7]}-{number[7:]}"))
    if roll < 0.95:
        area = rng.choice(("010", "021", "020", "0755", "0571", "025", "0551", "028"))
        return f"{area}-{rng.randrange(2, 10)}{rng.randrange(10 ** 6, 10 ** 7)}"
    return f"+{rng.choice(('1', '44', '65', '49'))} {rng.randrange(10 ** 8, 10 ** 10)}"


def lead_row(n: int, rows: int, rng: random.Random) -> tuple:
    chinese = rng.random() < 0.5
    if chinese:
        company = chinese_company(rng)
        contact = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
        name = rng.choice(("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "sales", "info"))
        local = f"{name}{rng.randrange(10000)}"
    else:
        company = english_company(rng)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = f"{first} {last}"
        local = f"{first.lower()}.{last.lower()}{rng.randrange(1000)}"
    email = f"{local}@{rng.choice(MAIL_DOMAINS)}" if rng.random() < 0.8 else None
    phone = phone_number(rng)
    notes = rng.choice(NOTES) or None
    # Leads arrive over time, so the table is roughly in creation order, as a real one is.
    created = STARTED + timedelta(seconds=SPAN_SECONDS * n // rows + rng.randrange(-86400, 86400))
    roll = rng.random()
    owner = previous = claimed = converted = activity = merged_into = None
    if roll < 0.45:
        status = "pool"
        pool = rng.choices((DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID, *TEAM_POOLS), (55, 30, 5, 5, 5))[0]
        previous = rep_id(rng.randrange(REPS)) if pool == DEFAULT_PUBLIC_POOL_ID else None
    else:
        pool = rng.choices((DEFAULT_LEAD_POOL_ID, *TEAM_POOLS), (70, 10, 10, 10))[0]
        if roll < 0.97:
            status = "claimed" if roll < 0.85 else "converted"
            owner = rep_id(rng.randrange(REPS))
            claimed = created + timedelta(hours=rng.randrange(1, 2000))
            activity = claimed + timedelta(hours=rng.randrange(0, 500))
            converted = activity if status == "converted" else None
        else:
            status, merged_into = "merged", str(uuid.UUID(int=rng.getrandbits(128), version=4))
    tags = sorted(rng.sample(TAGS, rng.choice((0, 0, 0, 1, 1, 2, 3))))
    fields = {"company": company, "contact_name": contact, "phone": phone, "email": email, "notes": notes}
    search = searchable(fields)
    return (
        str(uuid.UUID(int=rng.getrandbits(128), version=4)), company, contact, phone, email, rng.choice(CHANNELS),
        status, owner, created, claimed, converted, 1, pool, rng.choice(REGIONS), rng.choice(INDUSTRIES),
        rng.choice(SIZES), json.dumps(tags, ensure_ascii=False), rng.choice(CAMPAIGNS), previous,
        created if status == "pool" else None, activity, notes, merged_into, search["search_text"],
        search["search_grams"],
    )


def _load_part(job: tuple[str, int, int, int]) -> int:
    dsn, first, count, rows = job
    rng = random.Random(first)
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY leads ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for n in range(first, first + count):
                copy.write_row(lead_row(n, rows, rng))
        connection.commit()
    return count


def psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load(url: str, rows: int) -> None:
    dsn = psycopg_dsn(url)
    with psycopg.connect(dsn, autocommit=True) as connection:
        now = datetime.now(timezone.utc)
        for number, pool_id in enumerate(TEAM_POOLS, start=1):
            connection.execute(
                "INSERT INTO pools (id, name, kind, is_default, enabled, admin_ids, scope, rules, created_at, "
                "updated_at, version) VALUES (%s, %s, 'lead', false, true, '[]', %s, "
                "(SELECT rules FROM pools WHERE id = %s), %s, %s, 1)",
                (pool_id, f"Team pool {number}",
                 json.dumps({"user_ids": [], "team_ids": [team_of(number - 1)], "roles": [], "market_ids": []}),
                 DEFAULT_LEAD_POOL_ID, now, now))
        # The user directory the service keeps: which team each rep is in (a sales manager sees their teams').
        with connection.cursor().copy("COPY claimant_teams (user_id, team_id) FROM STDIN") as copy:
            for number in range(REPS):
                copy.write_row((rep_id(number), team_of(number)))
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'leads' AND indexname <> 'pk_leads' "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%%'").fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    step = -(-rows // (LOAD_PROCESSES * 8))
    jobs = [(dsn, first, min(step, rows - first), rows) for first in range(0, rows, step)]
    with multiprocessing.get_context("fork").Pool(LOAD_PROCESSES) as workers:
        done = 0
        for count in workers.imap_unordered(_load_part, jobs):
            done += count
            print(f"\r  loaded {done:,} leads in {time.perf_counter() - started:5.0f} s", end="", flush=True)
    print()
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in indexes:
            connection.execute(definition)
        connection.execute("ANALYZE")
    names = ", ".join(name for name, _ in indexes)
    print(f"  indexes {names} built and ANALYZE in {time.perf_counter() - started:.0f} s")


# --- the queries ----------------------------------------------------------------------------------

def query_mix(seed: int = 11) -> list[tuple[str, str, dict]]:
    """(kind, who, query arguments): who is `admin` (sees every lead), `manager` (team-01) or a rep's id."""
    rng = random.Random(seed)
    mix = []

    def add(kind: str, args: dict, count: int = 6) -> None:
        for n in range(count):
            who = ("admin", "manager", rep_id(rng.randrange(REPS)))[n % 3]
            mix.append((kind, who, {key: (value(rng) if callable(value) else value) for key, value in args.items()}))

    pair = lambda r: r.choice(BRAND_CHARS) + r.choice(BRAND_CHARS)  # noqa: E731
    add("cjk_pair (锦佳)", {"q": pair})
    add("cjk_pair_common (科技)", {"q": lambda r: r.choice(("科技", "贸易", "上海", "有限", "实业", "王伟"))})
    add("cjk_long (锦佳信息)", {"q": lambda r: pair(r) + r.choice(TRADES)[:2]})
    add("english_word", {"q": lambda r: r.choice(EN_WORDS)})
    add("english_two_words", {"q": lambda r: f"{r.choice(EN_WORDS)} {r.choice(EN_TRADES)}"})
    add("phone_fragment", {"q": lambda r: f"{r.randrange(10 ** 4, 10 ** 5)}"})
    add("phone_prefix", {"q": lambda r: f"13{r.randrange(10)}{r.randrange(1000, 10000)}"})
    add("email_part", {"q": lambda r: r.choice(("wang", "zhang", "sales", "peter.smith", "@163.com", "chen.liu"))})
    add("text_and_filters", {"q": pair, "status": "pool", "region": lambda r: r.choice(REGIONS)})
    add("common_text_and_filters", {"q": lambda r: r.choice(EN_TRADES), "region": lambda r: r.choice(REGIONS),
                                    "industry": lambda r: r.choice(INDUSTRIES)})
    add("filters_only", {"status": lambda r: r.choice(("pool", "claimed")), "region": lambda r: r.choice(REGIONS),
                         "industry": lambda r: r.choice(INDUSTRIES)})
    add("channel_and_dates", {"channel": lambda r: r.choice(CHANNELS), "created_from": "2025-01-01T00:00:00+00:00",
                              "created_to": "2025-04-01T00:00:00+00:00"})
    add("tag", {"tag": lambda r: r.choice(TAGS)})
    add("sort_company", {"q": lambda r: r.choice(EN_WORDS), "sort": "company"})
    add("sort_company_no_text", {"status": "pool", "sort": lambda r: r.choice(("company", "-company"))})
    add("no_filter", {"sort": lambda r: r.choice(("-created_at", "created_at"))})
    add("owner_me", {"owner": "me", "status": "claimed"})
    add("pool_public", {"pool_id": DEFAULT_PUBLIC_POOL_ID, "q": lambda r: r.choice(("有限", "wang", "trading"))})
    return mix


class CaughtSql:
    """Every statement the app sends, so the same SQL can be sent again raw."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._catch)

    def _catch(self, _connection, _cursor, statement, parameters, _context, _executemany):
        self.statements.append((statement, parameters))

    def take(self) -> list[tuple[str, object]]:
        statements, self.statements = self.statements, []
        return statements


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def run_queries(url: str, repeat: int, tmp: Path, only: tuple[str, ...] = ()) -> tuple[dict, dict, float, list]:
    settings = testing.service_settings(SERVICE, tmp, url)
    app = create_app(settings)
    caught = CaughtSql(app.extensions["crm.engine"])
    tokens = testing.Tokens(settings)
    client = app.test_client()
    headers = {"admin": tokens.headers("admin-1", ["admin"], "admin"),
               "manager": tokens.headers("manager-1", ["sales_manager"], "manager", teams=[team_of(0)])}
    app_ms: dict[str, list[float]] = defaultdict(list)
    raw_ms: dict[str, list[float]] = defaultdict(list)
    slowest: list[tuple[float, str, dict, dict]] = []
    # One transaction per request, as the app has: the SET LOCALs it sends hold in the replay too.
    with psycopg.connect(psycopg_dsn(url)) as raw:
        for round_number in range(repeat + 1):
            for kind, who, args in query_mix():
                if only and not any(part in kind for part in only):
                    continue
                if who not in headers:
                    headers[who] = tokens.headers(who, ["sales_rep"], who, teams=[team_of(int(who[-3:]))])
                pages = [("", args)]
                if kind in {"english_word", "cjk_pair_common (科技)", "filters_only", "no_filter"}:
                    pages.append((" page 2", args))
                cursor = None
                for suffix, page_args in pages:
                    if suffix:
                        if not cursor:
                            continue
                        page_args = {**page_args, "cursor": cursor}
                    caught.take()
                    started = time.perf_counter()
                    response = client.get("/api/v1/leads/search?" + urlencode(page_args), headers=headers[who])
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (page_args, response.status_code, response.json)
                    cursor = response.json["next_cursor"]
                    statements = caught.take()
                    started = time.perf_counter()
                    savepoint = None
                    for statement, parameters in statements:
                        opened = SAVEPOINT_OPENED.search(statement)
                        if opened:
                            savepoint = opened.group(1)
                        try:
                            replayed = raw.execute(statement, parameters)
                        except psycopg.errors.QueryCanceled:
                            # The count's time budget ran out here too: back to where the app went back to.
                            raw.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                            continue
                        if replayed.description:
                            replayed.fetchall()
                    raw.rollback()
                    raw_elapsed = (time.perf_counter() - started) * 1000
                    if round_number == 0:
                        continue  # warm-up
                    app_ms[kind + suffix].append(elapsed)
                    raw_ms[kind + suffix].append(raw_elapsed)
                    slowest.append((elapsed, kind + suffix, page_args,
                                    {"total": response.json["total"], "estimate": response.json["total_is_estimate"],
                                     "items": len(response.json["items"]), "who": who}))
        one_id = raw.execute("SELECT id FROM leads OFFSET 5000 LIMIT 1").fetchone()[0]
        lookups = []
        for _ in range(200):
            started = time.perf_counter()
            raw.execute("SELECT * FROM leads WHERE id = %s", (one_id,)).fetchall()
            raw.rollback()
            lookups.append((time.perf_counter() - started) * 1000)
    app.extensions["crm.engine"].dispose()
    slowest.sort(key=lambda item: item[0], reverse=True)
    return app_ms, raw_ms, statistics.median(lookups), slowest[:8]


def report(app_ms: dict, raw_ms: dict, lookup_ms: float) -> dict:
    """Print the table; return its figures (ms) per kind and for all requests."""
    figures = {"kinds": {}, "lookup_p50_ms": lookup_ms}
    print(f"\n{'kind':34} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7}   {'raw p50':>7} {'raw p95':>7}  {'p50 ratio':>9}")
    everything, everything_raw = [], []
    for kind in app_ms:
        values, raw = app_ms[kind], raw_ms[kind]
        everything += values
        everything_raw += raw
        flag = "  > target" if percentile(values, 0.95) > TARGET_P95_MS else ""
        figures["kinds"][kind] = {"n": len(values), "p50_ms": percentile(values, .5), "p95_ms": percentile(values, .95),
                                  "p99_ms": percentile(values, .99), "raw_p50_ms": percentile(raw, .5),
                                  "raw_p95_ms": percentile(raw, .95)}
        print(f"{kind:34} {len(values):4} {percentile(values, .5):7.1f} {percentile(values, .95):7.1f} "
              f"{percentile(values, .99):7.1f}   {percentile(raw, .5):7.1f} {percentile(raw, .95):7.1f}  "
              f"{percentile(values, .5) / max(percentile(raw, .5), 1e-3):8.1f}x{flag}")
    print(f"{'all':34} {len(everything):4} {percentile(everything, .5):7.1f} {percentile(everything, .95):7.1f} "
          f"{percentile(everything, .99):7.1f}   {percentile(everything_raw, .5):7.1f} "
          f"{percentile(everything_raw, .95):7.1f}  "
          f"{percentile(everything, .5) / percentile(everything_raw, .5):8.1f}x")
    print(f"(ms; raw = the same SQL straight through psycopg; primary-key lookup p50 {lookup_ms:.2f} ms)")
    figures["all"] = {"n": len(everything), "p50_ms": percentile(everything, .5), "p95_ms": percentile(everything, .95),
                      "p99_ms": percentile(everything, .99), "raw_p50_ms": percentile(everything_raw, .5),
                      "raw_p95_ms": percentile(everything_raw, .95), "target_p95_ms": TARGET_P95_MS}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds of the query mix (after one warm-up)")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", help="a database URL to load once (if it has no leads) and keep for later runs")
    parser.add_argument("--only", default="", help="comma-separated parts of kind names: run only those kinds")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    os.environ["CRM_TEST_DATABASE_URL"] = args.server
    # The mix asks faster than a person: the per-user limit on lead views would answer 429.
    os.environ.setdefault("CRM_LEADS_POOL_VIEWS_PER_MINUTE", "1000000")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        scratch = nullcontext(args.keep) if args.keep else testing.scratch_database(SERVICE, tmp, backend="postgresql")
        with scratch as url:
            if args.keep:
                _create_if_missing(url)
            testing.migrate(testing.service_settings(SERVICE, tmp, url), SERVICE_ROOT)
            with psycopg.connect(psycopg_dsn(url)) as connection:
                present = connection.execute("SELECT count(*) FROM leads").fetchone()[0]
            load_seconds = None
            if present == 0:
                print(f"loading {args.rows:,} leads")
                started = time.perf_counter()
                load(url, args.rows)
                load_seconds = time.perf_counter() - started
                with psycopg.connect(psycopg_dsn(url)) as connection:
                    present = connection.execute("SELECT count(*) FROM leads").fetchone()[0]
            else:
                print(f"reusing {present:,} leads in {make_url(url).database}")
            loadavg_before = os.getloadavg()
            print(f"load average before the queries: {_load_average()}")
            only = tuple(part for part in args.only.split(",") if part)
            app_ms, raw_ms, lookup_ms, slowest = run_queries(url, args.repeat, tmp, only)
            loadavg_after = os.getloadavg()
            print(f"load average after the queries: {_load_average()}")
    figures = report(app_ms, raw_ms, lookup_ms)
    if args.json:
        figures.update(leads=present, load_seconds=load_seconds, repeat=args.repeat, loadavg_before=loadavg_before,
                       loadavg_after=loadavg_after)
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    print("\nslowest requests:")
    for elapsed, kind, query, answer in slowest:
        print(f"  {elapsed:7.1f} ms  {kind:30} {query}  {answer}")


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _create_if_missing(url: str) -> None:
    name = make_url(url).database
    admin = psycopg_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
