"""Investigation results (from an automated investigator) and people's feedback on them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.clock import Clock
from app.domain.errors import BeaconError, InvalidInput
from app.domain.incidents import IncidentService, normalise_id
from app.domain.ports import InvestigationRepository
from app.domain.refusals import Refusal, RefusalCode, RefusalError
from app.domain.results import Refused, Transition


class Rating(StrEnum):
    ACCURATE = "accurate"
    PARTIALLY_ACCURATE = "partially_accurate"
    NEEDS_IMPROVEMENT = "needs_improvement"


RATING_LABEL = {
    Rating.ACCURATE: "Accurate",
    Rating.PARTIALLY_ACCURATE: "Partially accurate",
    Rating.NEEDS_IMPROVEMENT: "Needs improvement",
}
SUMMARY_MAX = 3000
LIST_MAX = 20
STATS_DAYS_MAX = 90


class InvestigationNotFound(BeaconError):
    def __init__(self, investigation_id: str) -> None:
        super().__init__(f"I can't find investigation result {investigation_id}.")


@dataclass(frozen=True)
class RecommendedAction:
    text: str
    command: str | None = None


@dataclass(frozen=True)
class NewInvestigation:
    alert_summary: str
    root_cause: str
    affected_resources: tuple[str, ...] = ()
    recommended_actions: tuple[RecommendedAction, ...] = ()
    incident_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Investigation:
    id: str
    number: int
    alert_summary: str
    root_cause: str
    affected_resources: tuple[str, ...]
    recommended_actions: tuple[RecommendedAction, ...]
    posted_by: str
    created_at: float
    incident_id: str | None = None
    target_channel: str | None = None
    votes: dict[Rating, int] = field(default_factory=dict)
    channel: str | None = None
    card_ts: str | None = None
    delivery_error: str | None = None

    @classmethod
    def from_redis(cls, raw: dict[str, str]) -> Investigation:
        actions = json.loads(raw.get("recommended_actions") or "[]")
        return cls(
            id=raw["id"],
            number=int(raw["number"]),
            alert_summary=raw.get("alert_summary", ""),
            root_cause=raw.get("root_cause", ""),
            affected_resources=tuple(json.loads(raw.get("affected_resources") or "[]")),
            recommended_actions=tuple(
                RecommendedAction(a["text"], a.get("command")) for a in actions
            ),
            posted_by=raw.get("posted_by", ""),
            created_at=float(raw["created_at"]),
            incident_id=raw.get("incident_id") or None,
            target_channel=raw.get("target_channel") or None,
            votes={r: max(0, int(raw.get(f"votes_{r.value}", "0"))) for r in Rating},
            channel=raw.get("channel") or None,
            card_ts=raw.get("card_ts") or None,
            delivery_error=raw.get("delivery_error") or None,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "votes": {r.value: n for r, n in self.votes.items()},
            "channel": self.channel,
            "ts": self.card_ts,
            "delivery_error": self.delivery_error,
        }


def day_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


class InvestigationService:
    def __init__(
        self, store: InvestigationRepository, incidents: IncidentService, clock: Clock
    ) -> None:
        self.store = store
        self.incidents = incidents
        self.clock = clock

    async def post(self, new: NewInvestigation, actor: str) -> Investigation:
        summary, cause = new.alert_summary.strip(), new.root_cause.strip()
        if not summary:
            raise InvalidInput(
                "alert_summary: say which alert was investigated.", field="alert_summary"
            )
        for name, text in (("alert_summary", summary), ("root_cause", cause)):
            if len(text) > SUMMARY_MAX:
                raise InvalidInput(f"{name}: keep it to {SUMMARY_MAX} characters.", field=name)
        if len(new.affected_resources) > LIST_MAX or len(new.recommended_actions) > LIST_MAX:
            raise InvalidInput(f"Send at most {LIST_MAX} resources and {LIST_MAX} actions.")
        incident_id = None
        if new.incident_id:
            incident_id = (await self.incidents.get(normalise_id(new.incident_id))).id
        fields = {
            "alert_summary": summary,
            "root_cause": cause,
            "affected_resources": json.dumps(list(new.affected_resources)),
            "recommended_actions": json.dumps(
                [{"text": a.text, "command": a.command} for a in new.recommended_actions]
            ),
            "incident_id": incident_id or "",
            "target_channel": new.channel or "",
        }
        investigation_id, outcome = await self.store.create(
            actor=actor, fields=fields, now=self.clock.now()
        )
        self._check(investigation_id, outcome)
        return await self.get(investigation_id)

    async def get(self, investigation_id: str) -> Investigation:
        raw = await self.store.get(investigation_id)
        if raw is None:
            raise InvestigationNotFound(investigation_id)
        return Investigation.from_redis(raw)

    async def vote(self, investigation_id: str, actor: str, rating: Rating) -> Investigation:
        now = self.clock.now()
        outcome = await self.store.vote(
            investigation_id, actor=actor, rating=rating.value, today=day_of(now), now=now
        )
        self._check(investigation_id, outcome, actor)
        return await self.get(investigation_id)

    def _check(
        self, investigation_id: str, outcome: Transition | Refused, actor: str | None = None
    ) -> Transition:
        if isinstance(outcome, Transition):
            return outcome
        if outcome.code == "not_found":
            raise InvestigationNotFound(investigation_id)
        if outcome.code == "unchanged":
            label = RATING_LABEL[Rating(outcome.details[0])]
            code = RefusalCode.ALREADY_RATED
            raise RefusalError(Refusal(code, investigation_id, actor, value=label))
        code, value = RefusalCode.REFUSED, outcome.code
        raise RefusalError(Refusal(code, investigation_id, actor, value=value))

    async def stats(self, days: int = 0) -> dict[str, Any]:
        """Totals per rating and the accuracy ratio; with days, the last `days` UTC days too."""
        if not 0 <= days <= STATS_DAYS_MAX:
            raise InvalidInput(f"days: between 0 and {STATS_DAYS_MAX}.", field="days")
        totals = await self.store.totals()
        counts = {r.value: max(0, totals.get(r.value, 0)) for r in Rating}
        out: dict[str, Any] = {**_summary(counts)}
        if days:
            today = datetime.fromtimestamp(self.clock.now(), UTC).date()
            names = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
            rows = await self.store.days(names)
            out["days"] = [
                {"date": name, **_summary({r.value: max(0, row.get(r.value, 0)) for r in Rating})}
                for name, row in zip(names, rows, strict=True)
            ]
        return out


def _summary(counts: dict[str, int]) -> dict[str, Any]:
    total = sum(counts.values())
    accurate = counts[Rating.ACCURATE.value]
    return {
        "totals": counts,
        "total": total,
        # Share of votes that said Accurate; None when nobody voted.
        "accuracy_ratio": round(accurate / total, 4) if total else None,
    }
