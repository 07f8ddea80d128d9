"""Use cases of the product catalogue: everyone reads it, managers and admins keep it (version-checked edits)."""
from __future__ import annotations

from crm_shared.envelope import utc_now
from crm_shared.errors import Conflict, NotFound
from crm_shared.versioning import check_version, stale_write_refused
from sales.catalogue import Product
from sales.uow import UowFactory


def list_products(uow_factory: UowFactory, active_only: bool, limit: int, offset: int) -> tuple[list[Product], int]:
    with uow_factory() as uow:
        return uow.products.list(active_only, limit, offset)


def get_product(uow_factory: UowFactory, product_id: str) -> Product:
    with uow_factory() as uow:
        product = uow.products.get(product_id)
        if product is None:
            raise NotFound("product", product_id)
        return product


def add_product(uow_factory: UowFactory, fields: dict) -> Product:
    """A new product on sale; its sku is unique."""
    with uow_factory() as uow:
        if uow.products.by_sku(fields["sku"]) is not None:
            raise Conflict("sku_taken", f"A product with sku {fields['sku']} exists already.")
        product = Product.new(fields["sku"], fields["name"], fields["unit_price"], fields["currency"], utc_now())
        uow.products.add(product)
        # The catalogue publishes no events; the audit log keeps who priced what.
        uow.audit_change("product", product.id, "created", fields)
        uow.commit()
        return product


def edit_product(uow_factory: UowFactory, product_id: str, changes: dict, expected_version: int) -> Product:
    """Rename, reprice or withdraw a product; lines already on deals keep the price they were sold at."""
    with stale_write_refused("product"), uow_factory() as uow:
        product = uow.products.get(product_id)
        if product is None:
            raise NotFound("product", product_id)
        check_version("product", expected_version, product.version)
        product.edit(changes)
        uow.audit_change("product", product.id, "updated", changes)
        uow.commit()
        return product
