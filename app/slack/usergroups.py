"""Members of a Slack user group (usergroups.users.list), for approval requests."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.domain.errors import InvalidInput


class UserGroups:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def members(self, group_id: str) -> list[str]:
        try:
            resp = await self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            code = exc.response.get("error", "")
            if code == "no_such_subteam":
                raise InvalidInput(
                    f"approver_group: there is no user group {group_id} in this workspace.",
                    field="approver_group",
                ) from None
            if code == "missing_scope":
                raise InvalidInput(
                    "approver_group: Beacon lacks the usergroups:read scope; reinstall the app "
                    "from manifest.yml, or list approvers by user id.",
                    field="approver_group",
                ) from None
            raise
        return list(resp.get("users") or [])
