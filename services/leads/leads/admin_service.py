"""The use cases of pool and market administration: the only place that commits them."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, Conflict, Forbidden, NotFound
from leads.distribution_rules import InvalidDistributionRule
from leads.markets import Market, MarketConditions
from leads.pools import LEAD_POOL, Pool, PoolRules, PoolScope
from leads.service import member_of
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]
# Pool admins may change their pool's rules; everything else about a pool is for admins and sales managers.
RULE_FIELDS = {"rules"}


def list_pools(uow_factory: UowFactory, viewer: Identity) -> list[Pool]:
    """Every pool for managers; the pools a rep belongs to or administers for anyone else."""
    with uow_factory() as uow:
        member = member_of(uow, viewer)
        return [pool for pool in uow.pools.all() if pool.admits(member)]


def get_pool(uow_factory: UowFactory, pool_id: str, viewer: Identity) -> Pool:
    with uow_factory() as uow:
        pool = uow.pools.get(pool_id)
        if pool is None or not pool.admits(member_of(uow, viewer)):
            raise NotFound("pool", pool_id)
        return pool


def create_pool(uow_factory: UowFactory, fields: dict) -> Pool:
    with uow_factory() as uow:
        pool = Pool.new(
            name=fields["name"], kind=fields["kind"], now=utc_now(), enabled=fields.get("enabled", True),
            admin_ids=fields.get("admin_ids", ()), scope=PoolScope.from_dict(fields.get("scope", {})),
            rules=PoolRules.from_dict(fields.get("rules", {})),
        )
        _check_distribution_fits(pool)
        uow.pools.add(pool)
        # Pool and market configuration publish no events; the audit log keeps who set what.
        uow.audit_change("pool", pool.id, "created", fields)
        uow.commit()
        return pool


def update_pool(uow_factory: UowFactory, pool_id: str, changes: dict, editor: Identity) -> Pool:
    """Managers change anything but the kind; a pool's own admins change only its rules."""
    try:
        with uow_factory() as uow:
            pool = uow.pools.get(pool_id)
            member = member_of(uow, editor)
            if pool is None or not pool.admits(member):
                raise NotFound("pool", pool_id)
            if not member.is_manager and (not pool.is_admin(member) or set(changes) - RULE_FIELDS):
                raise Forbidden("Pool admins may change only the pool's rules.", code="not_a_pool_admin")
            if "rules" in changes:
                pool.rules = pool.rules.changed(**changes["rules"])
                _check_distribution_fits(pool)
            if "scope" in changes:
                pool.scope = PoolScope.from_dict({**pool.scope.to_dict(), **changes["scope"]})
            for name in ("name", "enabled"):
                if name in changes:
                    setattr(pool, name, changes[name])
            if "admin_ids" in changes:
                pool.admin_ids = sorted(set(changes["admin_ids"]))
            pool.updated_at = utc_now()
            uow.audit_change("pool", pool.id, "updated", changes)
            uow.commit()
            return pool
    except StaleDataError as error:
        raise Conflict("pool_changed", "Someone else changed this pool meanwhile; reload and try again.") from error


def _check_distribution_fits(pool: Pool) -> None:
    """Only lead pools give new leads away; a public pool holds returned leads for reps to claim back."""
    rule = pool.rules.distribution
    if rule is not None and rule.distributes and pool.kind != LEAD_POOL:
        raise InvalidDistributionRule("strategy", "Only lead pools distribute new leads; a public pool's must be none.")


def delete_pool(uow_factory: UowFactory, pool_id: str) -> None:
    with uow_factory() as uow:
        pool = uow.pools.get(pool_id)
        if pool is None:
            raise NotFound("pool", pool_id)
        if pool.is_default:
            raise Conflict("default_pool_required", "The default pools cannot be deleted; there is always one of each.")
        if uow.leads.count_in_pool(pool_id):
            raise Conflict("pool_not_empty", "The pool still has leads; distribute or move them first.")
        uow.pools.delete(pool)
        uow.audit_change("pool", pool_id, "deleted", {"name": pool.name})
        uow.commit()


def list_markets(uow_factory: UowFactory) -> list[Market]:
    with uow_factory() as uow:
        return uow.markets.all()


def get_market(uow_factory: UowFactory, market_id: str) -> Market:
    with uow_factory() as uow:
        market = uow.markets.get(market_id)
        if market is None:
            raise NotFound("market", market_id)
        return market


def _name_taken(error: IntegrityError) -> APIError:
    return APIError(409, "market_name_taken", "Another market already has this name.", {"name": ["Already used."]})


def create_market(uow_factory: UowFactory, fields: dict) -> Market:
    try:
        with uow_factory() as uow:
            market = Market.new(
                name=fields["name"], now=utc_now(), conditions=MarketConditions.from_dict(fields.get("conditions", {})),
                user_ids=fields.get("user_ids"), team_ids=fields.get("team_ids"),
            )
            uow.markets.add(market)
            uow.audit_change("market", market.id, "created", fields)
            uow.commit()
            return market
    except IntegrityError as error:
        raise _name_taken(error) from error


def update_market(uow_factory: UowFactory, market_id: str, changes: dict) -> Market:
    try:
        with uow_factory() as uow:
            market = uow.markets.get(market_id)
            if market is None:
                raise NotFound("market", market_id)
            if "name" in changes:
                market.name = changes["name"]
            if "conditions" in changes:
                market.conditions = MarketConditions.from_dict({**market.conditions.to_dict(), **changes["conditions"]})
            if "user_ids" in changes or "team_ids" in changes:
                market.assign(changes.get("user_ids", market.user_ids), changes.get("team_ids", market.team_ids),
                              utc_now())
            market.updated_at = utc_now()
            uow.audit_change("market", market.id, "updated", changes)
            uow.commit()
            return market
    except IntegrityError as error:
        raise _name_taken(error) from error
    except StaleDataError as error:
        raise Conflict("market_changed", "Someone else changed this market meanwhile; reload and try again.") from error


def delete_market(uow_factory: UowFactory, market_id: str) -> None:
    with uow_factory() as uow:
        market = uow.markets.get(market_id)
        if market is None:
            raise NotFound("market", market_id)
        uow.markets.delete(market)
        uow.audit_change("market", market_id, "deleted", {"name": market.name})
        uow.commit()
