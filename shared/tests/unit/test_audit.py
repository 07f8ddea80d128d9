"""Which records an event's audit rows concern and who acted: derived from the event, the trail and the job."""
from sqlalchemy import MetaData

from crm_shared import audit, context
from crm_shared.audit import AuditTrail
from crm_shared.db import audit_log_table
from crm_shared.envelope import Envelope

TABLE = audit_log_table(MetaData())


def event(name: str, actor: str = "rep-1", **payload) -> Envelope:
    return Envelope.new(name, payload, producer="test", actor=actor)


def test_the_record_is_the_events_aggregate_with_its_id_from_the_payload():
    trail = AuditTrail(TABLE)
    assert trail.records_of(event("leads.lead.claimed.v1", lead_id="L1", owner_id="rep-1")) == [("lead", "L1")]
    assert trail.records_of(event("sales.payment_plan.created.v1", id="P1")) == [("payment_plan", "P1")]
    assert trail.records_of(event("sales.opportunity_request.refused.v1", ticket_id="T1")) == []


def test_an_event_about_more_records_gives_one_row_each_once():
    trail = AuditTrail(TABLE, also={"sales.payment.received.v1": (("contract", "contract_id"),),
                                    "leads.lead.merged.v1": (("lead", "merged_lead_id"), ("lead", "lead_id"))})
    paid = event("sales.payment.received.v1", payment_id="PAY", contract_id="C1", amount="10.00")
    rows = trail.rows_for([paid])
    assert [(r["record_type"], r["record_id"]) for r in rows] == [("payment", "PAY"), ("contract", "C1")]
    assert {(r["action"], r["actor"], r["event_id"], r["correlation_id"]) for r in rows} == {
        ("sales.payment.received.v1", "rep-1", paid.id, paid.correlation_id)}
    merged = event("leads.lead.merged.v1", lead_id="L1", merged_lead_id="L2")
    assert trail.records_of(merged) == [("lead", "L1"), ("lead", "L2")]


def test_a_system_jobs_changes_name_the_job_and_a_users_stay_the_users():
    trail = AuditTrail(TABLE)
    with audit.system_job("leads.recycle"):
        assert audit.running_job_actor() == "system:leads.recycle"
        assert trail.actor(event("leads.lead.recycled.v1", actor="system", lead_id="L1")) == "system:leads.recycle"
        assert trail.actor(event("leads.lead.claimed.v1", actor="rep-1", lead_id="L1")) == "rep-1"
        with context.use(context.MessageContext(actor="rep-2")):
            assert audit.running_job_actor() is None and audit.current_actor() == "rep-2"
    assert audit.running_job_actor() is None
    assert trail.actor(event("leads.lead.recycled.v1", actor="system", lead_id="L1")) == "system"


def test_an_automatic_actor_the_service_names_wins_over_the_envelopes():
    trail = AuditTrail(TABLE, actor_of=lambda e: audit.automatic_actor("rule:7") if e.payload.get("rule_id") else None)
    assert trail.actor(event("service_desk.ticket.assigned.v1", ticket_id="T", rule_id="7")) == "system:rule:7"
    assert trail.actor(event("service_desk.ticket.assigned.v1", ticket_id="T", rule_id=None)) == "rep-1"
    assert audit.is_automatic("system:rule:7") and audit.is_automatic("system") and not audit.is_automatic("rep-1")


def test_a_callers_overlong_correlation_id_is_cut_to_the_column_not_a_failed_change():
    long = Envelope.new("leads.lead.claimed.v1", {"lead_id": "L1"}, producer="test", correlation_id="c" * 500)
    [row] = AuditTrail(TABLE).rows_for([long])
    assert row["correlation_id"] == "c" * TABLE.c.correlation_id.type.length
