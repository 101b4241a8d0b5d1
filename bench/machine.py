"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _meminfo_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tool_version(command: list[str]) -> str:
    try:
        result = subprocess.run(  # noqa: S603 - fixed command lines
            command, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].split(" [")[0].split(" Copyright")[0] if lines else "unknown"


def load_average() -> str:
    """1, 5 and 15 minute load averages: how busy the machine was (other work skews figures)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return " ".join(f"{value:.2f}" for value in load)


def describe(*, postgres: str) -> dict[str, str]:
    return {
        "cores (nproc)": str(cores()),
        "memory": _meminfo_gib(),
        "CPU": _cpu_model(),
        "load average at start": load_average(),
        "Python": platform.python_version(),
        "Django": _version("django"),
        "PostgreSQL": postgres,
        "gunicorn": _version("gunicorn"),
        "granian": _version("granian"),
        "psycopg": _version("psycopg"),
        "wrk": _tool_version(["wrk", "-v"]),
        "pgbench": _tool_version(["pgbench", "--version"]),
    }
