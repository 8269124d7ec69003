"""Every Redis key Beacon uses, namespaced and versioned; the value's type ends the name."""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "v1"


@dataclass(frozen=True)
class Keys:
    prefix: str = "beacon"

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, VERSION, *parts))

    # incidents
    def incident_seq(self) -> str:
        """string counter behind INC-<n>."""
        return self._k("incident", "seq", "counter")

    def incident(self, incident_id: str) -> str:
        """hash of one incident's fields."""
        return self._k("incident", incident_id, "hash")

    def incident_timeline(self, incident_id: str) -> str:
        """list of JSON timeline entries, append-only."""
        return self._k("incident", incident_id, "timeline", "list")

    def incident_messages(self, incident_id: str) -> str:
        """hash: role or event id -> 'channel ts' of every Slack message posted for it."""
        return self._k("incident", incident_id, "messages", "hash")

    def incidents_open(self) -> str:
        """zset of open incident ids scored by creation time."""
        return self._k("incidents", "open", "zset")

    def incidents_all(self) -> str:
        """zset of every incident id scored by creation time."""
        return self._k("incidents", "all", "zset")

    def dedup(self, dedup_key: str) -> str:
        """string: open incident id for an alert's dedup key."""
        return self._k("dedup", dedup_key, "string")

    # pipeline
    def events(self) -> str:
        """stream of domain events (the outbox)."""
        return self._k("events", "stream")

    def notified(self, incident_id: str) -> str:
        """string: highest event seq of the incident already applied to Slack."""
        return self._k("incident", incident_id, "notified", "string")

    def timers(self) -> str:
        """zset of timer ids scored by due time."""
        return self._k("timers", "zset")

    def timer(self, timer_id: str) -> str:
        """hash describing one timer."""
        return self._k("timer", timer_id, "hash")

    def post_pace(self, channel: str, second: int) -> str:
        """string counter of posts to a channel in one second (pacing across instances)."""
        return self._k("pace", channel, str(second), "counter")

    def envelope(self, fingerprint: str) -> str:
        """string set NX when a Slack envelope is first handled (redelivery guard)."""
        return self._k("envelope", fingerprint, "string")

    def lock(self, name: str) -> str:
        """string lease held by one instance."""
        return self._k("lock", name, "string")

    # people
    def user_profile(self, user_id: str) -> str:
        """string JSON cache of users.info (email, name)."""
        return self._k("user", user_id, "profile", "string")

    def health(self) -> str:
        return self._k("health", "string")
