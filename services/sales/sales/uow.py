"""The sales unit of work: one transaction with the customer repository and the outbox."""
from crm_shared.uow import UnitOfWork
from sales.events import to_envelope
from sales.repository import CustomerRepository


class SalesUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.customers = CustomerRepository(self.session)
        return self

    def collect_new_events(self):
        envelopes = []
        for customer in self.customers.seen.values():
            envelopes.extend(to_envelope(event) for event in customer.events)
            customer.events.clear()
        return envelopes
