"""The gateway unit of work: one transaction with the user repository (and the live events table)."""
from crm_shared.uow import UnitOfWork
from gateway.repository import UserRepository


class GatewayUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.users = UserRepository(self.session)
        return self
