"""What the concurrency tests share: the running system on PostgreSQL, its URLs, and users made for the test."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from crm_shared import testing

PASSWORD = "race-test-password"


def expect(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    return response.json()


@pytest.fixture(scope="session")
def system_on_postgresql(running_system):
    """The whole system, which must run on PostgreSQL: races on SQLite's single writer prove nothing."""
    if testing.postgres_server_url() is None:
        pytest.skip("the concurrency tests need PostgreSQL (CRM_TEST_DATABASE_URL)")
    return running_system


@pytest.fixture(scope="session")
def admin(system_on_postgresql) -> dict[str, str]:
    return system_on_postgresql.login("admin")


@pytest.fixture(scope="session")
def service_api(system_on_postgresql):
    """A service's own API address: the gunicorn process the Procfile starts, without the gateway hop."""
    def url(service: str) -> str:
        return system_on_postgresql.env[f"CRM_{service.upper().replace('-', '_')}_URL"] + "/api/v1"
    return url


@pytest.fixture(scope="session")
def create_users(system_on_postgresql, admin):
    """Make `count` users with `roles` as the administrator and log each in: [(user id, Authorization header)]."""
    api = system_on_postgresql.gateway_url + "/api/v1"

    def create_many(prefix: str, count: int, roles: list[str]) -> list[tuple[str, dict]]:
        run = uuid.uuid4().hex[:6]

        def create(number: int) -> tuple[str, dict]:
            username = f"{prefix}-{run}-{number:02d}"
            user = expect(requests.post(f"{api}/users", headers=admin, timeout=30, json={
                "username": username, "password": PASSWORD, "display_name": username, "roles": roles}), 201)
            return user["id"], system_on_postgresql.login(username, PASSWORD)

        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(create, range(count)))

    return create_many
