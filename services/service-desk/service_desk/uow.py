"""The service-desk unit of work: one transaction with the tickets, the customer replica and the outbox."""
from crm_shared.directory import Directory
from crm_shared.rate_limit import RateLimiter
from crm_shared.uow import UnitOfWork
from service_desk.audit_trail import SERVICE_DESK_AUDIT
from service_desk.db import public_rate_limits
from service_desk.db_workflow import directory
from service_desk.events import to_envelope
from service_desk.ticket_events import NAMES_THE_OWNER
from service_desk.kb_repository import Articles, ArticleSearch, Categories, Solutions, Votes
from service_desk.repository import (
    KnownCustomerRepository,
    TicketHistoryRepository,
    TicketMessageRepository,
    TicketNumbers,
    TicketRepository,
)
from service_desk.return_visit_repository import ReturnVisitRepository
from service_desk.sla_repository import SlaRepository
from service_desk.workflow_repository import WorkflowRepository


class ServiceDeskUnitOfWork(UnitOfWork):
    audit_trail = SERVICE_DESK_AUDIT

    def __enter__(self):
        super().__enter__()
        self.customers = KnownCustomerRepository(self.session)
        self.tickets = TicketRepository(self.session)
        self.sla = SlaRepository(self.session)
        self.ticket_history = TicketHistoryRepository(self.session)
        self.ticket_messages = TicketMessageRepository(self.session)
        self.ticket_numbers = TicketNumbers(self.session)
        self.return_visits = ReturnVisitRepository(self.session)
        self.public_rate_limits = RateLimiter(self.session, public_rate_limits)
        self.kb_categories = Categories(self.session)
        self.kb_articles = Articles(self.session)
        self.kb_search = ArticleSearch(self.session)
        self.kb_votes = Votes(self.session)
        self.solutions = Solutions(self.session)
        self.workflow = WorkflowRepository(self.session)
        self.directory = Directory(self.session, directory)
        return self

    def emit(self, envelope):
        """Queue an event; one about a ticket that names its customer's owner gets the owner from the replica."""
        if envelope.name in NAMES_THE_OWNER:
            ticket = self.tickets.get(envelope.payload["ticket_id"])
            envelope.payload["customer_owner_id"] = self._owner_of_customer(ticket.customer_id if ticket else None)
        super().emit(envelope)

    def commit(self):
        # The history rows the tickets recorded go into the same transaction as the change itself.
        self.ticket_history.record_pending()
        super().commit()

    def collect_new_events(self):
        envelopes = []
        for ticket in self.tickets.seen.values():
            owner = _Lazy(lambda ticket=ticket: self._owner_of_customer(ticket.customer_id))
            for event in ticket.events:
                envelope = to_envelope(event)
                if envelope.name in NAMES_THE_OWNER:
                    envelope.payload["customer_owner_id"] = owner.value
                envelopes.append(envelope)
            ticket.events.clear()
        for visit in self.return_visits.seen.values():
            envelopes.extend(to_envelope(event) for event in visit.events)
            visit.events.clear()
        return envelopes

    def _owner_of_customer(self, customer_id: str | None) -> str | None:
        customer = self.customers.get(customer_id) if customer_id else None
        return customer.owner_id if customer is not None else None


class _Lazy:
    """A value computed on first use: a ticket's owner is looked up only if one of its events names it."""

    def __init__(self, compute):
        self._compute, self._done, self._value = compute, False, None

    @property
    def value(self):
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value
