"""Demo users, the first administrator, and the worker's handlers and pruning."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crm_shared.db import make_engine
from crm_shared.envelope import utc_now
from crm_shared.testing import contract, contract_with
from gateway import create_admin, seed_demo
from gateway.db import live_events
from gateway.handlers import HANDLERS
from gateway.live import store
from gateway.worker import prune_job


def test_demo_users_are_created_once_with_the_demo_password(make_settings, client, poll):
    settings = make_settings(CRM_DEMO="1", CRM_DEMO_PASSWORD="let-me-in")
    assert seed_demo.run(settings) == ["admin", "manager", "rep1", "rep2", "agent1"]
    assert seed_demo.run(settings) == []
    response = client.post("/api/v1/auth/login", json={"username": "rep2", "password": "let-me-in"})
    assert response.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + response.get_json()["access_token"]}).get_json()
    assert me["roles"] == ["sales_rep"]
    assert [team["name"] for team in me["teams"]] == ["East"]
    assert me["id"] == seed_demo.demo_user_id("rep2")
    assert client.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"}).status_code == 401


def test_demo_users_need_demo_mode(monkeypatch, tmp_path, migrated):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_GATEWAY_DATABASE_URL", migrated)
    monkeypatch.delenv("CRM_DEMO", raising=False)
    with pytest.raises(SystemExit) as stopped:
        seed_demo.main()
    assert "CRM_DEMO=1" in str(stopped.value)


def test_create_admin_makes_an_administrator_from_the_environment_password(monkeypatch, tmp_path, migrated, client, capsys):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_GATEWAY_DATABASE_URL", migrated)
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", "a long secret")
    create_admin.main(["--username", "Chief", "--display-name", "The Chief"])
    assert "Created administrator chief" in capsys.readouterr().out
    response = client.post("/api/v1/auth/login", json={"username": "chief", "password": "a long secret"})
    assert response.status_code == 200
    with pytest.raises(SystemExit) as again:
        create_admin.main(["--username", "chief"])
    assert "already a user named chief" in str(again.value)


def test_create_admin_refuses_a_short_password_or_two_that_differ():
    with pytest.raises(SystemExit, match="at least 8"):
        create_admin.read_password({"CRM_ADMIN_PASSWORD": "short"})
    answers = iter(["first password", "second password"])
    with pytest.raises(SystemExit, match="differ"):
        create_admin.read_password({}, prompt=lambda _: next(answers), interactive=True)


def test_each_live_event_is_recorded_once_whatever_the_redeliveries(uow_factory):
    for name in HANDLERS:
        envelope = contract(name)
        for _ in range(2):
            with uow_factory() as uow:
                HANDLERS[name](envelope, uow)
                uow.commit()
    with uow_factory() as uow:
        rows = uow.session.execute(select(live_events.c.event_id, live_events.c.name).order_by(live_events.c.position)).all()
    assert [row.name for row in rows] == list(HANDLERS)
    assert [row.event_id for row in rows] == [contract(name).id for name in HANDLERS]


def test_the_prune_job_forgets_live_events_older_than_an_hour(uow_factory, settings):
    old, recent = contract_with("leads.lead.created.v1"), contract_with("leads.lead.created.v1")
    with uow_factory() as uow:
        store.append(uow.session, old)
        store.append(uow.session, recent)
        uow.session.execute(
            update(live_events).where(live_events.c.event_id == old.id).values(created_at=utc_now() - timedelta(minutes=70))
        )
        uow.commit()
    engine = make_engine(settings.common.database_url)
    prune_job(engine).run(utc_now())
    engine.dispose()
    with uow_factory() as uow:
        assert uow.session.execute(select(live_events.c.event_id)).scalars().all() == [recent.id]
