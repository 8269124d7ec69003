"""LOG_FORMAT=json: one JSON object per line, extras kept; text stays the default."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from app.ops.logs import TEXT_FORMAT, JsonFormatter, TextFormatter, configure_logging


def record(msg: str, *args: object, level: int = logging.INFO, **extra: object):
    rec = logging.LogRecord("beacon.notifier", level, __file__, 1, msg, args or None, None)
    rec.created = 1_800_000_000.25
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_one_object_with_the_base_fields():
    line = JsonFormatter().format(record("applied %s to %s", "triggered", "INC-7"))
    assert "\n" not in line
    assert json.loads(line) == {
        "ts": "2027-01-15T08:00:00.250+00:00",
        "level": "INFO",
        "logger": "beacon.notifier",
        "msg": "applied triggered to INC-7",
    }


def test_extra_fields_are_kept_and_made_json():
    rec = record(
        "slack %s failed: %s",
        "chat.postMessage",
        "ratelimited",
        level=logging.WARNING,
        incident_id="INC-7",
        event_id="1800000000000-0",
        envelope_type="interactive",
        method="chat.postMessage",
        error="ratelimited",
        ms=12.5,
        odd=object(),  # not JSON: written with str()
    )
    entry = json.loads(JsonFormatter().format(rec))
    assert entry["level"] == "WARNING"
    assert entry["msg"] == "slack chat.postMessage failed: ratelimited"
    assert entry["incident_id"] == "INC-7" and entry["event_id"] == "1800000000000-0"
    assert entry["envelope_type"] == "interactive"
    assert entry["method"] == "chat.postMessage" and entry["error"] == "ratelimited"
    assert entry["ms"] == 12.5
    assert entry["odd"].startswith("<object object")


def test_exceptions_go_in_one_field():
    try:
        raise ValueError("bad state ✗")
    except ValueError:
        rec = logging.LogRecord("beacon", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    line = JsonFormatter().format(rec)
    assert "\n" not in line  # the traceback's newlines are escaped inside the string
    entry = json.loads(line)
    assert entry["msg"] == "boom"
    assert "ValueError: bad state ✗" in entry["exc"]


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configure_json_writes_a_line_per_record(restore_root):
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("beacon.envelope")
    log.info("slash_commands /incident acked", extra={"envelope_type": "slash_commands"})
    log.debug("not shown at INFO")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["envelope_type"] == "slash_commands"


def test_text_is_the_default(restore_root):
    out = io.StringIO()
    configure_logging("DEBUG", stream=out)
    logging.getLogger("beacon.slack.api").debug("slack %s ok", "auth.test", extra={"ms": 3})
    text = out.getvalue()
    assert " DEBUG beacon.slack.api: slack auth.test ok" in text
    assert not text.lstrip().startswith("{")


def test_text_lines_are_the_standard_formatters_with_the_second_made_once():
    ours, standard = TextFormatter(), logging.Formatter(TEXT_FORMAT)
    for created in (1700000000.0004, 1700000000.999, 1700000001.5, 1700000001.0999, 1.0):
        record = logging.LogRecord("beacon.x", logging.INFO, "f", 1, "acked %s", ("ok",), None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert ours.format(record) == standard.format(record)
