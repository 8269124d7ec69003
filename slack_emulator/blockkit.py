"""Block Kit validation lives in the app (app/slack/blockkit.py, it checks templates and runbooks at
start-up); the emulator answers with the same rules."""

from app.slack.blockkit import (  # noqa: F401
    BLOCK_TYPES,
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    SELECT_TYPES,
    check_block,
    check_blocks,
    check_element,
    check_text,
    error_body,
    validate_message,
    validate_view,
)
