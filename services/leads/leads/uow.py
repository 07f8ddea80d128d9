"""The leads unit of work: one transaction with the lead repository and the outbox."""
from crm_shared.uow import UnitOfWork
from leads.events import to_envelope
from leads.repository import LeadRepository


class LeadsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.leads = LeadRepository(self.session)
        return self

    def collect_new_events(self):
        envelopes = []
        for lead in self.leads.seen.values():
            envelopes.extend(to_envelope(event) for event in lead.events)
            lead.events.clear()
        return envelopes
