"""`workspaces.<team id>.api_tokens` in beacon.yml: intake API tokens that belong to one
workspace (multi-workspace mode), the second way next to BEACON_API_TOKEN's `name:secret@T0123`.

    workspaces:
      T0123ABCD:
        api_tokens:
          ci: ${BEACON_CI_TOKEN}     # name -> secret; ${VAR} reads the environment
          cron: 3f9a…                # at least MIN_SECRET characters

Checked when the file loads, each problem one line with its path and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,}")  # a team id (T…) or an org's enterprise id (E…)
TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MIN_SECRET = 16
MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class WorkspaceToken:
    workspace: str  # the team id its API calls act in
    name: str  # actions are attributed to api:<name>
    secret: str


def workspace_tokens(
    key: str, raw: Any, environ: Mapping[str, str] | None = None
) -> tuple[list[WorkspaceToken], list[str]]:
    """The tokens of `workspaces.<key>.api_tokens`, and the problems (path: what, fix)."""
    env = os.environ if environ is None else environ
    where = f"workspaces.{key}.api_tokens"
    if not TEAM_ID.fullmatch(key):
        return [], [f"{where}: an API token needs its workspace's team id as the section's key "
                    f"(like T0123ABCD), not '{key}': move api_tokens under the team id"]
    if not isinstance(raw, dict) or not raw:
        return [], [f"{where}: must be a mapping of token names to secrets, like "
                    "'ci: ${BEACON_CI_TOKEN}'"]
    tokens: list[WorkspaceToken] = []
    problems: list[str] = []
    for name, value in raw.items():
        at = f"{where}.{name}"
        if not isinstance(name, str) or not TOKEN_NAME.fullmatch(name):
            problems.append(f"{at}: a token name is letters, digits, '_', '.' or '-'")
            continue
        if not isinstance(value, str):
            problems.append(f"{at}: the secret must be a string (quote it)")
            continue
        ref = ENV_REF.fullmatch(value.strip())
        secret = env.get(ref.group(1), "") if ref else value.strip()
        if ref and not secret:
            problems.append(f"{at}: the environment variable {ref.group(1)} is not set")
        elif len(secret) < MIN_SECRET or any(c.isspace() or c == "," for c in secret):
            problems.append(f"{at}: a secret is at least {MIN_SECRET} characters without spaces "
                            f"or commas; make one with {MAKE_ONE}")
        else:
            tokens.append(WorkspaceToken(key, name, secret))
    return tokens, problems
