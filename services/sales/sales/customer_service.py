"""Use cases of a customer's record: direct creation, edits, contacts and team members; each write is version-checked."""
from __future__ import annotations

from datetime import datetime

from crm_shared.auth import ADMIN, SALES_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError
from crm_shared.versioning import check_version, stale_write_refused
from sales.contacts import Contact, TeamMember, checked_contacts, primary_of
from sales.domain import Customer, CustomerProfile, SalesRuleViolation
from sales.events import CustomerUpdated
from sales.permissions import editable_customer
from sales.uow import SalesUnitOfWork, UowFactory

# Who may create a customer for another rep, and manage who else works on a customer.
CHOOSES_OWNER = (ADMIN, SALES_MANAGER)


def _check_level(uow: SalesUnitOfWork, level: str | None) -> None:
    if level is not None and level not in uow.levels.keys():
        raise SalesRuleViolation("unknown_level", f"No customer level {level!r}; the levels are "
                                 f"{', '.join(uow.levels.keys())}.", {"level": ["Not a configured level."]})


def with_people(uow: SalesUnitOfWork, customer: Customer) -> Customer:
    """The customer with its contacts and team members read, for display."""
    customer.contacts = uow.contacts.of_customer(customer.id)
    customer.team_members = uow.teams.of_customer(customer.id)
    return customer


def create_customer(uow_factory: UowFactory, fields: dict, creator: Identity) -> Customer:
    """A customer entered directly: the creator owns it, unless a manager or admin names another owner."""
    owner_id = fields.get("owner_id") or creator.user_id
    if owner_id != creator.user_id and not creator.has_any(*CHOOSES_OWNER):
        raise SalesRuleViolation("owner_not_allowed", "A rep creates customers for themselves; only managers and "
                                 "admins choose another owner.", {"owner_id": ["Not yours to choose."]})
    # A new customer's contacts are new: ids a client sends are not theirs to choose.
    contacts = checked_contacts([Contact.new(**{**c, "contact_id": None}) for c in fields.get("contacts", [])])
    profile = CustomerProfile(name=fields["name"], channel=fields["channel"], level=fields.get("level"),
                              region=fields.get("region"), industry=fields.get("industry"))
    with uow_factory() as uow:
        _check_level(uow, profile.level)
        customer = Customer.create(profile, owner_id, creator.user_id, utc_now(), primary_of(contacts))
        uow.customers.add(customer)
        uow.contacts.replace(customer.id, contacts)
        uow.commit()
        return with_people(uow, customer)


def edit_customer(uow_factory: UowFactory, customer_id: str, changes: dict, expected_version: int,
                  editor: Identity) -> Customer:
    """Change the customer's descriptive fields, if nobody changed it since the editor read `expected_version`."""
    now = utc_now()
    with stale_write_refused("customer"), uow_factory() as uow:
        customer = editable_customer(uow, customer_id, editor, now)
        check_version("customer", expected_version, customer.version)
        _check_level(uow, changes.get("level"))
        customer.edit(changes, editor.user_id, now)
        customer.events.append(CustomerUpdated(customer, sorted(changes), editor.user_id, now))
        uow.commit()
        return with_people(uow, customer)


def replace_contacts(uow_factory: UowFactory, customer_id: str, contacts: list[dict], expected_version: int,
                     editor: Identity) -> Customer:
    """The customer's contacts become the given list (exactly one primary); a contact keeps its id if sent back."""
    now = utc_now()
    with stale_write_refused("customer"), uow_factory() as uow:
        customer = editable_customer(uow, customer_id, editor, now)
        check_version("customer", expected_version, customer.version)
        # Only this customer's own contact ids are kept; any other id (another customer's) gets a new one.
        own = {contact.id for contact in uow.contacts.of_customer(customer.id)}
        checked = checked_contacts([
            Contact.new(**{**c, "contact_id": c.get("contact_id") if c.get("contact_id") in own else None})
            for c in contacts
        ])
        customer.contacts_replaced(primary_of(checked), editor.user_id, now)
        customer.events.append(CustomerUpdated(customer, ["contacts"], editor.user_id, now))
        uow.contacts.replace(customer.id, checked)
        uow.commit()
        return with_people(uow, customer)


def _may_manage_team(customer: Customer, manager: Identity) -> None:
    # Editing members work on the customer; who else may is the owner's (or their manager's) call.
    if customer.owner_id != manager.user_id and not manager.has_any(*CHOOSES_OWNER):
        raise SalesRuleViolation("not_team_manager", "Only the customer's owner, a sales manager or an admin "
                                 "chooses who else works on it.")


def put_team_member(uow_factory: UowFactory, customer_id: str, user_id: str, access: str,
                    expires_at: datetime | None, expected_version: int, manager: Identity) -> Customer:
    """Give `user_id` read or edit access to the customer (until `expires_at`), or change what they have."""
    now = utc_now()
    with stale_write_refused("customer"), uow_factory() as uow:
        customer = editable_customer(uow, customer_id, manager, now)
        _may_manage_team(customer, manager)
        check_version("customer", expected_version, customer.version)
        if user_id == customer.owner_id:
            raise APIError(422, "validation_failed", "The owner has every access already.",
                           {"user_id": ["This is the customer's owner."]})
        if expires_at is not None and expires_at <= now:
            raise APIError(422, "validation_failed", "An expiry lies in the future.",
                           {"expires_at": ["Must be in the future."]})
        customer.touch(manager.user_id, now)
        uow.teams.put(TeamMember(customer.id, user_id, access, manager.user_id, now, expires_at))
        # Who may see the customer changed, and no event says so: the audit log does.
        uow.audit_change("customer", customer.id, "team_member_granted",
                         {"user_id": user_id, "access": access, "expires_at": expires_at})
        uow.commit()
        return with_people(uow, customer)


def remove_team_member(uow_factory: UowFactory, customer_id: str, user_id: str, expected_version: int,
                       manager: Identity) -> Customer:
    now = utc_now()
    with stale_write_refused("customer"), uow_factory() as uow:
        customer = editable_customer(uow, customer_id, manager, now)
        _may_manage_team(customer, manager)
        check_version("customer", expected_version, customer.version)
        customer.touch(manager.user_id, now)
        uow.teams.remove(customer.id, user_id)
        uow.audit_change("customer", customer.id, "team_member_removed", {"user_id": user_id})
        uow.commit()
        return with_people(uow, customer)


def customer_levels(uow_factory: UowFactory) -> list[dict]:
    with uow_factory() as uow:
        return uow.levels.all()


def configure_levels(uow_factory: UowFactory, levels: list[dict]) -> list[dict]:
    """Replace the customer levels, in order; a level some customer has cannot go."""
    keys = [level["key"] for level in levels]
    if len(set(keys)) != len(keys):
        raise APIError(422, "validation_failed", "Each level key appears once.", {"levels": ["Duplicate key."]})
    with uow_factory() as uow:
        in_use = uow.levels.in_use(set(uow.levels.keys()) - set(keys))
        if in_use:
            raise APIError(409, "level_in_use", f"Customers still have the levels {', '.join(in_use)}: give them "
                           "another level before removing these.", {"levels": in_use})
        uow.levels.replace(levels)
        uow.audit_change("customer_levels", "all", "replaced", {"levels": levels})
        uow.commit()
        return uow.levels.all()
