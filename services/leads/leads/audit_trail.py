"""Which leads a leads event's audit rows concern, and who acted when the system did it for a user."""
from crm_shared import audit
from crm_shared.audit import AuditTrail
from crm_shared.envelope import Envelope
from leads.db import audit_log
from leads.domain import SYSTEM

AUTO_DISTRIBUTION = "leads.auto_distribution"

ABOUT_A_LEAD = (("lead", "lead_id"),)


def _automatic_actor(envelope: Envelope) -> str | None:
    """A lead given away by the pool's distribution rule: the rule's doing, though a user created the lead."""
    if envelope.name != "leads.lead.distributed.v1" or envelope.payload.get("distributed_by") != SYSTEM:
        return None
    # Inside a timed job (recycling redistributes), the job; in a request, the distribution rule.
    return audit.running_job_actor() or audit.automatic_actor(AUTO_DISTRIBUTION)


LEADS_AUDIT = AuditTrail(
    table=audit_log,
    also={
        "leads.follow_up.logged.v1": ABOUT_A_LEAD,
        "leads.material.sent.v1": ABOUT_A_LEAD,
        "leads.material.clicked.v1": ABOUT_A_LEAD,
        # The lead merged away keeps the fact in its own trail too.
        "leads.lead.merged.v1": (("lead", "merged_lead_id"),),
    },
    actor_of=_automatic_actor,
)
