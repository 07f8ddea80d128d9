"""Lead import throughput: a generated CSV through the import code path, against a raw psycopg baseline.

    .venv/bin/python bench/bench_lead_import.py [--rows 100000] [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--json out.json]

Creates two scratch databases on the PostgreSQL server, migrated to head. Into the first, the CSV goes
through `leads.import_service.run_import` (file decoding, mapping, row checks, duplicate keys, bulk lead,
match key, outbox and timeline inserts, committed per chunk with job progress): what `POST
/api/v1/leads/imports` does after the upload. Into the second, the same rows (with their search
columns already computed) go into the leads table with psycopg `executemany` in one transaction: the
raw baseline of writing just the leads, with the same indexes. Both databases are dropped at the end.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
import time
import uuid
from datetime import datetime, timezone

import psycopg
from sqlalchemy.engine import make_url

from crm_shared.auth import Identity
from crm_shared.db import make_engine, make_session_factory
from crm_shared.testing import migrate, scratch_database, service_settings
from leads.config import SERVICE, SERVICE_ROOT
from leads.db import start_mappers
from leads.db_search import searchable
from leads.import_service import run_import
from leads.pools import DEFAULT_LEAD_POOL_ID
from leads.uow import LeadsUnitOfWork

SYLLABLES = "安徽锦佳信息技术北京上海广州深圳杭州南京科技贸易发展集团实业电子网络软件服务咨询建设工程机械制造医药化工食品物流"
WORDS = ["acme", "global", "trading", "tech", "software", "logistics", "foods", "media", "pharma", "north"]
HEADER = ["公司名称", "联系人", "手机", "邮箱", "来源", "地区", "行业", "标签", "备注"]
MAPPING = {"公司名称": "company", "联系人": "contact_name", "手机": "phone", "邮箱": "email", "来源": "channel",
           "地区": "region", "行业": "industry", "标签": "tags", "备注": "notes"}


def generate(rows: int) -> list[list[str]]:
    rng = random.Random(7)
    data = []
    for n in range(rows):
        if n % 2:
            company = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(4, 10))) + "有限公司"
            contact = rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜秀英敏静丽强磊")
        else:
            company = " ".join(rng.choice(WORDS) for _ in range(3)).title() + " Ltd"
            contact = rng.choice(["John", "Mary", "Wei", "Li"]) + " " + rng.choice(["Smith", "Wang", "Chen"])
        data.append([
            f"{company} {n}", contact, f"1{rng.choice('3456789')}{n:09d}", f"user{n}@example{n % 97}.com",
            rng.choice(["web", "fair", "referral", "ads"]), rng.choice(["华东", "华北", "华南"]),
            rng.choice(["software", "retail", "manufacturing"]), rng.choice(["", "vip", "vip;重点"]),
            rng.choice(["", "Met at the Canton fair", "回访：有意向"]),
        ])
    return data


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def through_import(url: str, data: bytes, tmp: str) -> tuple[float, dict]:
    settings = service_settings(SERVICE, __import__("pathlib").Path(tmp), url)
    migrate(settings, SERVICE_ROOT)
    start_mappers()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    importer = Identity("bench-admin", "bench", frozenset({"admin"}))
    options = {"mapping": MAPPING, "defaults": {}, "pool_id": None, "owner_id": None, "on_duplicate": "skip",
               "dry_run": False}
    started = time.perf_counter()
    job = run_import(lambda: LeadsUnitOfWork(factory), data, "bench.csv", options, importer)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, job


def raw_baseline(url: str, rows: list[list[str]], tmp: str) -> float:
    settings = service_settings(SERVICE, __import__("pathlib").Path(tmp), url)
    migrate(settings, SERVICE_ROOT)
    now = datetime.now(timezone.utc)
    params = []
    for company, contact, phone, email, channel, region, industry, tags, notes in rows:
        fields = {"company": company, "contact_name": contact, "phone": phone, "email": email, "notes": notes or None}
        search = searchable(fields)
        params.append((str(uuid.uuid4()), company, contact, phone, email, channel, "pool", now, 1, DEFAULT_LEAD_POOL_ID,
                       region, industry, "[" + ",".join(f'"{t}"' for t in tags.split(";") if t) + "]", now,
                       notes or None, search["search_text"], search["search_grams"]))
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO leads (id, company, contact_name, phone, email, channel, status, created_at, version, "
                "pool_id, region, industry, tags, entered_pool_at, notes, search_text, search_grams) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                params,
            )
        connection.commit()
        return time.perf_counter() - started


def main() -> None:
    import os
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    os.environ["CRM_TEST_DATABASE_URL"] = args.server
    rows = generate(args.rows)
    data = to_csv(rows)
    print(f"{args.rows} rows, CSV of {len(data) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        with scratch_database(SERVICE, __import__("pathlib").Path(tmp), backend="postgresql") as url:
            imported, job = through_import(url, data, tmp)
        with scratch_database(SERVICE, __import__("pathlib").Path(tmp), backend="postgresql") as url:
            raw = raw_baseline(url, rows, tmp)
    assert job["status"] == "completed" and job["created"] == args.rows, job
    import_rate, raw_rate = args.rows / imported, args.rows / raw
    print(f"import code path : {imported:6.2f} s  {import_rate:8.0f} rows/s  "
          f"(created {job['created']}, skipped {job['skipped']}, failed {job['failed']})")
    print(f"psycopg executemany (leads rows only): {raw:6.2f} s  {raw_rate:8.0f} rows/s")
    print(f"ratio import / raw: {import_rate / raw_rate:.2f}")
    if args.json:
        figures = {"rows": args.rows, "csv_bytes": len(data), "import_seconds": imported, "import_rows_per_s": import_rate,
                   "executemany_seconds": raw, "executemany_rows_per_s": raw_rate, "created": job["created"]}
        __import__("pathlib").Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
