"""Real redis-server processes for tests (no fakes)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    def __init__(
        self,
        *,
        port: int | None = None,
        appendonly: bool = False,
        data_dir: Path | None = None,
        replicaof: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.appendonly = appendonly
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="beacon-redis-"))
        self.replicaof = replicaof  # port of a master on 127.0.0.1
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (run `make test`, which installs it)"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "always",
                "--loglevel",
                "warning",
                # Redis 7 waits 5 s for more replicas before a diskless full sync; tests can't.
                "--repl-diskless-sync-delay",
                "0",
                *(["--replicaof", "127.0.0.1", str(self.replicaof)] if self.replicaof else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.proc, "redis-server")
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final fsync, like a crash or the OOM killer."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} on {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not start on {port}")


class SentinelProcess:
    """One redis-sentinel watching a master on 127.0.0.1; its config file lives in `workdir`."""

    def __init__(
        self,
        master_port: int,
        workdir: Path,
        *,
        name: str = "mymaster",
        quorum: int = 2,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 5000,
    ) -> None:
        self.port = free_port()
        self.conf = workdir / f"sentinel-{self.port}.conf"
        # Sentinel rewrites its config file as it learns the topology, so each gets its own.
        self.conf.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            f"dir {workdir}\n"
            "sentinel resolve-hostnames no\n"
            f"sentinel monitor {name} 127.0.0.1 {master_port} {quorum}\n"
            f"sentinel down-after-milliseconds {name} {down_after_ms}\n"
            f"sentinel failover-timeout {name} {failover_timeout_ms}\n"
            f"sentinel parallel-syncs {name} 1\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> SentinelProcess:
        binary = shutil.which("redis-sentinel")
        assert binary, "redis-sentinel is not installed (run scripts/bootstrap.sh)"
        self.proc = subprocess.Popen(
            [binary, str(self.conf), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.proc, "redis-sentinel")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
