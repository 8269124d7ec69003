"""A private redis-server child process for laptops and the sandbox (REDIS_URL unset)."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

from app.settings import StartupError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """redis-server on 127.0.0.1 with AOF on and fsync on every write (no lost incidents)."""

    def __init__(self, data_dir: Path, *, port: int | None = None, fsync: str = "always") -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self.fsync = fsync
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, wait_s: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StartupError(
                "REDIS_URL is not set and redis-server is not installed: run "
                "`apt-get install redis-server` (or `make run`, which installs it), or set "
                "REDIS_URL to your Redis"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            self.fsync,
            "--save",
            "",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline:
            if self.proc.returncode is not None:
                raw = await self.proc.stderr.read() if self.proc.stderr else b""
                err = raw.decode(errors="replace").strip()
                raise StartupError(f"embedded redis-server exited: {err.splitlines()[-1:]}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise StartupError(f"embedded redis-server did not start on port {self.port}")

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
