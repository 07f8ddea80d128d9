"""The pipeline: the configured stages an opportunity moves through, their win probabilities, and the forecast."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Stage:
    """One column of the kanban: its place, and how likely a deal in it is to be won (percent)."""

    key: str
    name: str
    position: int
    win_probability: int
    is_won: bool = False
    is_lost: bool = False

    @property
    def terminal(self) -> bool:
        return self.is_won or self.is_lost


class UnknownStage(ValueError):
    pass


@dataclass(frozen=True)
class Pipeline:
    """The stages in order; the first open one is where new deals start."""

    stages: tuple[Stage, ...]

    def __post_init__(self):
        if not any(s.is_won for s in self.stages) or not any(s.is_lost for s in self.stages):
            raise ValueError("a pipeline needs a won stage and a lost stage")
        if not any(not s.terminal for s in self.stages):
            raise ValueError("a pipeline needs at least one open stage")

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise UnknownStage(f"no stage {key!r}; the stages are {', '.join(s.key for s in self.stages)}")

    def probability_of(self, key: str) -> int:
        """The stage's win probability; a deal in a stage removed since counts as 0."""
        try:
            return self.stage(key).win_probability
        except UnknownStage:
            return 0

    @property
    def first(self) -> Stage:
        return min((s for s in self.stages if not s.terminal), key=lambda s: s.position)

    @property
    def won(self) -> Stage:
        return min((s for s in self.stages if s.is_won), key=lambda s: s.position)

    @property
    def lost(self) -> Stage:
        return min((s for s in self.stages if s.is_lost), key=lambda s: s.position)


@dataclass(frozen=True)
class StageChange:
    """One line of an opportunity's stage history."""

    opportunity_id: str
    from_stage: str | None
    to_stage: str
    actor_id: str
    at: datetime


def weighted(amount: Decimal, probability: int) -> Decimal:
    """amount × probability%, to the cent (half up)."""
    return (amount * Decimal(probability) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OpenDeal:
    """What the forecast needs of an open opportunity."""

    owner_id: str
    stage: str
    amount: Decimal
    currency: str
    expected_close_date: date


@dataclass(frozen=True)
class ForecastRow:
    month: str
    owner_id: str | None
    currency: str
    count: int
    amount: Decimal
    weighted_amount: Decimal


def forecast(deals: Iterable[OpenDeal], pipeline: Pipeline, per_owner: bool = False) -> list[ForecastRow]:
    """Open deals by expected close month (and currency; and rep if asked): total and probability-weighted amounts.

    Each deal is weighted to the cent first, so a row is the sum of the figures a rep sees on their deals.
    """
    groups: dict[tuple, list] = defaultdict(lambda: [0, Decimal("0.00"), Decimal("0.00")])
    for deal in deals:
        key = (deal.expected_close_date.strftime("%Y-%m"), deal.owner_id if per_owner else None, deal.currency)
        group = groups[key]
        group[0] += 1
        group[1] += deal.amount
        group[2] += weighted(deal.amount, pipeline.probability_of(deal.stage))
    return [ForecastRow(month, owner, currency, n, total, weight)
            for (month, owner, currency), (n, total, weight) in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2]))]


def stage_totals(rows: Sequence[tuple[str, str, Decimal]]) -> dict[str, dict[str, Decimal]]:
    """(stage, currency, amount) rows summed per stage and currency, exactly."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: Decimal("0.00")))
    for stage, currency, amount in rows:
        totals[stage][currency] += amount
    return totals
