"""The load generators: wrk (HTTP) and pgbench (SQL), run as separate processes, and the
figures read back from them."""

from __future__ import annotations

import json
import math
import re
import signal
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import Processes, machine_busy_seconds

WRK_DIR = Path(__file__).resolve().parent / "wrk"
RESULT_PREFIX = "BENCH-RESULT "
THREAD_DONE = "BENCH-THREAD-DONE"
# wrk leaves answers slower than its timeout out of the latency histogram (counting them as
# timeouts), so the timeout is set far above any latency worth measuring.
WRK_TIMEOUT_S = 60


@dataclass
class Measurement:
    """One run of one scenario: a rate (requests or transactions per second), latency
    percentiles in milliseconds, and the errors seen."""

    rate: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int
    seconds: float
    detail: dict = field(default_factory=dict)


def median_of(runs: list[Measurement]) -> Measurement:
    """The median of each figure over the runs; errors and requests summed."""
    if len(runs) == 1:
        return runs[0]
    return Measurement(
        rate=statistics.median(run.rate for run in runs),
        p50=statistics.median(run.p50 for run in runs),
        p95=statistics.median(run.p95 for run in runs),
        p99=statistics.median(run.p99 for run in runs),
        errors=sum(run.errors for run in runs),
        requests=sum(run.requests for run in runs),
        seconds=sum(run.seconds for run in runs),
        detail={"runs": [run.rate for run in runs]},
    )


def run_wrk(
    processes: Processes,
    *,
    url: str,
    script: str,
    seconds: int,
    connections: int,
    threads: int,
    script_args: list[str] | None = None,
    stop_when_threads_done: bool = False,
) -> Measurement:
    """Run wrk against ``url`` for ``seconds`` (an upper bound when ``stop_when_threads_done``:
    then wrk is ended as soon as every thread of the script said it is done)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        "-s",
        str(WRK_DIR / script),
        url,
    ]
    if script_args:
        command += ["--", *script_args]
    busy_before, all_before = machine_busy_seconds()
    process = processes.start(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    done = 0
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if stop_when_threads_done and line.startswith(THREAD_DONE):
                done += 1
                if done == threads:
                    process.send_signal(signal.SIGINT)  # wrk prints its summary and exits
        process.wait(timeout=30)
    finally:
        processes.stop(process)
    busy_after, all_after = machine_busy_seconds()
    result = next((line for line in lines if line.startswith(RESULT_PREFIX)), None)
    if result is None:
        tail = "\n".join(lines[-10:])
        raise RuntimeError(f"wrk gave no result (exit {process.returncode}):\n{tail}")
    data = json.loads(result.removeprefix(RESULT_PREFIX))
    seconds_run = data["duration_us"] / 1e6
    errors = sum(data[key] for key in data if key.startswith("err_"))
    data["complete"] = done == threads if stop_when_threads_done else True
    # the whole machine's CPU while wrk ran (server, database, cache, wrk, and anything else)
    data["machine_busy_s"] = busy_after - busy_before
    data["machine_s"] = all_after - all_before
    return Measurement(
        rate=data["requests"] / seconds_run if seconds_run else 0.0,
        p50=data["p50_us"] / 1000,
        p95=data["p95_us"] / 1000,
        p99=data["p99_us"] / 1000,
        errors=errors,
        requests=data["requests"],
        seconds=seconds_run,
        detail=data,
    )


def machine_cpu(runs: list[Measurement]) -> tuple[float, float] | None:
    """The whole machine's CPU milliseconds per unit of the runs (a request, or what the
    scenario's rate counts: a registration, a sign-up) and the share of the cores that were
    busy, each the median over the runs measured by ``run_wrk``; None when none was. Unlike a
    rate, the CPU per unit does not change when the cores wait (for a lock, a disk) or the host
    gives the machine less time, which tells a costlier design from a run that got less of the
    machine; other processes on this machine do count in it."""
    per_unit, busy = [], []
    for run in runs:
        used, cores = run.detail.get("machine_busy_s"), run.detail.get("machine_s")
        units = run.rate * run.seconds
        if used is None or not cores or units <= 0:
            continue
        per_unit.append(1000 * used / units)
        busy.append(used / cores)
    if not per_unit:
        return None
    return statistics.median(per_unit), statistics.median(busy)


def run_pgbench(
    processes: Processes,
    *,
    database_url: str,
    script: Path,
    seconds: int,
    clients: int,
    jobs: int,
    variables: dict[str, str | int],
) -> Measurement:
    """Run ``script`` with pgbench; latency percentiles come from its per-transaction log."""
    with tempfile.TemporaryDirectory(prefix="kongres-pgbench-") as folder:
        command = [
            "pgbench",
            "-n",
            f"-c{clients}",
            f"-j{jobs}",
            f"-T{seconds}",
            "-f",
            str(script),
            "--log",
            f"--log-prefix={folder}/tx",
        ]
        for name, value in variables.items():
            command += ["-D", f"{name}={value}"]
        command.append(database_url)
        process = processes.start(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            output, _ = process.communicate(timeout=seconds + 60)
        finally:
            processes.stop(process)
        if process.returncode != 0:
            tail = "\n".join(output.splitlines()[-10:])
            raise RuntimeError(f"pgbench failed (exit {process.returncode}):\n{tail}")
        latencies = []
        for log in Path(folder).glob("tx*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    latencies.append(int(parts[2]) / 1000)  # µs → ms
    tps = _number(r"^tps = ([\d.]+) \(without initial connection time\)", output)
    processed = int(_number(r"number of transactions actually processed: (\d+)", output))
    failed = int(_number(r"number of failed transactions: (\d+)", output, default=0))
    latencies.sort()
    return Measurement(
        rate=tps,
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        errors=failed,
        requests=processed,
        seconds=float(seconds),
        detail={"output": output},
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _number(pattern: str, text: str, default: float | None = None) -> float:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        if default is not None:
            return default
        raise RuntimeError(f"pgbench output lacks {pattern!r}:\n{text}")
    return float(match.group(1))
