"""The gateway unit of work: one transaction with the user repository (and the live events table)."""
from crm_shared.audit import AuditTrail
from crm_shared.uow import UnitOfWork
from gateway.db import audit_log
from gateway.repository import UserRepository


class GatewayUnitOfWork(UnitOfWork):
    # `gateway.user.*` events are the users' trail; teams, made implicitly, get direct rows (gateway/accounts.py).
    audit_trail = AuditTrail(table=audit_log)

    def __enter__(self):
        super().__enter__()
        self.users = UserRepository(self.session)
        return self
