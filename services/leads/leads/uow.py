"""The leads unit of work: one transaction with the repositories, the ownership history and the outbox."""
from crm_shared.uow import UnitOfWork
from leads.audit_trail import LEADS_AUDIT
from leads.campaign_repository import CampaignRepository, Deliveries, MaterialRepository, SegmentLeads
from leads.distribution_repository import DistributionRepository
from leads.events import to_envelope
from leads.follow_up_repository import CustomerLeads, FollowUps, Reminders, Timeline
from leads.follow_ups import timeline_entries
from leads.import_jobs import ImportQueue
from leads.repository import (
    Claimants,
    LeadRepository,
    MarketRepository,
    OwnershipHistory,
    PoolRepository,
    Reveals,
)
from leads.recycling_repository import RecycleStates
from leads.search_repository import ImportJobs, LeadRows, LeadSearch, MatchKeys


class LeadsUnitOfWork(UnitOfWork):
    audit_trail = LEADS_AUDIT

    def __enter__(self):
        super().__enter__()
        self.leads = LeadRepository(self.session)
        self.pools = PoolRepository(self.session)
        self.markets = MarketRepository(self.session)
        self.history = OwnershipHistory(self.session)
        self.reveals = Reveals(self.session)
        self.claimants = Claimants(self.session)
        self.campaigns = CampaignRepository(self.session)
        self.materials = MaterialRepository(self.session)
        self.deliveries = Deliveries(self.session)
        self.segment_leads = SegmentLeads(self.session)
        self.follow_ups = FollowUps(self.session)
        self.timeline = Timeline(self.session)
        self.reminders = Reminders(self.session)
        self.customer_leads = CustomerLeads(self.session)
        self.search = LeadSearch(self.session)
        self.match_keys = MatchKeys(self.session)
        self.lead_rows = LeadRows(self.session)
        self.imports = ImportJobs(self.session)
        self.import_queue = ImportQueue(self.session)
        self.recycling = RecycleStates(self.session)
        self.distribution = DistributionRepository(self.session)
        return self

    def commit(self) -> None:
        # Every change of hands a lead recorded is kept, in the same transaction as the change.
        for lead in self.leads.seen.values():
            self.history.add(lead.ownership_changes)
            lead.ownership_changes.clear()
        # Every event about a lead that this transaction publishes is also a line of the lead's timeline.
        for envelope in self.collect_new_events():
            self.emit(envelope)
        self.timeline.add(timeline_entries(self._pending))
        super().commit()

    def collect_new_events(self):
        envelopes = []
        for lead in self.leads.seen.values():
            envelopes.extend(to_envelope(event) for event in lead.events)
            lead.events.clear()
        return envelopes
