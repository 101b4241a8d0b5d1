"""The processes the bench starts (server, wrk, pgbench): each in its own process group, so that
stopping one stops its children too, and all of them stopped on the way out, whatever happens."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds of all cores so far (``/proc/stat``): (busy, total). Busy is what this
    machine's processes and kernel ran; the total also holds the idle time, the time waiting
    for a disk, and the time the host gave to other machines (steal)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    not_running = fields[3] + fields[4] + fields[7]  # idle, iowait, steal
    total = sum(fields[:8])  # without guest time, which user time already holds
    return (total - not_running) / ticks, total / ticks


class Processes:
    """Everything started through ``start``; ``stop_all`` ends what is still running."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen] = []

    def start(
        self,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdout: int | IO | None = None,
        stderr: int | IO | None = None,
    ) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - our own command lines
            list(command),
            env=env,
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killpg reaches its workers
            text=True,
        )
        self._started.append(process)
        return process

    def stop(self, process: subprocess.Popen, *, timeout: float = 15.0) -> None:
        """SIGTERM to the process group, then SIGKILL after ``timeout`` seconds."""
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        # workers left behind by a master that died first
        _signal_group(process, signal.SIGKILL)
        if process in self._started:
            self._started.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self._started)):
            self.stop(process)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, *, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail if the server exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = str(error)
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s ({last_error})")


def drain(url: str, *, timeout: float = 300.0) -> None:
    """One GET to ``url`` that waits as long as the server's queue takes."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - 127.0.0.1
        response.read()


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (the workers of a gunicorn or granian master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")"
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (VmRSS), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
