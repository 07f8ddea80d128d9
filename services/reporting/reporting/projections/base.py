"""What a projection is: a read model's tables and how each event it cares about changes them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from sqlalchemy import Table

from crm_shared.envelope import Envelope
from reporting.projections.changes import Changes

# Describes what one event does to a read model, in the batch's changes (written together later).
# Live consumption and the rebuild call the same functions, so a read model rebuilt from the archive
# equals the live one.
Apply = Callable[[Envelope, Changes], None]


@dataclass(frozen=True)
class Projection:
    """One read model: the tables it owns (emptied by a rebuild) and its function per event name."""

    name: str
    tables: tuple[Table, ...]
    handlers: Mapping[str, Apply]
