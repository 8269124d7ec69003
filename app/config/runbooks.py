"""Runbooks (`runbooks_dir:`) and Block Kit templates (`templates:`), checked at start-up.

A runbook file is YAML: a name, a trigger and ordered steps. Every problem (unknown step,
unknown placeholder, bad Block Kit, bad option) is reported with its file, line and fix; the
lines come from yaml.compose, which keeps each node's position (JSON templates too: JSON is
YAML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from app.config.base import Severity, Strict, error_text, yaml_problem
from app.config.placeholders import (
    INCIDENT_PLACEHOLDERS,
    MESSAGE_TEXT,
    SAMPLE_VALUES,
    fill,
    names_in,
    strings,
)
from app.slack.blockkit import check_message_blocks

_CHANNEL_REF = re.compile(r"^(#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$")
TARGETS = ("incident_channel", "card_thread")


class Trigger(Strict):
    on: Literal["triggered", "acknowledged", "escalated", "resolved"] = "triggered"
    severity: frozenset[Severity] = frozenset()  # empty: every severity
    service: frozenset[str] = frozenset()  # empty: every service
    after_minutes: float | None = Field(default=None, gt=0)  # a timer after the `on` event
    if_status: Literal["any", "open", "triggered", "acknowledged", "resolved"] = "any"

    def matches(self, severity: str, service: str | None) -> bool:
        if self.severity and severity not in self.severity:
            return False
        return not self.service or (service or "") in self.service


class _Message(Strict):
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    to: str | None = None  # a channel, incident_channel or card_thread (default: see README)

    @model_validator(mode="after")
    def _check(self) -> _Message:
        if not self.text and not self.blocks:
            raise ValueError("give it `text:` or `blocks:`")
        if self.to and self.to not in TARGETS and not _CHANNEL_REF.match(self.to):
            raise ValueError(
                f"`to: {self.to}` is not a place: use incident_channel, card_thread, a channel "
                "name like '#ops' or an id like C0123ABC"
            )
        return self


class SendMessage(_Message):
    pass


class CreateThread(_Message):
    @model_validator(mode="after")
    def _top_level(self) -> CreateThread:
        if self.to == "card_thread":
            raise ValueError(
                "a thread cannot start inside the card's thread: use incident_channel or a channel"
            )
        return self


class InviteUsers(Strict):
    users: tuple[str, ...] = ()  # user ids or emails
    groups: tuple[str, ...] = ()  # user group ids (S...)
    oncall: bool = False  # the people the escalation policy pages first

    @model_validator(mode="after")
    def _someone(self) -> InviteUsers:
        if not (self.users or self.groups or self.oncall):
            raise ValueError("name someone: `users:`, `groups:` or `oncall: true`")
        return self


class SetTopic(Strict):
    text: str | None = None  # default: severity, status and assignee, like incident channels


class AddBookmark(Strict):
    title: str = "{{incident.id}} card"
    link: str = "{{incident.permalink}}"


class Wait(Strict):
    minutes: float = Field(gt=0)


class _NoOptions(Strict):
    pass


STEP_TYPES: dict[str, type[BaseModel]] = {
    "create_channel": _NoOptions,
    "send_message": SendMessage,
    "create_thread": CreateThread,
    "invite_users": InviteUsers,
    "set_topic": SetTopic,
    "add_bookmark": AddBookmark,
    "post_summary": _NoOptions,
    "archive_channel": _NoOptions,
    "wait": Wait,
}


@dataclass(frozen=True)
class Step:
    type: str
    options: Any  # the pydantic model of its options
    line: int


@dataclass(frozen=True)
class Runbook:
    name: str
    trigger: Trigger
    steps: tuple[Step, ...]
    file: str

    def describe(self) -> str:
        t = self.trigger
        when = f"{t.after_minutes:g} min after {t.on}" if t.after_minutes else f"on {t.on}"
        if t.after_minutes and t.if_status != "any":
            when += f" if still {t.if_status}"
        if t.severity:
            when += f", severity {', '.join(sorted(t.severity))}"
        if t.service:
            when += f", service {', '.join(sorted(t.service))}"
        return when


class _RunbookFile(Strict):
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    trigger: Trigger = Field(default_factory=Trigger)
    steps: list[Any] = Field(min_length=1)


class TemplatesConfig(Strict):
    """Block Kit files (JSON or YAML) that replace Beacon's built-in messages."""

    card: str | None = None
    thread_reply: str | None = None
    dm: str | None = None
    digest: str | None = None


# Placeholders each template may use (the digest is about no one incident).
TEMPLATE_PLACEHOLDERS = {
    "card": INCIDENT_PLACEHOLDERS,
    "thread_reply": INCIDENT_PLACEHOLDERS | {MESSAGE_TEXT},
    "dm": INCIDENT_PLACEHOLDERS | {MESSAGE_TEXT},
    "digest": frozenset({MESSAGE_TEXT}),
}


# --- positions -----------------------------------------------------------------------------
def _node_at(node: yaml.Node | None, path: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest node along `path` (keys and indexes) that exists."""
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
        if child is None:
            return node
        node = child
    return node


class _Problems:
    def __init__(self, file: Path, root: yaml.Node | None) -> None:
        self.file = file
        self.root = root
        self.lines: list[str] = []

    def add(self, path: tuple[Any, ...], message: str) -> None:
        node = _node_at(self.root, path)
        line = node.start_mark.line + 1 if node is not None else 1
        self.lines.append(f"{self.file} line {line}: {message}")


def _read(file: Path, problems: list[str]) -> tuple[Any, yaml.Node | None] | None:
    try:
        text = file.read_text(encoding="utf-8")
        return yaml.safe_load(text), yaml.compose(text)
    except OSError as exc:
        problems.append(f"{file}: cannot read it ({exc.strerror}): check the path")
    except yaml.YAMLError as exc:
        problems.append(yaml_problem(file, exc))
    return None


def _check_placeholders(
    out: _Problems, value: Any, base: tuple[Any, ...], allowed: frozenset[str]
) -> None:
    for path, text in strings(value):
        for name in names_in(text):
            if name not in allowed:
                known = ", ".join("{{" + p + "}}" for p in sorted(allowed))
                out.add(
                    (*base, *path),
                    f"unknown placeholder {{{{{name}}}}}: use one of {known}",
                )


def _check_blocks(out: _Problems, blocks: Any, base: tuple[Any, ...]) -> None:
    for problem in check_message_blocks(fill(blocks, SAMPLE_VALUES)):
        out.add(
            (*base, *problem.path),
            f"Slack would refuse these blocks: {problem}; fix it to follow Block Kit's limits",
        )


# --- runbooks ------------------------------------------------------------------------------
def _parse_step(out: _Problems, raw: Any, path: tuple[Any, ...]) -> Step | None:
    known = ", ".join(STEP_TYPES)
    if isinstance(raw, str):
        kind, options = raw, dict[str, Any]()
    elif isinstance(raw, dict) and len(raw) == 1:
        kind, options = next(iter(raw.items()))
        options = options or {}
    else:
        out.add(path, f"a step is one step name, optionally with options: use one of {known}")
        return None
    if kind not in STEP_TYPES:
        out.add(path, f"unknown step '{kind}': use one of {known}")
        return None
    if not isinstance(options, dict):
        out.add((*path, kind), f"the options of {kind} must be a mapping (key: value)")
        return None
    try:
        model = STEP_TYPES[kind].model_validate(options)
    except ValidationError as exc:
        for err in exc.errors():
            msg = error_text(err)
            if err["type"] == "extra_forbidden":
                msg = f"{kind} has no option '{err['loc'][-1]}': remove it or check its spelling"
            out.add((*path, kind, *err["loc"]), msg)
        return None
    _check_placeholders(out, options, (*path, kind), INCIDENT_PLACEHOLDERS)
    if isinstance(model, _Message) and model.blocks:
        _check_blocks(out, model.blocks, (*path, kind, "blocks"))
    node = _node_at(out.root, path)
    return Step(kind, model, node.start_mark.line + 1 if node is not None else 1)


def _load_runbook(file: Path, problems: list[str]) -> Runbook | None:
    read = _read(file, problems)
    if read is None:
        return None
    raw, root = read
    out = _Problems(file, root)
    if not isinstance(raw, dict):
        problems.append(f"{file} line 1: a runbook is a mapping with name, trigger and steps")
        return None
    trigger = raw.get("trigger")
    if isinstance(trigger, dict) and True in trigger:  # YAML 1.1 reads a bare `on:` as true
        trigger["on"] = trigger.pop(True)
    try:
        parsed = _RunbookFile.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            msg = error_text(err)
            if err["type"] == "extra_forbidden":
                msg = f"unknown key '{err['loc'][-1]}': remove it or check its spelling"
            elif err["type"] == "missing":
                msg = f"'{err['loc'][-1]}' is missing: add it"
            out.add(tuple(err["loc"]), msg)
        problems += out.lines
        return None
    steps = [_parse_step(out, s, ("steps", i)) for i, s in enumerate(parsed.steps)]
    problems += out.lines
    if out.lines:
        return None
    return Runbook(parsed.name, parsed.trigger, tuple(s for s in steps if s), str(file))


def load_runbooks(folder: Path, services: set[str]) -> tuple[tuple[Runbook, ...], list[str]]:
    """Every *.yml / *.yaml runbook in `folder` (sorted by file name), and the problems."""
    if not folder.is_dir():
        return (), [f"runbooks_dir {folder} is not a folder: create it or fix runbooks_dir"]
    problems: list[str] = []
    runbooks: list[Runbook] = []
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))
    for file in files:
        runbook = _load_runbook(file, problems)
        if runbook is None:
            continue
        unknown = sorted(runbook.trigger.service - services)
        if unknown:
            known = ", ".join(sorted(services)) or "none configured"
            problems.append(
                f"{file}: trigger names unknown service '{unknown[0]}' (services: {known})"
            )
        if any(r.name == runbook.name for r in runbooks):
            problems.append(f"{file}: another runbook is named '{runbook.name}': rename one")
        runbooks.append(runbook)
    return tuple(runbooks), problems


# --- templates -----------------------------------------------------------------------------
def load_templates(
    config: TemplatesConfig, base: Path
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Each configured template as its blocks, and the problems."""
    out: dict[str, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for kind, allowed in TEMPLATE_PLACEHOLDERS.items():
        name = getattr(config, kind)
        if not name:
            continue
        file = (base / name) if not Path(name).is_absolute() else Path(name)
        read = _read(file, problems)
        if read is None:
            continue
        raw, root = read
        found = _Problems(file, root)
        blocks, path = raw, tuple[str, ...]()
        if isinstance(raw, dict) and "blocks" in raw:
            blocks, path = raw["blocks"], ("blocks",)
        if not isinstance(blocks, list) or not blocks:
            problems.append(
                f'{file} line 1: a template is a list of Block Kit blocks (or {{"blocks": [...]}})'
            )
            continue
        _check_placeholders(found, blocks, path, allowed)
        _check_blocks(found, blocks, path)
        problems += found.lines
        if not found.lines:
            out[kind] = blocks
    return out, problems


def attach(config: Any, config_path: Path) -> Any:
    """Load the runbooks and templates `config` names (paths relative to the config file)."""
    from app.settings import StartupError

    base = config_path.parent
    problems: list[str] = []
    if config.runbooks_dir:
        folder = Path(config.runbooks_dir)
        runbooks, found = load_runbooks(
            folder if folder.is_absolute() else base / folder, set(config.services)
        )
        problems += found
        config._runbooks = runbooks
    templates, found = load_templates(config.templates, base)
    problems += found
    config._templates = templates
    if problems:
        raise StartupError("\n".join(problems))
    return config
