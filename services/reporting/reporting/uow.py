"""The reporting unit of work: one transaction with the event archive and the read models."""
from crm_shared.uow import UnitOfWork
from reporting.repository import EventArchive


class ReportingUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.archive = EventArchive(self.session)
        return self
