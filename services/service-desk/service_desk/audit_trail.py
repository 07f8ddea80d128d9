"""Which tickets a service-desk event's audit rows concern, and who acted when a workflow rule did it."""
from crm_shared import audit
from crm_shared.audit import AuditTrail
from crm_shared.envelope import Envelope
from service_desk.db import audit_log
from service_desk.events import NOTIFICATION_REQUESTED, RETURN_VISIT_COMPLETED, RETURN_VISIT_SCHEDULED
from service_desk.kb_events import SOLUTION_RECORDED

OF_ITS_TICKET = (("ticket", "ticket_id"),)


def _rule_actor(envelope: Envelope) -> str | None:
    """A change a workflow rule made during someone's request is the rule's; in a timed job, the job's."""
    rule_id = envelope.payload.get("rule_id")
    if not rule_id:
        return None
    return audit.running_job_actor() or audit.automatic_actor(f"workflow_rule:{rule_id}")


SERVICE_DESK_AUDIT = AuditTrail(
    table=audit_log,
    also={
        RETURN_VISIT_SCHEDULED: OF_ITS_TICKET,
        RETURN_VISIT_COMPLETED: OF_ITS_TICKET,
        SOLUTION_RECORDED: OF_ITS_TICKET,
        NOTIFICATION_REQUESTED: OF_ITS_TICKET,
    },
    actor_of=_rule_actor,
)
