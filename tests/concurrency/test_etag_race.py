"""Two people save the same customer at the same moment with the same ETag: one edit wins, the other gets 412."""
from __future__ import annotations

import threading
import uuid

import pytest
import requests

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]

EDITS = 500


def expect(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    return response.json()


def changes_of(client: str, edit: int) -> dict:
    return {"name": f"Race {client} {edit}", "region": f"{client} region {edit}", "industry": f"{client} {edit}"}


@pytest.mark.timeout(240)
def test_of_two_simultaneous_edits_with_the_same_etag_exactly_one_wins_every_time(system_on_postgresql, admin):
    api = system_on_postgresql.gateway_url + "/api/v1"
    editors = {"owner": system_on_postgresql.login("rep1"), "admin": admin}
    customer = expect(requests.post(f"{api}/customers", headers=editors["owner"], timeout=30,
                                    json={"name": f"Race {uuid.uuid4().hex[:6]}"}), 201)
    url = f"{api}/customers/{customer['id']}"
    sessions = {name: requests.Session() for name in editors}
    for name, session in sessions.items():
        session.headers.update(editors[name])
    start = threading.Barrier(len(editors))
    expected = None  # what the last winner saved, and the ETag it was given
    wins = {name: 0 for name in editors}

    for edit in range(EDITS):
        answers = {}

        def read_then_save(name: str) -> None:
            session = sessions[name]
            read = session.get(url, timeout=30)
            answers[name] = {"read": read}
            start.wait()  # both have read the same version; now both save it
            answers[name]["saved"] = session.patch(url, json=changes_of(name, edit), timeout=30,
                                                   headers={"If-Match": read.headers["ETag"]})

        threads = [threading.Thread(target=read_then_save, args=(name,)) for name in editors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == len(editors) and all("saved" in a for a in answers.values()), f"edit {edit}: {answers}"

        etags = {answer["read"].headers["ETag"] for answer in answers.values()}
        assert len(etags) == 1, f"edit {edit}: the two reads saw different versions {etags}"
        (read_etag,) = etags
        if expected is not None:
            # What both read is exactly what the previous winner saved, under the ETag it was given.
            assert read_etag == expected["etag"], f"edit {edit}"
            for answer in answers.values():
                read = answer["read"].json()
                assert {field: read[field] for field in expected["values"]} == expected["values"], f"edit {edit}"
        statuses = {name: answer["saved"].status_code for name, answer in answers.items()}
        assert sorted(statuses.values()) == [200, 412], f"edit {edit}: {statuses}"
        winner = next(name for name, status in statuses.items() if status == 200)
        loser = next(name for name in statuses if name != winner)
        refusal = answers[loser]["saved"].json()
        assert refusal["code"] == "version_mismatch" and refusal["status"] == 412, refusal
        saved = answers[winner]["saved"]
        assert saved.headers["ETag"] != read_etag
        expected = {"values": changes_of(winner, edit), "etag": saved.headers["ETag"]}
        wins[winner] += 1

    final = requests.get(url, headers=editors["owner"], timeout=30)
    assert final.headers["ETag"] == expected["etag"]
    assert {field: final.json()[field] for field in expected["values"]} == expected["values"]
    assert final.json()["version"] == customer["version"] + EDITS
    assert sum(wins.values()) == EDITS
    print(f"{EDITS} simultaneous edit pairs: wins {wins}")
