"""The notifier's one table: every incident event has its row, and every handler in it can be
called the way the engine calls it."""

from __future__ import annotations

import inspect

from app.domain.models import EventType
from app.notifier.table import EVENT_HANDLERS, OTHER_HANDLERS


def test_every_event_type_has_a_row_in_one_of_the_tables():
    assert set(EVENT_HANDLERS) | set(OTHER_HANDLERS) == set(EventType)
    assert not set(EVENT_HANDLERS) & set(OTHER_HANDLERS)


def test_every_handler_takes_incident_event_and_redelivered():
    for event_type, handlers in EVENT_HANDLERS.items():
        for handler in handlers:
            target = getattr(handler, "target", None)
            if target is None:  # a plain function: (notifier, incident, event, redelivered)
                params = inspect.signature(handler).parameters
                assert len(params) == 4, (event_type, handler)
                continue
            cls, method = target
            signature = inspect.signature(getattr(cls, method))
            signature.bind(object(), "incident", "event", True)  # raises when it cannot
