"""Failed logins are limited per username and per client address, in the database every gateway process shares."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from gateway.login_throttle import login_throttles

LOGIN = "/api/v1/auth/login"
LIMIT = 10
ADDRESS_LIMIT = 100
WINDOW_SECONDS = 15 * 60


def attempt(client, username: str, password: str = "wrong", address: str = "192.0.2.1", **headers):
    return client.post(LOGIN, json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def fail(client, username: str, times: int, address: str = "192.0.2.1") -> None:
    for number in range(times):
        response = attempt(client, username, address=address)
        assert response.status_code == 401, (number, response.get_json())


def assert_throttled(response) -> int:
    assert response.status_code == 429, response.get_json()
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == "rate_limited" and body["status"] == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= WINDOW_SECONDS
    assert body["errors"] == {"retry_after": retry_after}
    assert f"{retry_after} seconds" in body["message"]
    return retry_after


def test_ten_failed_logins_lock_the_username_even_against_the_right_password(client, add_user):
    add_user("rep1")
    fail(client, "rep1", LIMIT)
    assert_throttled(attempt(client, "rep1", "correct horse"))
    assert_throttled(attempt(client, "rep1"))


def test_nine_failed_logins_still_let_the_right_password_in(client, add_user):
    add_user("rep1")
    fail(client, "rep1", LIMIT - 1)
    assert attempt(client, "rep1", "correct horse").status_code == 200


def test_the_username_count_holds_whatever_address_the_guesses_come_from(client, add_user):
    add_user("rep1")
    add_user("rep2")
    for number in range(LIMIT):
        fail(client, "REP1 ", 1, address=f"198.51.100.{number}")
    assert_throttled(attempt(client, "rep1", "correct horse", address="203.0.113.9"))
    assert attempt(client, "rep2", "correct horse", address="203.0.113.9").status_code == 200


def test_the_address_count_holds_whatever_usernames_it_tries(client, add_user):
    add_user("rep1")
    for number in range(ADDRESS_LIMIT):
        fail(client, f"guess{number}", 1, address="192.0.2.50")
    assert_throttled(attempt(client, "rep1", "correct horse", address="192.0.2.50"))
    assert attempt(client, "rep1", "correct horse", address="192.0.2.51").status_code == 200


def test_a_forwarded_for_header_does_not_change_the_address_counted(client, add_user):
    add_user("rep1")
    for number in range(ADDRESS_LIMIT):
        response = attempt(client, f"guess{number}", address="192.0.2.60", **{"X-Forwarded-For": f"10.0.0.{number}"})
        assert response.status_code == 401
    assert_throttled(attempt(client, "rep1", "correct horse", address="192.0.2.60", **{"X-Forwarded-For": "10.9.9.9"}))


def test_an_office_behind_one_address_is_not_locked_out_by_its_peoples_typing_mistakes(client, add_user):
    people = [f"clerk{number}" for number in range(3 * LIMIT)]
    for person in people:
        add_user(person)
        fail(client, person, 1, address="192.0.2.80")
    for person in people:
        assert attempt(client, person, "correct horse", address="192.0.2.80").status_code == 200


def test_a_successful_login_forgets_the_usernames_failures_but_not_the_addresss(make_gateway, add_user):
    client = make_gateway(CRM_LOGIN_ADDRESS_FAILURE_LIMIT=str(LIMIT)).test_client()
    add_user("rep1")
    fail(client, "rep1", LIMIT - 1, address="192.0.2.70")
    assert attempt(client, "rep1", "correct horse", address="192.0.2.71").status_code == 200
    fail(client, "rep1", LIMIT, address="192.0.2.72")
    assert_throttled(attempt(client, "rep1", address="192.0.2.72"))
    # The first address still has its nine failures: one more is allowed, then it is refused too.
    fail(client, "nobody", 1, address="192.0.2.70")
    assert_throttled(attempt(client, "nobody-else", address="192.0.2.70"))


def test_a_disabled_accounts_right_password_is_not_counted_as_a_failure(client, add_user, uow_factory):
    from gateway import accounts

    user = add_user("rep1")
    accounts.change_user(uow_factory, user.id, active=False)
    for _ in range(LIMIT + 2):
        assert attempt(client, "rep1", "correct horse").status_code == 403


def test_logins_are_allowed_again_once_the_window_has_passed(client, add_user, uow_factory):
    add_user("rep1")
    fail(client, "rep1", LIMIT)
    retry_after = assert_throttled(attempt(client, "rep1", "correct horse"))
    assert retry_after > WINDOW_SECONDS - 60
    with uow_factory() as uow:
        windows = uow.session.execute(select(login_throttles.c.key, login_throttles.c.window_started_at)).all()
        assert len(windows) == 2  # the username's count and the address's
        for key, started in windows:
            uow.session.execute(update(login_throttles).where(login_throttles.c.key == key)
                                .values(window_started_at=started - timedelta(seconds=WINDOW_SECONDS)))
        uow.commit()
    assert attempt(client, "rep1", "correct horse").status_code == 200


def test_the_limit_and_window_come_from_the_settings(make_gateway, add_user):
    add_user("rep1")
    client = make_gateway(CRM_LOGIN_FAILURE_LIMIT="3", CRM_LOGIN_FAILURE_WINDOW_SECONDS="60").test_client()
    fail(client, "rep1", 3)
    response = attempt(client, "rep1", "correct horse")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60

    client = make_gateway(CRM_LOGIN_ADDRESS_FAILURE_LIMIT="4").test_client()
    for number in range(4):
        fail(client, f"guess{number}", 1, address="192.0.2.90")
    assert attempt(client, "rep1", "correct horse", address="192.0.2.90").status_code == 429


def test_two_gateway_processes_share_one_count(make_gateway, add_user):
    add_user("rep1")
    first, second = make_gateway().test_client(), make_gateway().test_client()
    fail(first, "rep1", LIMIT // 2)
    fail(second, "rep1", LIMIT - LIMIT // 2)
    assert_throttled(attempt(first, "rep1", "correct horse"))
    assert_throttled(attempt(second, "rep1", "correct horse"))


def test_simultaneous_guesses_get_no_more_than_the_limit_through(make_gateway, add_user, settings):
    if make_url(settings.common.database_url).get_backend_name() != "postgresql":
        pytest.skip("row locks are checked on PostgreSQL only (set CRM_TEST_DATABASE_URL)")
    add_user("rep1")
    app = make_gateway()
    guesses = 3 * LIMIT
    start = threading.Barrier(guesses)
    statuses = []

    def guess(number: int) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(attempt(client, "rep1", f"wrong {number}", address=f"198.51.100.{number}").status_code)

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * LIMIT + [429] * (guesses - LIMIT)
