"""The use cases of lead imports: check a file (dry run), import it in committed steps, tell how far it got.

The real run executes in a leads worker (leads/import_runner.py queues the upload and runs these chunks;
`run_import` runs a whole import in the caller, for scripts and benches), one transaction per CHUNK rows,
each of which also moves the job row's `processed` on, so `GET /api/v1/leads/imports/{id}` shows it
advancing. A file that cannot be read is refused before anything (job row included) is written; once
rows start going in, an import is not all-or-nothing: a failure marks the job `failed` and says how
many rows were already committed.
Each imported lead publishes its `leads.lead.created.v1` (and `leads.lead.distributed.v1` when it goes
to an owner) through the outbox, in the same transaction as its rows, because consumers (reporting's
leads per channel) count leads from those events and need no import-specific event to do it.
Without an `owner_id`, a pool with a distribution rule gives each chunk's new leads to its reps in that
chunk's transaction, all chosen in one go (leads/distribution.py), as it does a lead created by hand.
"""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Callable

from crm_shared.auth import Identity
from crm_shared.db import outbox
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from leads.db import audit_log, lead_ownership_history, leads
from leads.db_follow_ups import lead_timeline
from leads.db_search import lead_match_keys, searchable
from leads.distribution import choose_owners, history_detail
from leads.domain import BY_DISTRIBUTION, CLAIMED, POOL, SYSTEM, LeadCreated, LeadDistributed, LeadRuleViolation
from leads.events import to_envelope
from leads.follow_ups import timeline_entries
from leads.imports import (
    CREATE,
    MAX_STORED_ERRORS,
    MERGED_INTO,
    Sieve,
    chunks,
    check_mapping,
    fill_blanks,
    keys_of_rows,
    read_rows,
    read_sheet,
    row_keys,
)
from leads.pools import LEAD_POOL
from leads.service import member_of
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]
CHUNK = 5000
BY_IMPORT = "imported"
RUNNING, COMPLETED, FAILED = "running", "completed", "failed"


def _target(uow: LeadsUnitOfWork, options: dict, importer: Identity) -> tuple[str, str | None]:
    """The pool the leads go into and their owner, if any; the importer must administer the pool."""
    pool_id, owner_id = options.get("pool_id"), options.get("owner_id")
    pool = uow.pools.get(pool_id) if pool_id else uow.pools.default(LEAD_POOL)
    if pool is None:
        raise APIError(422, "validation_failed", "There is no such pool.", {"pool_id": ["No pool with this id."]})
    if not pool.is_admin(member_of(uow, importer)):
        raise LeadRuleViolation("not_a_pool_admin", f"Only the admins of {pool.name} can import leads into it.")
    return pool.id, owner_id


def _plan(data: bytes, file_name: str, options: dict):
    sheet = read_sheet(data, file_name)
    defaults = options.get("defaults") or {}
    columns = check_mapping(sheet.header, options["mapping"], defaults)
    good, bad = read_rows(sheet, columns, defaults)
    return sheet, good, bad


def dry_run(uow_factory: UowFactory, data: bytes, file_name: str, options: dict, importer: Identity) -> dict:
    """Every bad row (row, column, reason) and what a real run would do with the good ones; writes nothing."""
    sheet, good, bad = _plan(data, file_name, options)
    sieve = Sieve(options["on_duplicate"])
    outcome = {CREATE: 0, "skip": 0, MERGED_INTO: 0}
    with uow_factory() as uow:
        _target(uow, options, importer)
        for chunk in chunks(good, CHUNK):
            existing = uow.match_keys.leads_by_key(keys_of_rows(chunk))
            for row in chunk:
                outcome[sieve.decide(row, existing)[0]] += 1
    return {
        "dry_run": True, "file_format": sheet.file_format, "total": len(sheet.rows), "valid": len(good),
        "invalid_rows": len({error.row for error in bad}), "errors": [error.to_dict() for error in bad],
        "would_create": outcome[CREATE], "would_skip": outcome["skip"], "would_merge": outcome[MERGED_INTO],
        "possible_duplicates": sieve.weak,
    }


def run_import(uow_factory: UowFactory, data: bytes, file_name: str, options: dict, importer: Identity) -> dict:
    """Import the good rows in bulk, CHUNK rows per committed step; the job row tells the progress."""
    sheet, good, bad = _plan(data, file_name, options)
    import_id = str(uuid.uuid4())
    now = utc_now()
    with uow_factory() as uow:
        pool_id, owner_id = _target(uow, options, importer)
        uow.imports.add({
            "id": import_id, "status": RUNNING, "file_name": file_name[:300], "file_format": sheet.file_format,
            "options": options, "created_by": importer.user_id, "total": len(sheet.rows),
            "processed": len(sheet.rows) - len(good), "created": 0, "skipped": 0, "merged": 0,
            "failed": len({error.row for error in bad}),
            "errors": [error.to_dict() for error in bad[:MAX_STORED_ERRORS]], "created_at": now,
        })
        uow.commit()
    sieve = Sieve(options["on_duplicate"])
    counts = {"processed": len(sheet.rows) - len(good), "created": 0, "skipped": 0, "merged": 0}
    try:
        for chunk in chunks(good, CHUNK):
            with uow_factory() as uow:
                _import_chunk(uow, chunk, sieve, pool_id, owner_id, importer, import_id, counts)
                counts["processed"] += len(chunk)
                uow.imports.update(import_id, **counts)
                uow.commit()
    except Exception as error:
        with uow_factory() as uow:
            uow.imports.update(import_id, status=FAILED, finished_at=utc_now(),
                               message=f"Stopped after {counts['processed']} rows: {type(error).__name__}: {error}"[:1000])
            uow.commit()
        raise
    with uow_factory() as uow:
        uow.imports.update(import_id, status=COMPLETED, finished_at=utc_now())
        uow.commit()
    return get_import(uow_factory, import_id, importer)


def _import_chunk(uow: LeadsUnitOfWork, chunk: list[dict], sieve: Sieve, pool_id: str, owner_id: str | None,
                  importer: Identity, import_id: str, counts: dict) -> None:
    now = utc_now()
    existing = uow.match_keys.leads_by_key(keys_of_rows(chunk))
    pending: dict[str, dict] = {}
    merges: dict[str, list[dict]] = {}
    for row in chunk:
        action, target = sieve.decide(row, existing)
        if action == CREATE:
            pending[row["id"]] = row
        elif action == MERGED_INTO:
            if target in pending:
                fill_blanks(pending[target], row)
            else:
                merges.setdefault(target, []).append(row)
            counts["merged"] += 1
        else:
            counts["skipped"] += 1
    rows = [_lead_row(row, pool_id, owner_id, now) for row in pending.values()]
    pool = uow.pools.get(pool_id)
    chosen = {} if owner_id else choose_owners(uow, pool, [SimpleNamespace(**lead) for lead in rows], now)
    key_rows, history, envelopes = [], [], []
    for row, lead in zip(pending.values(), rows):
        key_rows.extend({"key": key, "lead_id": lead["id"]} for key in row_keys(row))
        assignment = chosen.get(lead["id"])
        if assignment is not None:
            _give(lead, assignment.assignee_id, now)
        # A new lead has become no customer yet; the events read the field.
        view = SimpleNamespace(customer_id=None, **lead)
        envelopes.append(to_envelope(LeadCreated(view)))
        if owner_id:
            history.append({"lead_id": lead["id"], "pool_id": pool_id, "from_owner_id": None, "to_owner_id": owner_id,
                            "reason": BY_IMPORT, "actor_id": importer.user_id, "detail": f"import {import_id}", "at": now})
            envelopes.append(to_envelope(LeadDistributed(view, importer.user_id)))
        elif assignment is not None:
            history.append({"lead_id": lead["id"], "pool_id": pool_id, "from_owner_id": None,
                            "to_owner_id": assignment.assignee_id, "reason": BY_DISTRIBUTION, "actor_id": SYSTEM,
                            "detail": history_detail(pool, assignment), "at": now})
            envelopes.append(to_envelope(LeadDistributed(view, SYSTEM, pool.rules.distribution.strategy)))
    uow.lead_rows.bulk_insert(leads, rows)
    uow.lead_rows.bulk_insert(lead_match_keys, key_rows)
    uow.lead_rows.bulk_insert(lead_ownership_history, history)
    # What the unit of work does for a few events, done in bulk: the outbox, a timeline line and the audit rows.
    uow.lead_rows.bulk_insert(outbox, [
        {"event_id": e.id, "name": e.name, "body": _body(e), "created_at": now} for e in envelopes])
    uow.lead_rows.bulk_insert(lead_timeline, [_timeline_row(entry) for entry in timeline_entries(envelopes)])
    uow.lead_rows.bulk_insert(audit_log, _audit_rows(uow, envelopes, importer))
    counts["created"] += len(rows)
    if merges:
        found = uow.leads.get_many(list(merges))
        for lead_id, duplicates in merges.items():
            lead = found.get(lead_id)
            for row in duplicates if lead is not None else ():
                _fill_lead(lead, row)


def _audit_rows(uow: LeadsUnitOfWork, envelopes: list, importer: Identity) -> list[dict]:
    """The events' audit rows; a worker runs the import, but what it creates (not what a rule did) is the importer's."""
    rows = uow.audit_trail.rows_for(envelopes)
    for row in rows:
        if row["actor"] == SYSTEM:
            row["actor"] = importer.user_id
    return rows


def _body(envelope) -> str:
    """`Envelope.to_json` without its deep copy of the payload (a tenth of an import's time); same text."""
    return json.dumps(vars(envelope), separators=(",", ":"), ensure_ascii=False, default=str)


def _timeline_row(entry) -> dict:
    return {column.name: getattr(entry, column.name) for column in lead_timeline.c if column.name != "id"}


def _lead_row(row: dict, pool_id: str, owner_id: str | None, now) -> dict:
    fields = {name: row.get(name) for name in ("company", "contact_name", "phone", "email", "channel", "region",
                                               "industry", "company_size", "campaign", "notes")}
    return {
        "id": row["id"], **fields, "tags": row.get("tags") or [], "status": CLAIMED if owner_id else POOL,
        "owner_id": owner_id, "pool_id": pool_id, "created_at": now, "entered_pool_at": now,
        "claimed_at": now if owner_id else None, "converted_at": None, "previous_owner_id": None,
        "merged_into_id": None, "version": 1, "last_activity_at": now if owner_id else None,
        **searchable(fields),
    }


def _give(lead: dict, owner_id: str, now) -> None:
    """An imported lead row the pool's rule distributed: owned from the moment it is inserted."""
    lead.update(status=CLAIMED, owner_id=owner_id, claimed_at=now, last_activity_at=now)


def _fill_lead(lead, row: dict) -> None:
    """A row that duplicates a lead already in the pool fills what the lead lacks (search and keys follow)."""
    target = {name: getattr(lead, name) for name in ("phone", "email", "region", "industry", "company_size",
                                                     "campaign", "notes", "tags")}
    fill_blanks(target, row)
    for name, value in target.items():
        if value != getattr(lead, name):
            setattr(lead, name, value)


def get_import(uow_factory: UowFactory, import_id: str, viewer: Identity) -> dict:
    """An import job as far as it has got; only its importer (or an admin) sees it."""
    with uow_factory() as uow:
        job = uow.imports.get(import_id)
        if job is None or (job["created_by"] != viewer.user_id and "admin" not in viewer.roles):
            raise NotFound("import", import_id)
        return job
