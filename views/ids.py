"""Every callback, action and block id Beacon uses."""

from enum import StrEnum


class CallbackId(StrEnum):
    DECLARE_SHORTCUT = "declare_incident"
    DECLARE_FROM_MESSAGE = "declare_incident_from_message"
    DECLARE_MODAL = "beacon-declare"
    RESOLVE_MODAL = "beacon-resolve"
    SNOOZE_MODAL = "beacon-snooze"
    DENY_MODAL = "beacon-approval-deny"
    RETRO_MODAL = "beacon-retro"
    # the card's More ⋯ menu
    REASSIGN_MODAL = "beacon-reassign"
    NOTE_MODAL = "beacon-note"
    SEVERITY_MODAL = "beacon-severity"
    ESCALATE_MODAL = "beacon-escalate"
    UPDATE_MODAL = "beacon-status-update"


class StepId(StrEnum):
    """Workflow Builder custom steps: manifest.yml's `functions` callback ids."""

    DECLARE = "declare_incident"
    ACKNOWLEDGE = "acknowledge_incident"
    RESOLVE = "resolve_incident"
    UPDATE = "post_incident_update"
    ONCALL = "get_oncall"


class ActionId(StrEnum):
    HOME_PAGE = "home-page"
    HOME_NEXT = "home-next"
    LIST_NEXT = "incident-list-next"  # the next page of `/incident list`
    ACK = "incident-ack"
    RESOLVE = "incident-resolve"
    SNOOZE = "incident-snooze"
    VIEW = "incident-view"
    MORE = "incident-more"  # the card's More ⋯ overflow menu
    REOPEN = "incident-reopen"  # on a resolved card
    UPDATE_TEXT = "status-update-input"
    TITLE = "title-input"
    DESCRIPTION = "description-input"
    SERVICE = "service-select"
    SEVERITY = "severity-select"
    ASSIGNEE = "assignee-select"
    OPTIONS = "options-checkboxes"
    NOTE = "note-input"
    SNOOZE_FOR = "snooze-for-input"
    APPROVE = "approval-approve"
    DENY = "approval-deny"
    DENY_REASON = "deny-reason-input"
    RUNBOOK_RETRY = "runbook-retry-step"  # on a failed runbook step
    FEEDBACK_ACCURATE = "feedback-accurate"
    FEEDBACK_PARTIAL = "feedback-partially-accurate"
    FEEDBACK_NEEDS_WORK = "feedback-needs-improvement"
    # roles on the incident channel summary, the retrospective
    ROLE_CLAIM = "incident-role-claim"
    RETRO_SCHEDULE = "incident-retro-schedule"
    RETRO_DATE = "retro-date-input"
    RETRO_OWNER = "retro-owner-select"
    RETRO_NOTES = "retro-notes-input"
    # storm rollups: act on all listed incidents, or on one row
    ROLLUP_ACK_ALL = "rollup-ack-all"
    ROLLUP_ROW = "rollup-row"


class BlockId(StrEnum):
    HOME_PAGES = "home-pages"
    HEADER = "incident-header"
    SUMMARY = "incident-summary"
    FIELDS = "incident-fields"
    CONTEXT = "incident-context"
    ACTIONS = "incident-actions"
    ALERTS = "incident-alerts"
    ALERTS_SEEN = "incident-alerts-seen"
    TITLE = "title"
    DESCRIPTION = "description"
    SERVICE = "service"
    SEVERITY = "severity"
    ASSIGNEE = "assignee"
    OPTIONS = "options"
    NOTE = "note"
    SNOOZE_FOR = "until"
    APPROVAL_SUMMARY = "approval-summary"
    APPROVAL_FIELDS = "approval-fields"
    APPROVAL_ROLLBACK = "approval-rollback"
    APPROVAL_OUTCOME = "approval-outcome"
    APPROVAL_ACTIONS = "approval-actions"
    DENY_REASON = "reason"
    RUNBOOK_FAILURE = "runbook-failure"
    INVESTIGATION_FEEDBACK = "investigation-feedback"
    INVESTIGATION_COUNTS = "investigation-counts"

    RESOLUTION_ACTIONS = "resolution-actions"
    RETRO_DATE = "retro-date"
    RETRO_OWNER = "retro-owner"
    RETRO_NOTES = "retro-notes"
    ROLLUP_HEAD = "rollup-head"
    ROLLUP_ACTIONS = "rollup-actions"
    STATUS_UPDATE = "status-update"
    MODAL_SUMMARY = "incident-modal-summary"
    DM_LEAD = "dm-lead"  # a page DM's line above the card


class RollupVerb(StrEnum):
    """What a rollup row's ⋯ menu does to its incident."""

    ACK = "ack"
    RESOLVE = "resolve"
    DETAILS = "details"


class CardVerb(StrEnum):
    """What an option of the card's More ⋯ menu opens (at most 5: Slack's overflow limit)."""

    REASSIGN = "reassign"
    NOTE = "note"
    SEVERITY = "severity"
    ESCALATE = "escalate"
    UPDATE = "update"


class OptionValue(StrEnum):
    DEDICATED_CHANNEL = "dedicated-channel"
    SNOOZE_CUSTOM = "custom"
