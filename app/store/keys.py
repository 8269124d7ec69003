"""Every Redis key Beacon uses, namespaced and versioned; the value's type ends the name.

Only this module spells key names: the stores and their Lua scripts get them from here."""

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

    def incident_runbooks(self, incident_id: str) -> str:
        """hash: run id -> JSON state of one runbook run on the incident."""
        return self._k("incident", incident_id, "runbooks", "hash")

    # An Alertmanager incident's alerts (alerts.lua builds these names from index_prefix(),
    # since a new incident's id is taken inside the script).
    def incident_alerts(self, incident_id: str) -> str:
        """hash: fingerprint -> JSON of the alert as last notified (name, status, startsAt…)."""
        return self._k("incident", incident_id, "alerts", "hash")

    def incident_alerts_firing(self, incident_id: str) -> str:
        """zset of the fingerprints firing now, scored by arrival (the card lists them first)."""
        return self._k("incident", incident_id, "alerts", "firing", "zset")

    def incident_alerts_resolved(self, incident_id: str) -> str:
        """zset of the fingerprints resolved, scored by when (latest listed first)."""
        return self._k("incident", incident_id, "alerts", "resolved", "zset")

    # Indexes and counters kept by the transition scripts (lua/_prelude.lua builds the same
    # names from index_prefix()). Sets are scored by the incident's number, newest highest.
    def index_prefix(self) -> str:
        """what the Lua index helpers put before 'incidents:…' and 'stats:…'."""
        return self._k("")

    def incidents_open(self) -> str:
        """zset of open incident ids scored by number."""
        return self._k("incidents", "open", "zset")

    def incidents_all(self) -> str:
        """zset of every incident id scored by number."""
        return self._k("incidents", "all", "zset")

    def incidents_acknowledged(self) -> str:
        """zset of open, acknowledged incident ids scored by number."""
        return self._k("incidents", "acknowledged", "zset")

    def incidents_resolved(self) -> str:
        """zset of resolved incident ids scored by number."""
        return self._k("incidents", "resolved", "zset")

    def incidents_resolved_at(self) -> str:
        """zset of resolved incident ids scored by when they were resolved (retention)."""
        return self._k("incidents", "resolved_at", "zset")

    def incidents_archived_at(self) -> str:
        """zset of archived incident ids scored by when they were resolved (archive_days)."""
        return self._k("incidents", "archived_at", "zset")

    def incidents_open_severity(self, severity: str) -> str:
        """zset of open incident ids of one severity, scored by number."""
        return self._k("incidents", "open", "severity", severity, "zset")

    def incidents_open_assignee(self, user: str) -> str:
        """zset of open incident ids assigned to one person, scored by number."""
        return self._k("incidents", "open", "assignee", user, "zset")

    def incidents_open_services(self) -> str:
        """hash: service ('' for none) -> open incidents of it."""
        return self._k("incidents", "open", "services", "hash")

    def stats(self, bucket: int | str) -> str:
        """hash of the digest's totals for incidents created in one 15-minute bucket
        (created_at // 900): declared, alerts, sev:<s>, svc:<s>, ack_n/_sum, res_n/_sum.
        Expires 3 days after the bucket starts."""
        return self._k("stats", str(bucket), "hash")

    def archive(self, bucket: int | str) -> str:
        """hash: incident id -> base64 zlib JSON of a removed incident (fields and timeline);
        bucket = number // 1000, so a lookup by id needs no index."""
        return self._k("archive", str(bucket), "hash")

    def migrations(self) -> str:
        """hash: migration name -> when it finished (each runs once)."""
        return self._k("migrations", "hash")

    # follow-ups (F-<n>), the channel -> incident index, messages pinned to the record
    def followup_seq(self) -> str:
        """string counter behind F-<n>."""
        return self._k("followup", "seq", "counter")

    def followup(self, followup_id: str) -> str:
        """hash of one follow-up item (incident_id, text, status, who and when)."""
        return self._k("followup", followup_id, "hash")

    def incident_followups(self, incident_id: str) -> str:
        """zset of the incident's follow-up ids scored by their number."""
        return self._k("incident", incident_id, "followups", "zset")

    def followups_open(self) -> str:
        """zset of open follow-up ids across incidents, scored by their number."""
        return self._k("followups", "open", "zset")

    def channel_incident(self, channel: str) -> str:
        """string: the incident whose dedicated channel this is."""
        return self._k("channel", channel, "incident", "string")

    def incident_pinned(self, incident_id: str) -> str:
        """set of 'channel ts' of messages already added to the timeline by reaction."""
        return self._k("incident", incident_id, "pinned", "set")

    def dedup(self, dedup_key: str) -> str:
        """string: open incident id for an alert's dedup key."""
        return self._k("dedup", dedup_key, "string")

    def idempotency(self, scope: str, key: str) -> str:
        """string JSON: the first response to an intake request with this Idempotency-Key."""
        return self._k("idempotency", scope, key, "string")

    # pipeline
    def events(self) -> str:
        """stream of domain events (the outbox)."""
        return self._k("events", "stream")

    def answers(self) -> str:
        """stream of answers to one person each (listeners add, the notifier delivers)."""
        return self._k("answers", "stream")

    def notified(self, incident_id: str) -> str:
        """string: highest event seq of the incident already applied to Slack."""
        return self._k("incident", incident_id, "notified", "string")

    def timers(self) -> str:
        """zset of timer ids scored by due time."""
        return self._k("timers", "zset")

    def timer(self, timer_id: str) -> str:
        """hash describing one timer."""
        return self._k("timer", timer_id, "hash")

    # storm rollups (the notifier): one per channel at a time, one message per 40 incidents
    def rollup_arrivals(self, channel: str) -> str:
        """zset: incident id -> when its card was due in this channel (the storm window)."""
        return self._k("rollup", channel, "arrivals", "zset")

    def rollup_current(self, channel: str) -> str:
        """hash: the channel's current rollup (rid, storm, count, started, last_at)."""
        return self._k("rollup", channel, "current", "hash")

    def rollup_prefix(self) -> str:
        """prefix of a rollup's keys (items list, message hash); Lua appends '<rid>:…'."""
        return self._k("rollup", "")

    def rollup_items(self, rid: str) -> str:
        """list of the incident ids one rollup message shows, in order of arrival."""
        return self._k("rollup", rid, "items", "list")

    def rollup(self, rid: str) -> str:
        """hash of one rollup message: channel, ts, permalink, storm, started."""
        return self._k("rollup", rid, "hash")

    def storm_pages(self, storm: str, user: str) -> str:
        """zset: incident ids one person is paged for in one storm (one DM lists them)."""
        return self._k("storm", storm, "pages", user, "zset")

    def rollups_dirty(self) -> str:
        """set of rollup messages and storm page DMs to re-render ('rollup:<rid>' etc.)."""
        return self._k("rollups", "dirty", "set")

    def consumer(self, name: str) -> str:
        """string lease on a notifier consumer name, held by the live instance using it."""
        return self._k("consumer", name, "string")

    def bucket(self, name: str) -> str:
        """hash (tokens, at): a token bucket pacing Slack writes, shared across instances."""
        return self._k("bucket", name, "hash")

    def envelope(self, fingerprint: str) -> str:
        """string set NX when a Slack envelope is first handled (redelivery guard)."""
        return self._k("envelope", fingerprint, "string")

    def lock(self, name: str) -> str:
        """string lease held by one instance."""
        return self._k("lock", name, "string")

    # approvals: APR-<n>, decided once by a Lua script
    def approval_seq(self) -> str:
        """string counter behind APR-<n>."""
        return self._k("approval", "seq", "counter")

    def approval(self, approval_id: str) -> str:
        """hash of one approval request's fields."""
        return self._k("approval", approval_id, "hash")

    def approval_timeline(self, approval_id: str) -> str:
        """list of JSON entries (requested, decided, expired), append-only."""
        return self._k("approval", approval_id, "timeline", "list")

    def approval_approvers(self, approval_id: str) -> str:
        """set of Slack user ids who may decide (user groups expanded at request time)."""
        return self._k("approval", approval_id, "approvers", "set")

    def approval_messages(self, approval_id: str) -> str:
        """hash: role -> 'channel ts' of the Slack messages posted for it."""
        return self._k("approval", approval_id, "messages", "hash")

    def approvals_pending(self) -> str:
        """zset of pending approval ids scored by expiry time."""
        return self._k("approvals", "pending", "zset")

    def approvals_decided(self) -> str:
        """zset of decided or expired approval ids scored by when (retention)."""
        return self._k("approvals", "decided", "zset")

    # investigation results and feedback on them
    def investigation_seq(self) -> str:
        """string counter behind INV-<n>."""
        return self._k("investigation", "seq", "counter")

    def investigation(self, investigation_id: str) -> str:
        """hash of one investigation result (lists as JSON) and its vote counts."""
        return self._k("investigation", investigation_id, "hash")

    def investigations_created(self) -> str:
        """zset of investigation ids scored by when they were posted (retention)."""
        return self._k("investigations", "created", "zset")

    def investigation_timeline(self, investigation_id: str) -> str:
        return self._k("investigation", investigation_id, "timeline", "list")

    def investigation_votes(self, investigation_id: str) -> str:
        """hash: user id -> 'rating day' of that person's one vote."""
        return self._k("investigation", investigation_id, "votes", "hash")

    def investigation_messages(self, investigation_id: str) -> str:
        return self._k("investigation", investigation_id, "messages", "hash")

    def feedback_totals(self) -> str:
        """hash: rating -> current number of votes across all results."""
        return self._k("feedback", "totals", "hash")

    def feedback_day(self, day: str) -> str:
        """hash: rating -> votes cast on that UTC day (YYYY-MM-DD) that still stand."""
        return self._k("feedback", "day", day, "hash")

    def oncall_overrides(self, schedule: str) -> str:
        """zset of JSON overrides added from Slack, scored by their end time."""
        return self._k("oncall", schedule, "overrides", "zset")

    def home_viewers(self) -> str:
        """zset of users who opened Beacon's App Home, scored by when."""
        return self._k("home", "viewers", "zset")

    def home_pages(self) -> str:
        """hash: user -> the page of 'All open incidents' they are on."""
        return self._k("home", "pages", "hash")

    # workspaces (multi-workspace mode): installations and OAuth state live under the
    # process prefix; each workspace's own keys use Keys.for_workspace() (its "cell")
    def for_workspace(self, cell: str) -> Keys:
        """The keys of one installed workspace (team id, or enterprise id for an org)."""
        return Keys(f"{self.prefix}:{cell}")

    def installation_bot(self, owner: str) -> str:
        """string: the workspace's (or org's) bot installation, sealed JSON."""
        return self._k("installation", owner, "bot", "string")

    def installation_latest(self, owner: str) -> str:
        """string: the latest installation (bot and installer) of a workspace, sealed JSON."""
        return self._k("installation", owner, "latest", "string")

    def installation_user_prefix(self, owner: str) -> str:
        """what installation_user() puts before the user id (for the delete script)."""
        return self._k("installation", owner, "user", "")

    def installation_user(self, owner: str, user_id: str) -> str:
        """string: one installer's latest installation, sealed JSON."""
        return self.installation_user_prefix(owner) + user_id + ":string"

    def installation_users(self, owner: str) -> str:
        """set of user ids with an installation_user() key."""
        return self._k("installation", owner, "users", "set")

    def installations(self) -> str:
        """set of owners ('E…:T…', '-' for none) with a bot installation."""
        return self._k("installations", "set")

    def installations_changed(self) -> str:
        """pub/sub channel: '+owner' installed, '-owner' removed (every instance listens)."""
        return self._k("installations", "changed", "channel")

    def workspaces_served(self) -> str:
        """hash: cell key (team id) -> JSON {owner, name} of every workspace ever served, so
        retention still reaches its data once it is uninstalled (app/cells.py)."""
        return self._k("workspaces", "served", "hash")

    def oauth_state(self, state: str) -> str:
        """string with a TTL: one OAuth state issued for an install, consumed once."""
        return self._k("oauth", "state", state, "string")

    # people
    def user_profile(self, user_id: str) -> str:
        """string JSON cache of users.info (email, name)."""
        return self._k("user", user_id, "profile", "string")

    def health(self) -> str:
        return self._k("health", "string")
