"""Who is who, from the gateway's user events: the directory copy (roles, teams) and team names."""
from __future__ import annotations

from sqlalchemy.orm import Session

from crm_shared.directory import Directory, keep_user_in_directory
from crm_shared.envelope import Envelope
from reporting import events
from reporting.db import directory, directory_team_names
from reporting.projections.base import Projection
from reporting.projections.facts import text, upsert_fact


def user_changed(envelope: Envelope, session: Session) -> None:
    # The shared directory ignores an older event arriving late, as every read model here does.
    keep_user_in_directory(envelope, Directory(session, directory))
    for team in envelope.payload.get("teams") or []:
        if isinstance(team, dict) and team.get("id") and team.get("name"):
            upsert_fact(
                session, directory_team_names, {"team_id": team["id"]}, envelope.occurred,
                first={"name": text(team["name"], 200)},
            )


PROJECTION = Projection(
    name="people",
    tables=(directory.user_teams, directory.users, directory_team_names),
    handlers={events.USER_REGISTERED: user_changed, events.USER_CHANGED: user_changed},
)
