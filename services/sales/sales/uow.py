"""The sales unit of work: one transaction with the repositories, the ownership history and the outbox."""
from typing import Callable

from crm_shared.directory import Directory
from crm_shared.uow import UnitOfWork
from sales.audit_trail import SALES_AUDIT
from sales.contract_journal import ContractAmendments, ContractJournal
from sales.deal_events import deal_envelope
from sales.deal_repository import ApprovalRepository, ContractRepository, OrderRepository
from sales.db_customers_pipeline import directory
from sales.events import to_envelope
from sales.money_events import money_envelope
from sales.money_repository import InstallmentRepository, InvoiceRepository, PaymentRepository, RefundRepository
from sales.people_repository import CustomerContacts, CustomerLevels, CustomerTeams
from sales.permissions import Permissions
from sales.pipeline_repository import Board, OpportunityLines, Products, StageHistory, Stages
from sales.repository import CustomerRepository, OpportunityRepository, OwnershipHistory
from sales.target_events import target_envelope
from sales.target_repository import Departments, ExpenseRepository, TargetRepository
from sales.follow_up_repository import FollowUps
from sales.timeline import CustomerTimeline


class SalesUnitOfWork(UnitOfWork):
    audit_trail = SALES_AUDIT

    def __enter__(self):
        super().__enter__()
        self.customers = CustomerRepository(self.session)
        self.opportunities = OpportunityRepository(self.session)
        self.history = OwnershipHistory(self.session)
        self.orders = OrderRepository(self.session)
        self.contracts = ContractRepository(self.session)
        self.approvals = ApprovalRepository(self.session)
        self.directory = Directory(self.session, directory)
        self.permissions = Permissions(self.session, self.directory)
        self.contacts = CustomerContacts(self.session)
        self.teams = CustomerTeams(self.session)
        self.levels = CustomerLevels(self.session)
        self.stages = Stages(self.session)
        self.stage_history = StageHistory(self.session)
        self.products = Products(self.session)
        self.lines = OpportunityLines(self.session)
        self.board = Board(self.session)
        self.installments = InstallmentRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.invoices = InvoiceRepository(self.session)
        self.refunds = RefundRepository(self.session)
        self.targets = TargetRepository(self.session)
        self.expenses = ExpenseRepository(self.session)
        self.departments = Departments(self.session)
        self.follow_ups = FollowUps(self.session)
        self.timeline = CustomerTimeline(self.session)
        self.amendments = ContractAmendments(self.session)
        self.contract_journal = ContractJournal(self.session)
        return self

    def commit(self) -> None:
        # Every change of hands a customer recorded is kept, in the same transaction as the change.
        for customer in self.customers.seen.values():
            self.history.add(customer.ownership_changes)
            customer.ownership_changes.clear()
        # And every stage an opportunity moved through.
        for opportunity in self.opportunities.seen.values():
            self.stage_history.add(opportunity.stage_changes)
            opportunity.stage_changes.clear()
        # Every event about a contract is also its journal (GET /contracts/{id}/history and the customer's
        # timeline), in the same transaction.
        envelopes = self.collect_new_events()
        self.contract_journal.record(envelopes)
        for envelope in envelopes:
            self.emit(envelope)
        super().commit()

    def collect_new_events(self):
        envelopes = []
        for aggregate in [*self.customers.seen.values(), *self.opportunities.seen.values()]:
            envelopes.extend(to_envelope(event) for event in aggregate.events)
            aggregate.events.clear()
        for aggregate in [*self.orders.seen.values(), *self.contracts.seen.values()]:
            envelopes.extend(deal_envelope(event) for event in aggregate.events)
            aggregate.events.clear()
        for aggregate in [*self.installments.seen.values(), *self.payments.seen.values(),
                          *self.invoices.seen.values(), *self.refunds.seen.values()]:
            envelopes.extend(money_envelope(event) for event in aggregate.events)
            aggregate.events.clear()
        for aggregate in [*self.targets.seen.values(), *self.expenses.seen.values()]:
            envelopes.extend(target_envelope(event) for event in aggregate.events)
            aggregate.events.clear()
        return envelopes


# What every use case takes: a fresh unit of work per call.
UowFactory = Callable[[], SalesUnitOfWork]
