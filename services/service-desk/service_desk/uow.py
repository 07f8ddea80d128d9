"""The service-desk unit of work: one transaction with the tickets, the customer replica and the outbox."""
from crm_shared.uow import UnitOfWork
from service_desk.events import to_envelope
from service_desk.repository import KnownCustomerRepository, TicketRepository


class ServiceDeskUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.customers = KnownCustomerRepository(self.session)
        self.tickets = TicketRepository(self.session)
        return self

    def collect_new_events(self):
        envelopes = []
        for ticket in self.tickets.seen.values():
            envelopes.extend(to_envelope(event) for event in ticket.events)
            ticket.events.clear()
        return envelopes
