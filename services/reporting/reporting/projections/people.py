"""Who is who, from the gateway's user events: the directory copy (roles, teams) and team names."""
from __future__ import annotations

from crm_shared.directory import Directory, directory_entry
from crm_shared.envelope import Envelope
from reporting import events
from reporting.db import directory, directory_team_names
from reporting.projections.base import Projection
from reporting.projections.changes import Changes
from reporting.projections.facts import text


def user_changed(envelope: Envelope, changes: Changes) -> None:
    # Checked now, so a bad event fails its batch before anything is written. The shared directory
    # ignores an older event arriving late, as every read model here does.
    entry = directory_entry(envelope)
    changes.run(lambda session: Directory(session, directory).apply(entry))
    for team in envelope.payload.get("teams") or []:
        if isinstance(team, dict) and team.get("id") and team.get("name"):
            changes.upsert(
                directory_team_names, {"team_id": team["id"]}, envelope.occurred,
                first={"name": text(team["name"], 200)},
            )


PROJECTION = Projection(
    name="people",
    tables=(directory.user_teams, directory.users, directory_team_names),
    handlers={events.USER_REGISTERED: user_changed, events.USER_CHANGED: user_changed},
)
