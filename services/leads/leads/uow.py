"""The leads unit of work: one transaction with the repositories, the ownership history and the outbox."""
from crm_shared.uow import UnitOfWork
from leads.events import to_envelope
from leads.repository import (
    Claimants,
    LeadRepository,
    MarketRepository,
    OwnershipHistory,
    PoolRepository,
    Reveals,
)


class LeadsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.leads = LeadRepository(self.session)
        self.pools = PoolRepository(self.session)
        self.markets = MarketRepository(self.session)
        self.history = OwnershipHistory(self.session)
        self.reveals = Reveals(self.session)
        self.claimants = Claimants(self.session)
        return self

    def commit(self) -> None:
        # Every change of hands a lead recorded is kept, in the same transaction as the change.
        for lead in self.leads.seen.values():
            self.history.add(lead.ownership_changes)
            lead.ownership_changes.clear()
        super().commit()

    def collect_new_events(self):
        envelopes = []
        for lead in self.leads.seen.values():
            envelopes.extend(to_envelope(event) for event in lead.events)
            lead.events.clear()
        return envelopes
