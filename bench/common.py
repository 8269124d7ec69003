"""Shared pieces: percentiles, machine facts, result files, the emulator and app processes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

from slack_emulator import DEFAULT_SCOPES, SlackEmulator

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
CHANNELS = ("incidents", "incidents-critical", "random")
USERS = (
    ("UALICE", "alice", "Alice Example", "alice@example.com"),
    ("UBOB", "bob", "Bob Example", "bob@example.com"),
)
BENCH_CONFIG = """\
default_channel: "#incidents"
severities:
  P1: {channel: "#incidents-critical"}
services:
  payments: {name: Payments}
"""


# --- numbers ---------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(latencies_s: Iterable[float]) -> dict[str, float]:
    values = [v * 1000 for v in latencies_s]
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "max_ms": round(max(values), 2),
        "mean_ms": round(sum(values) / len(values), 2),
    }


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


# --- machine and results ---------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    redis_version = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        redis_version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "redis_server": redis_version,
        "kernel": platform.release(),
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }


def source_state() -> dict[str, Any]:
    """Which code was measured: HEAD, and a hash of uncommitted changes (others edit the tree).
    In a copy made by bench.snapshot (HEAD exported, no .git), what snapshot.py recorded."""
    exported = Path(__file__).resolve().parent / "source.json"
    if exported.exists():
        return json.loads(exported.read_text())

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    diff = git("diff", "HEAD", "--", "app", "listeners", "views", "slack_emulator")
    dirty = [line for line in git("status", "--porcelain").splitlines() if "bench/" not in line]
    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(dirty),
        "diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12] if diff else "",
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(
        json.dumps(
            {"benchmark": name, "machine": machine(), "source": source_state(), **payload},
            indent=2,
        )
    )
    return path


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds a process has used (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the emulator ----------------------------------------------------------------------------
async def start_emulator(**kwargs: Any) -> SlackEmulator:
    """An emulated workspace with Beacon's manifest scopes, two users and the bench channels."""
    scopes = kwargs.pop("scopes", None)
    if scopes is None:
        scopes = manifest_scopes()
    emu = SlackEmulator(scopes=scopes, ack_timeout=kwargs.pop("ack_timeout", 30.0), **kwargs)
    await emu.start()
    members = [emu.add_user(uid, name, real, email) for uid, name, real, email in USERS]
    for name in CHANNELS:
        emu.add_channel(name, members=members)
    return emu


def manifest_scopes() -> list[str]:
    try:
        import yaml

        manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
        return list(manifest["oauth_config"]["scopes"]["bot"])
    except (OSError, KeyError, TypeError, ImportError):
        return list(DEFAULT_SCOPES)


def slash_payload(emu: SlackEmulator, user_id: str, channel_id: str, text: str) -> dict[str, Any]:
    """A slash_commands payload shaped like the driver's (fresh trigger and response_url)."""
    user = emu.users[user_id]
    return {
        "token": "verification-token",
        "team_id": emu.team_id,
        "team_domain": emu.team_domain,
        "channel_id": channel_id,
        "channel_name": emu.channels[channel_id].name,
        "user_id": user_id,
        "user_name": user.name,
        "command": "/incident",
        "text": text,
        "api_app_id": emu.app_id,
        "is_enterprise_install": "false",
        "response_url": emu.new_response_url(user_id, channel_id, None),
        "trigger_id": emu.issue_trigger(user_id),
    }


async def send_burst(
    emu: SlackEmulator,
    envelope_type: str,
    payloads: list[dict[str, Any]],
    *,
    chunk: int = 100,
    timeout: float = 120.0,  # noqa: ASYNC109
) -> tuple[list[float], int, float]:
    """Send every payload without waiting for acks (gather per chunk), then wait for the acks.

    Returns (ack latencies in seconds, envelopes never acked, wall seconds of the burst).
    """
    first_ack = len(emu.acks)
    first_env = len(emu.envelopes)
    started = time.perf_counter()
    for i in range(0, len(payloads), chunk):
        await asyncio.gather(
            *(emu.deliver(envelope_type, p, wait_ack=False) for p in payloads[i : i + chunk])
        )
    ids = {e["envelope_id"] for e in emu.envelopes[first_env:]}
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:  # bounded: at most `timeout` seconds
        acked = sum(1 for a in emu.acks[first_ack:] if a.envelope_id in ids)
        if acked >= len(ids):
            break
        await asyncio.sleep(0.01)
    wall = time.perf_counter() - started
    lat = [a.latency_s for a in emu.acks[first_ack:] if a.envelope_id in ids]
    return lat, len(ids) - len(lat), wall


# --- apps in their own process ---------------------------------------------------------------
class Periodic:
    """Calls `tick()` at start, every `every_s` until stop, and once more at stop."""

    every_s = 0.01
    _task: asyncio.Task[None] | None = None

    def tick(self) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            self.tick()
            await asyncio.sleep(self.every_s)

    def start(self) -> Self:
        self.tick()
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.tick()


class AppProcess:
    """`python -m bench.app_proc ...` in a child process: the app, as Slack would see it."""

    def __init__(
        self,
        kind: str,
        emu: SlackEmulator,
        log_name: str,
        settings: dict[str, str] | None = None,
        **opts: str,
    ) -> None:
        self.kind = kind
        self.emu = emu
        self.log_path = RESULTS / f"{log_name}.log"
        self.opts = opts
        self.settings = settings or {}
        self.proc: subprocess.Popen | None = None
        self._log: Any = None

    async def start(self) -> AppProcess:
        RESULTS.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable,
            "-m",
            "bench.app_proc",
            self.kind,
            "--api-url",
            self.emu.base_url,
            "--bot-token",
            self.emu.bot_token,
            "--app-token",
            self.emu.app_token,
        ]
        for key, value in self.opts.items():
            args += [f"--{key.replace('_', '-')}", value]
        for key, value in self.settings.items():
            args += ["--setting", f"{key}={value}"]
        before = self.emu.connections
        self._spawn(args)
        try:
            await self.emu.wait_connected(before + 1, timeout=30)
        except TimeoutError:
            await self.stop()
            raise RuntimeError(f"{self.kind} app did not connect; see {self.log_path}") from None
        return self

    def _spawn(self, args: list[str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEACON_"))}
        env.pop("REDIS_URL", None)
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=self._log)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            for _ in range(100):  # up to 10 s
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


def bench_config_file() -> Path:
    path = Path(tempfile.mkdtemp(prefix="beacon-bench-")) / "beacon.yml"
    path.write_text(BENCH_CONFIG)
    return path


# --- redis-server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server on a free loopback port: no persistence, or AOF with `appendfsync`
    always (Beacon's embedded default) or everysec."""

    def __init__(self, *, appendonly: bool = False, appendfsync: str = "always") -> None:
        self.port = free_port()
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.data_dir = Path(tempfile.mkdtemp(prefix="beacon-bench-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed (scripts/bootstrap.sh installs it)")
        # fmt: off
        args = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--save", "", "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.appendfsync, "--loglevel", "warning",
        ]
        # fmt: on
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.data_dir, ignore_errors=True)
