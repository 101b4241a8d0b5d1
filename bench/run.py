"""``make bench`` (``python -m bench``): start a production-like server on a PostgreSQL database
of its own, load it from wrk and pgbench, print a table and the targets, write bench/RESULTS.md,
and stop everything it started. ``python -m bench --help`` lists the options."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import api, checkin, db, machine, report, rush
from bench import sessions as session_rush
from bench.load import Measurement, machine_cpu, median_of, run_pgbench, run_wrk
from bench.procs import Processes, children, drain, free_port, rss_mb, wait_until_serving

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kongres_bench"
# The servers share their cache (page cache, content generation, form tokens) through Redis, as
# deployed (deploy/kongres.toml.example); emptied at the start of a run. The same database of
# Redis as bench/production.py's, which runs after this one and empties it again.
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"
WRK_THREADS = 2


@dataclass(frozen=True)
class Server:
    """How the site is served: gunicorn (sync or gthread workers) or granian (WSGI)."""

    kind: str
    workers: int
    threads: int = 1

    @property
    def name(self) -> str:
        threads = f"x{self.threads}" if self.threads > 1 else ""
        return f"{self.kind}-{self.workers}{threads}"

    @property
    def label(self) -> str:
        if self.kind == "granian":
            return f"granian (WSGI), {self.workers} workers"
        if self.threads > 1:
            return f"gunicorn, {self.workers} gthread workers x {self.threads} threads"
        return f"gunicorn, {self.workers} sync workers"

    def command(self, port: int) -> list[str]:
        if self.kind == "granian":
            return [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--blocking-threads",
                str(self.threads),
                "--log-level",
                "warning",
                "kongres.wsgi:application",
            ]
        worker = ["--worker-class", "sync"]
        if self.threads > 1:
            worker = ["--worker-class", "gthread", "--threads", str(self.threads)]
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "kongres.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.workers),
            *worker,
            "--chdir",
            str(REPO),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
        ]


# What a scenario's rate counts, for the machine's CPU per unit.
CPU_UNITS = {
    "rush": "registration",
    "sessions": "sign-up",
    "checkin": "scan",
    "api-register": "registration",
}


def machine_cpu_line(scenarios: list, runs: dict[str, list[Measurement]], failed: set[str]) -> str:
    """One line: the whole machine's CPU per unit of each scenario run by wrk, with the
    share of the cores busy, and for the rush, the sign-ups and the API create the naive
    ceiling's CPU per request over theirs (the ratio of their rates if both kept the cores
    equally busy). Empty when no scenario has the figures."""
    found = {}
    for scenario in scenarios:
        if scenario.key in failed or not runs.get(scenario.key):
            continue
        cpu = machine_cpu(runs[scenario.key])
        if cpu is not None:
            found[scenario.key] = cpu
    if not found:
        return ""
    naive = found.get("naive")
    parts = []
    for key, (per_unit, busy) in found.items():
        unit = CPU_UNITS.get(key, "request")
        part = f"{key} {per_unit:.2f} ms a {unit} ({100 * busy:.0f}% busy)"
        if naive is not None and key in ("rush", "sessions", "api-register"):
            part += f" = {naive[0] / per_unit:.2f} x naive"
        parts.append(part)
    return (
        "the whole machine's CPU per unit (server, PostgreSQL, Redis, wrk; the median of the "
        "runs, by scenario): " + "; ".join(parts)
    )


SERVERS = ("sync", "gthread", "granian")


def main_server(options: Options) -> Server:
    """The server of the scenarios: granian unless told otherwise (the fastest on every
    scenario, bench/README.md "Which server, and why"); gunicorn sync workers when granian is
    not installed."""
    if options.server == "granian" and importlib.util.find_spec("granian") is not None:
        return Server("granian", options.workers)
    if options.server == "gthread":
        return Server("gunicorn", options.workers, threads=4)
    return Server("gunicorn", options.workers)


@dataclass
class Scenario:
    """One scenario of the main server: ``measure(number)`` makes one run of it, ``after``
    cleans up after each run (the ceilings' rows)."""

    key: str
    title: str
    what: str
    measure: Callable[[int], Measurement]
    after: Callable[[], None] | None = None


@dataclass
class Options:
    quick: bool
    seconds: int
    runs: int
    connections: int
    workers: int
    seats: int
    people: int
    checkin_people: int
    server: str
    compare: bool
    results: Path
    database_url: str
    cache_url: str
    data_dir: Path
    only: frozenset[str] = frozenset()  # empty: everything


@dataclass
class Results:
    """Everything measured in one run, for the table, the targets and RESULTS.md."""

    machine: dict[str, str] = field(default_factory=dict)
    rows: list[report.Row] = field(default_factory=list)
    comparison: list[report.ComparisonRow] = field(default_factory=list)
    rush_checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)
    memory_when: str = ""
    oversell: int | None = None
    ceilings: dict[str, Measurement] = field(default_factory=dict)
    pages: dict[str, Measurement] = field(default_factory=dict)
    rush: Measurement | None = None
    server: str = ""
    checkin: Measurement | None = None
    checkin_checks: list[str] = field(default_factory=list)
    api: dict[str, Measurement] = field(default_factory=dict)  # issue 21: the JSON API
    api_checks: list[str] = field(default_factory=list)
    # the session sign-up rush (issue 18)
    sessions: Measurement | None = None
    sessions_checks: list[str] = field(default_factory=list)
    sessions_over: int | None = None
    not_yet: dict[str, str] = field(default_factory=dict)
    side: list[str] = field(default_factory=list)  # lines of bench/exports.py, messages.py


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="The registration rush and the public pages under load, against ceilings "
        "measured in the same run (see bench/README.md).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 2 s runs, 1 repetition, a rush of 20 seats for 200 people, "
        "no server comparison",
    )
    parser.add_argument("--seconds", type=int, help="seconds per run (10; quick: 2)")
    parser.add_argument("--runs", type=int, help="repetitions, the median is kept (3; quick: 1)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients (64)")
    parser.add_argument(
        "--workers",
        type=int,
        default=machine.cores(),
        help=f"server workers (the cores: {machine.cores()})",
    )
    parser.add_argument("--seats", type=int, help="seats in the rush (500; quick: 20)")
    parser.add_argument("--people", type=int, help="people in the rush (5000; quick: 200)")
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default="granian",
        help="the server of the scenarios: granian (WSGI, the default; gunicorn sync workers "
        "when granian is not installed), gunicorn sync workers (sync) or gunicorn gthread "
        "workers with 4 threads (gthread); one worker per core, or --workers",
    )
    parser.add_argument(
        "--tickets", type=int, help="tickets to scan at check-in (5000; quick: 500)"
    )
    parser.add_argument(
        "--no-compare",
        dest="compare",
        action="store_false",
        default=None,
        help="skip the comparison of servers (on by default, off with --quick)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=REPO / "var" / "bench",
        help="the server's data folder: static files, secret key, logs (var/bench)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=BENCH_DIR / "RESULTS.md",
        help="where to write the results (bench/RESULTS.md)",
    )
    parser.add_argument(
        "--only",
        help="run only these scenarios, comma-separated, of: "
        + ", ".join(SCENARIO_GROUPS)
        + " (to compare two versions of the code quickly; the targets then say what is missing)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    only = frozenset(filter(None, (args.only or "").split(",")))
    if only - set(SCENARIO_GROUPS):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(SCENARIO_GROUPS)))}")
    options = Options(
        quick=quick,
        seconds=args.seconds or (2 if quick else 10),
        runs=args.runs or (1 if quick else 3),
        connections=args.connections,
        workers=args.workers,
        seats=args.seats or (20 if quick else 500),
        people=args.people or (200 if quick else 5000),
        checkin_people=args.tickets or (500 if quick else 5000),
        server=args.server,
        compare=(not quick) if args.compare is None else args.compare,
        results=args.results,
        database_url=os.environ.get("KONGRES_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        cache_url=os.environ.get("KONGRES_BENCH_CACHE_URL") or DEFAULT_CACHE_URL,
        data_dir=args.data_dir.resolve(),
        only=only,
    )
    if options.people % WRK_THREADS:
        parser.error(f"--people must be a multiple of {WRK_THREADS} (one share per wrk thread)")
    if options.seats > options.people:
        parser.error("--seats must not exceed --people")
    return options


# What ``--only`` takes: a scenario's key, or "pages" for all the public pages.
SCENARIO_GROUPS = (
    "hello",
    "naive",
    "database",
    "pages",
    "rush",
    "sessions",
    "checkin",
    "api",
    "exports",
)


def _group(key: str) -> str:
    if key.startswith("api-"):
        return "api"
    return "pages" if key.startswith("page:") else key


def log(message: str) -> None:
    print(f"bench: {message}", flush=True)


class Bench:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.processes = Processes()
        self.results = Results()
        self.port = 0
        self.base_url = ""
        self.server_process = None
        self.prepared: dict = {}
        self.rush: rush.Rush | None = None
        self.checkin: checkin.Checkin | None = None
        self.api_register: api.ApiRegister | None = None
        self.sessions: session_rush.SessionRush | None = None

    # --- environment ------------------------------------------------------------------------

    def environment(self, port: int = 0) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings_relaxed",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])
                ),
                "KONGRES_DATABASE_URL": self.options.database_url,
                "KONGRES_CACHE_URL": self.options.cache_url,
                "KONGRES_DATA_DIR": str(self.options.data_dir),
                "KONGRES_DEBUG": "false",
                "KONGRES_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "KONGRES_SITE_URL": f"http://127.0.0.1:{port or 8000}",
                "KONGRES_MAIL_URL": f"file:{self.options.data_dir / 'mail'}",
            }
        )
        return env

    # --- servers ----------------------------------------------------------------------------

    def server_start(self, server: Server) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        server_log = self.options.data_dir / f"server-{server.name}.log"
        handle = server_log.open("w")
        self.server_process = self.processes.start(
            server.command(self.port),
            env=self.environment(self.port),
            cwd=REPO,
            stdout=handle,
            stderr=handle,
        )
        handle.close()
        log(
            f"server: {server.label} at {self.base_url} "
            f"(pid {self.server_process.pid}, log {server_log})"
        )
        wait_until_serving(f"{self.base_url}/bench/hello/", process=self.server_process)

    def drain(self) -> None:
        """Wait until the server has answered what wrk left in its queue when it stopped
        (gunicorn's sync workers still answer every accepted connection), so that the next run
        starts on an idle server: one request to hello comes back only after them."""
        drain(f"{self.base_url}/bench/hello/")

    def server_stop(self) -> None:
        if self.server_process is not None:
            self.processes.stop(self.server_process)
            self.server_process = None

    def worker_memory(self) -> list[float]:
        if self.server_process is None:
            return []
        sizes = [rss_mb(pid) for pid in children(self.server_process.pid)]
        return [size for size in sizes if size is not None]

    # --- scenarios --------------------------------------------------------------------------

    def wrk_once(self, path: str, *, script: str = "get.lua", seconds: int = 0) -> Measurement:
        """One wrk run against ``path``; then wait until the server's queue is empty."""
        measurement = run_wrk(
            self.processes,
            url=f"{self.base_url}{path}",
            script=script,
            seconds=seconds or self.options.seconds,
            connections=self.options.connections,
            threads=WRK_THREADS,
        )
        self.drain()
        return measurement

    def pgbench_once(self) -> Measurement:
        return run_pgbench(
            self.processes,
            database_url=self.options.database_url,
            script=BENCH_DIR / "register.sql",
            seconds=self.options.seconds,
            clients=self.options.connections,
            jobs=WRK_THREADS,
            variables={"edition": self.prepared["ceiling_edition"]},
        )

    def clear_ceiling_rows(self) -> None:
        db.ceiling_rows_clear(edition_id=self.prepared["ceiling_edition"])

    def scenarios(self, rush_plan: rush.Plan) -> list[Scenario]:
        """What runs on the main server, in the order of each round; what cannot run is
        recorded with its reason."""
        naive_path = f"/bench/naive-register/?edition={self.prepared['ceiling_edition']}"
        found = [
            Scenario(
                "hello",
                "framework ceiling: hello world",
                "GET /bench/hello/",
                lambda number: self.wrk_once("/bench/hello/"),
            ),
            Scenario(
                "naive",
                "naive-ORM ceiling: lock the edition row, insert",
                f"POST {naive_path}",
                lambda number: self.wrk_once(naive_path, script="naive.lua"),
                after=self.clear_ceiling_rows,
            ),
        ]
        if shutil.which("pgbench") is None:
            self.results.not_yet["database ceiling"] = (
                "pgbench not found: apt-get install postgresql-client"
            )
        else:
            found.append(
                Scenario(
                    "database",
                    "database ceiling: pgbench, bench/register.sql",
                    f"{self.options.connections} clients",
                    lambda number: self.pgbench_once(),
                    after=self.clear_ceiling_rows,
                )
            )
        if not self.prepared["demo"]:
            self.results.not_yet["public pages"] = "not yet: kongres demo not available"
        for page in self.prepared["pages"]:
            found.append(
                Scenario(
                    f"page:{page.name}",
                    f"public page: {page.name}",
                    f"GET {page.path}",
                    lambda number, path=page.path: self.wrk_once(path),
                )
            )
        if self.prepared["demo"]:
            path = api.programme_path()
            found.append(
                Scenario(
                    "api-programme",
                    "API: public programme (JSON)",
                    f"GET {path}",
                    lambda number, path=path: self.wrk_once(path),
                )
            )
        self.results.memory_when = "after the load, no rush"
        if not rush_plan.ready:
            self.results.not_yet["registration rush"] = rush_plan.reason
            self.add_api_register(found)
            return found
        self.rush = rush.Rush(
            self.processes,
            plan=rush_plan,
            base_url=self.base_url,
            connections=self.options.connections,
            threads=WRK_THREADS,
            edition_id=self.prepared["rush_edition"],
            log=log,
        )
        reason = self.rush.start()
        if reason:
            self.results.not_yet["registration rush"] = reason
            self.rush = None
        else:
            found.append(
                Scenario("rush", "registration rush", self.rush.describe(), self.rush.run_once)
            )
            self.add_sessions(found, rush_plan)
        self.add_checkin(found)
        self.add_api_register(found)
        return found

    def add_api_register(self, found: list[Scenario]) -> None:
        """API registration create (issue 21), last in each round: it resets the rush's
        edition with room for everyone (the rush resets it again before its next run)."""
        if self.prepared["rush_edition"] is None:
            self.results.not_yet["API registration create"] = "not yet: no edition to register in"
            return
        register = api.ApiRegister(
            self.processes,
            base_url=self.base_url,
            edition_id=self.prepared["rush_edition"],
            connections=self.options.connections,
            threads=WRK_THREADS,
            seconds=self.options.seconds,
            log=log,
        )
        reason = register.start()
        db.close_connections()
        if reason:
            self.results.not_yet["API registration create"] = reason
            return
        self.api_register = register
        found.append(
            Scenario(
                "api-register", "API: registration create", register.describe(), register.run_once
            )
        )

    def add_sessions(self, found: list[Scenario], rush_plan: rush.Plan) -> None:
        """The session sign-up rush (issue 18): as many participants as the rush has people."""
        self.sessions = session_rush.SessionRush(
            self.processes,
            base_url=self.base_url,
            form_path=rush_plan.form_path,
            connections=self.options.connections,
            threads=WRK_THREADS,
            edition_id=self.prepared["rush_edition"],
            people=self.options.people,
            folder=self.options.data_dir,
            log=log,
        )
        found.append(
            Scenario(
                "sessions",
                "session sign-up rush",
                self.sessions.describe(),
                self.sessions.run_once,
            )
        )

    def add_checkin(self, found: list[Scenario]) -> None:
        """The check-in scenario, after the rush (which empties the edition it scans in)."""
        if not checkin.available():
            self.results.not_yet["check-in"] = checkin.NOT_AVAILABLE
            return
        self.checkin = checkin.Checkin(
            self.processes,
            base_url=self.base_url,
            edition_id=self.prepared["rush_edition"],
            people=self.options.checkin_people,
            seconds=self.options.seconds,
            folder=self.options.data_dir,
            log=log,
        )
        found.append(
            Scenario("checkin", "check-in", self.checkin.describe(), self.checkin.run_once)
        )

    def measure(self, scenarios: list[Scenario]) -> None:
        """A warm-up of each HTTP scenario (not in quick mode), then ``runs`` rounds of one run
        of every scenario: each scenario's runs are spread over the whole measurement, so that
        a machine busy with other work for a while skews the ceilings and what is compared with
        them alike. The median of each is kept."""
        options = self.options
        if not options.quick:
            log("== warm-up: 1 s of each page and ceiling view")
            self.wrk_once("/bench/hello/", seconds=1)
            self.wrk_once(
                f"/bench/naive-register/?edition={self.prepared['ceiling_edition']}",
                script="naive.lua",
                seconds=1,
            )
            self.clear_ceiling_rows()
            for page in self.prepared["pages"]:
                self.wrk_once(page.path, seconds=1)
        for scenario in scenarios:
            log(f"   {scenario.title}: {scenario.what}")
        runs: dict[str, list[Measurement]] = {scenario.key: [] for scenario in scenarios}
        failed: set[str] = set()
        for number in range(1, options.runs + 1):
            log(
                f"== round {number} of {options.runs} ({options.seconds} s per run, "
                f"{options.connections} connections)"
            )
            for scenario in scenarios:
                if scenario.key in failed:
                    continue
                measured = self.attempt(scenario.title, lambda s=scenario, n=number: s.measure(n))
                if scenario.after is not None:
                    self.attempt(scenario.title, scenario.after)
                if measured is None:
                    failed.add(scenario.key)
                    continue
                runs[scenario.key].append(measured)
                unit = {
                    "database": "TPS",
                    "rush": "registrations/s",
                    "sessions": "sign-ups/s",
                    "checkin": "scans/s",
                    "api-register": "registrations/s",
                }.get(scenario.key, "req/s")
                log(f"  {scenario.title}: {report.brief(measured, unit=unit)}")
        results = self.results
        cpu_line = machine_cpu_line(scenarios, runs, failed)
        if cpu_line:
            log(cpu_line)
            results.notes.append(cpu_line)
        for key, measured in runs.items():
            if not measured or key in failed:
                continue
            if key.startswith("page:"):
                results.pages[key.removeprefix("page:")] = median_of(measured)
            elif key.startswith("api-"):
                results.api[key] = median_of(measured)
            elif key not in {"rush", "checkin", "sessions"}:
                results.ceilings[key] = median_of(measured)
        if self.api_register is not None:
            results.api_checks = self.api_register.checks
        if self.checkin is not None and "checkin" not in failed and runs.get("checkin"):
            results.checkin = self.checkin.outcome()
            results.checkin_checks = self.checkin.checks
        if self.sessions is not None and "sessions" not in failed and runs.get("sessions"):
            outcome = self.sessions.outcome()
            results.sessions = outcome.measurement
            results.sessions_checks = outcome.checks
            results.sessions_over = outcome.over_capacity
        if self.rush is not None and "rush" not in failed and runs.get("rush"):
            outcome = self.rush.outcome()
            results.rush = outcome.measurement
            results.rush_checks = outcome.checks
            results.oversell = outcome.oversell
            results.memory_when = "after the rush"

    def wrk_runs(self, name: str, path: str, *, script: str = "get.lua") -> Measurement:
        """For the server comparison: a warm-up (not in quick mode), then ``runs`` runs back
        to back; the median."""
        if not self.options.quick:
            self.wrk_once(path, script=script, seconds=1)
        runs = []
        for number in range(self.options.runs):
            measurement = self.wrk_once(path, script=script)
            runs.append(measurement)
            log(f"  {name} run {number + 1}: {report.brief(measurement)}")
        return median_of(runs)

    # --- the whole run ----------------------------------------------------------------------

    def run(self) -> None:
        options = self.options
        options.data_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(
            {
                key: value
                for key, value in self.environment().items()
                if key.startswith(("KONGRES_", "DJANGO_"))
            }
        )
        if db.database_ensure(options.database_url):
            log(f"created the database {options.database_url}")
        # First, while this process is small: a child's peak memory (ru_maxrss, which these
        # report) starts from its parent's.
        if not options.only or "exports" in options.only:
            self.attempt("exports and messages", self.exports_and_messages)
        db.setup()
        db.cache_clear()
        self.prepared = db.prepare(log=log)
        self.prepared["pages"] = db.public_pages() if self.prepared["demo"] else []
        rush_plan = rush.plan(seats=options.seats, people=options.people)
        self.results.machine = machine.describe(postgres=db.server_version())
        db.close_connections()
        self.results.notes += [f"turned off for the bench: {item}" for item in rush_plan.relaxed]

        main = main_server(options)
        if options.server == "granian" and main.kind != "granian":
            self.results.notes.append(
                "granian is not installed (pip install -e '.[bench]'): the scenarios ran on "
                "gunicorn sync workers"
            )
        self.results.server = main.label
        self.server_start(main)
        try:
            scenarios = self.attempt("setup", lambda: self.scenarios(rush_plan)) or []
            if options.only:
                scenarios = [item for item in scenarios if _group(item.key) in options.only]
            self.measure(scenarios)
            self.results.memory_mb = self.worker_memory()
        finally:
            self.server_stop()

        ceilings = self.results.ceilings
        if options.compare and "hello" in ceilings and "naive" in ceilings:
            self.attempt("server comparison", lambda: self.compare(main))

    def exports_and_messages(self) -> None:
        """The back office's own benchmarks (bench/exports.py, bench/messages.py), each in a
        process of its own, while no server runs; their lines go under the table."""
        quick = self.options.quick
        found = []
        for module, rows in (
            ("bench.exports", 2_000 if quick else 50_000),
            ("bench.messages", 500 if quick else 10_000),
        ):
            if importlib.util.find_spec(module) is None:
                continue
            log(f"== {module}: {rows:,} rows")
            process = self.processes.start(
                [sys.executable, "-m", module, "--rows", str(rows)],
                env=self.environment(),
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                output, _ = process.communicate(timeout=1200)
            finally:
                self.processes.stop(process)
            lines = [
                line.strip()
                for line in output.splitlines()
                if line.strip().startswith(("csv:", "xlsx:", "messages:"))
            ]
            if not lines:
                tail = output.strip().splitlines()[-1:] or ["no output"]
                raise RuntimeError(f"{module} exited {process.returncode}: {tail[0]}")
            for line in lines:
                log(f"  {line}")
            found += lines
        if found:
            self.results.side = found
        else:
            self.results.not_yet["exports and messages"] = "not yet: back office not available"

    def attempt(self, name: str, scenario):
        """Run one scenario; a failure is reported under the table and the run goes on."""
        try:
            return scenario()
        except Exception as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            log(f"  {name} failed: {type(error).__name__}: {first}")
            self.results.not_yet[name] = f"failed: {type(error).__name__}: {first}"[:160]
            db.close_connections()
            return None

    def compare(self, main: Server) -> None:
        """The hello-world and naive-ORM ceilings and the home page under each server, one
        server after the other: which is faster."""
        results = self.results
        # The main server again, so that all servers are measured within minutes of each other.
        servers = [
            main,
            Server("gunicorn", self.options.workers),
            Server("gunicorn", 2 * self.options.workers),
            Server("gunicorn", min(2 * machine.cores(), 4), threads=4),
            Server("granian", self.options.workers),
            Server("gunicorn", self.options.workers, threads=4),
        ]
        servers = list({server.name: server for server in servers}.values())  # main first
        for server in servers:
            if server.kind == "granian" and importlib.util.find_spec("granian") is None:
                results.notes.append(
                    "granian is not installed (pip install -e '.[bench]'): left out of the "
                    "server comparison"
                )
                continue
            log(f"== server comparison: {server.label}")
            self.server_start(server)
            try:
                hello = self.wrk_runs("hello", "/bench/hello/")
                edition = self.prepared["ceiling_edition"]
                try:
                    naive = self.wrk_runs(
                        "naive ORM",
                        f"/bench/naive-register/?edition={edition}",
                        script="naive.lua",
                    )
                finally:
                    db.ceiling_rows_clear(edition_id=edition)
                home = self.wrk_runs("home", "/") if self.prepared["demo"] else None
            finally:
                self.server_stop()
            results.comparison.append(report.ComparisonRow(server.label, hello, naive, home))


def _raise_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    if shutil.which("wrk") is None:
        print(
            "bench: wrk is not installed. On Debian or Ubuntu: apt-get install -y wrk "
            "(`make bench` installs it when run as root).",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    # Ctrl-C ends the run cleanly even where the shell started it with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = dt.datetime.now().astimezone()
    bench = Bench(options)
    log(
        f"{'quick ' if options.quick else ''}run on {options.database_url}, "
        f"{options.connections} connections, {options.runs} x {options.seconds} s per scenario"
    )
    try:
        bench.run()
    except (KeyboardInterrupt, SystemExit) as stop:
        print("\nbench: interrupted; stopping what it started", file=sys.stderr)
        bench.processes.stop_all()
        return stop.code if isinstance(stop, SystemExit) and stop.code else 130
    finally:
        bench.processes.stop_all()
    bench.results.machine["load average at end"] = machine.load_average()
    text = report.render(bench.results, options=options, started=started)
    print(text.console)
    options.results.write_text(text.markdown)
    log(f"wrote {options.results}")
    for line in report.targets(bench.results):
        print(line)
    return 0
