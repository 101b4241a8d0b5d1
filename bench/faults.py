"""``make faults`` (``python -m bench.faults [--quick]``): the production topology
(``bench/topology.py``) under the faults of issue 16, each ending in one line
``target fault-NAME: lost N: what happened (goal …) met|missed``:

- ``app-kill``: one app server killed with SIGKILL in the middle of a rush; the other serves on,
  the sends in flight fail cleanly (nginx's 502), none is half-written;
- ``worker-kill``: a worker killed with SIGKILL while it sends a backlog of verification mails
  and started again (systemd's ``Restart=``): every mail delivered, at most one duplicate per
  kill, with the same Message-ID;
- ``smtp-down``: the mail server stopped for 10 minutes of the mail's clock (compressed by
  ``bench/settings_faults.py``: 60 s, quick 12 s) while mails to many and a rush's verification
  mails are queued, then started again: every mail delivered, the verification mails first;
- ``database-restart``: the shared PostgreSQL server cannot be restarted here, so the app
  servers and workers reach it through a TCP proxy (``tests/tcpproxy.py``) that cuts every
  connection and refuses new ones for a few seconds mid-rush, as a restart does: a 503 page in
  the visitor's language meanwhile, nothing half-written, service back within 10 s;
- ``redis-stop``: Redis, reached through such a proxy too, gone mid-rush: the site keeps
  registering, the rate limits use the database cache and the log says so.

The harness reads and checks the database and Redis directly, never through the proxies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import db, people
from bench.client import Browser
from bench.production import DEFAULT_CACHE_URL, DEFAULT_DATABASE_URL, caches_clear
from bench.topology import REPO, Topology
from tests.tcpproxy import CuttableProxy

RECOVERY_GOAL_S = 10


def log(message: str) -> None:
    print(f"faults: {message}", flush=True)


@dataclass
class Options:
    quick: bool
    people: int
    scale: float
    database_url: str
    cache_url: str
    data_dir: Path
    only: frozenset[str] = frozenset()


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small rushes, time x 0.02 (CI)")
    parser.add_argument("--people", type=int, help="people per rush (600; quick 120)")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(FAULTS))
    parser.add_argument(
        "--data-dir", type=Path, default=REPO / "var" / "bench-faults", help="logs, config"
    )
    args = parser.parse_args(argv)
    only = frozenset(filter(None, (args.only or "").split(",")))
    if only - set(FAULTS):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(FAULTS)))}")
    return Options(
        quick=args.quick,
        people=args.people or (120 if args.quick else 600),
        scale=0.02 if args.quick else 0.1,
        database_url=os.environ.get("KONGRES_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        cache_url=os.environ.get("KONGRES_BENCH_CACHE_URL") or DEFAULT_CACHE_URL,
        data_dir=args.data_dir.resolve(),
        only=only,
    )


FAULTS = ("app-kill", "worker-kill", "smtp-down", "database-restart", "redis-stop")


def _through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by 127.0.0.1:``port`` (a proxy's)."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


@dataclass
class Crowd:
    people: list[people.Person]
    thread: threading.Thread
    result: dict = field(default_factory=dict)
    started: float = 0.0

    def join(self) -> None:
        self.thread.join()

    def outcomes(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for person in self.people:
            found[person.outcome] = found.get(person.outcome, 0) + 1
        return dict(sorted(found.items()))


class Faults:
    def __init__(self, options: Options) -> None:
        self.options = options
        database = urlsplit(options.database_url)
        cache = urlsplit(options.cache_url)
        self.pg = CuttableProxy((database.hostname or "127.0.0.1", database.port or 5432))
        self.redis = CuttableProxy((cache.hostname or "127.0.0.1", cache.port or 6379))
        self.topology = Topology(
            data_dir=options.data_dir,
            database_url=_through(options.database_url, self.pg.port),
            cache_url=_through(options.cache_url, self.redis.port),
            settings="bench.settings_faults",
            extra_env={"KONGRES_BENCH_TIME_SCALE": str(options.scale)},
            log=log,
        )
        self.targets: list[str] = []
        self.prepared: dict = {}
        self.answers = ""
        self.form_path = ""
        self.fill = 5.0

    # --- set-up -----------------------------------------------------------------------------

    def prepare(self) -> None:
        topology = self.topology
        topology.data_dir.mkdir(parents=True, exist_ok=True)
        topology.write_config()
        os.environ.update(topology.environment())
        # the harness itself: straight to PostgreSQL and Redis
        os.environ["KONGRES_DATABASE_URL"] = self.options.database_url
        os.environ["KONGRES_CACHE_URL"] = self.options.cache_url
        if db.database_ensure(self.options.database_url):
            log(f"created the database {self.options.database_url}")
        db.setup()
        from django.conf import settings

        from bench import rush
        from kongres.registration.forms import min_fill_seconds

        self.prepared = db.prepare(log=log)
        plan = rush.plan(seats=1, people=1)
        if not plan.ready:
            raise RuntimeError(plan.reason)
        self.form_path = plan.form_path
        self.answers, _hidden, errors = rush.form_body(edition_id=self.prepared["rush_edition"])
        if errors:
            raise RuntimeError(f"the bench cannot fill in the form: {errors}")
        self.fill = min_fill_seconds()
        for relaxed in settings.BENCH_RELAXED:
            log(f"made easier for the faults: {relaxed}")
        db.close_connections()

    def reset(self, *, seats: int) -> str:
        from bench import rush

        rush.reset(edition_id=self.prepared["rush_edition"], seats=seats)
        caches_clear()
        db.close_connections()
        return f"f{int(time.time() * 1000) % 10**9}"

    def crowd(self, prefix: str, number: int) -> Crowd:
        """A rush of ``number`` people in a thread of its own."""
        from kongres.registration.antibot import pow_solve

        crowd_people = people.people_make(
            prefix=prefix, domain=db.EMAIL_DOMAIN, people=number, office=0, office_source=""
        )
        crowd = Crowd(crowd_people, threading.Thread(target=lambda: None))

        def run() -> None:
            crowd.result["load"] = people.rush(
                host="127.0.0.1",
                port=self.topology.port,
                connections=32,
                people=crowd_people,
                form_path=self.form_path,
                answers=self.answers,
                fill_seconds=self.fill,
                solve=pow_solve,
            )

        crowd.thread = threading.Thread(target=run, name=f"crowd-{prefix}")
        crowd.started = time.time()
        crowd.thread.start()
        return crowd

    def written(self, prefix: str) -> tuple[set[str], bool, str]:
        """The e-mail addresses registered under ``prefix``; whether every registration is
        whole (its mail in the outbox, the seat pool agreeing with the seats taken); a
        summary."""
        from bench import rush
        from kongres.registration.models import Registration

        edition = self.prepared["rush_edition"]
        emails = set(
            Registration.objects.filter(edition_id=edition, email__startswith=prefix).values_list(
                "email", flat=True
            )
        )
        found = rush.check(edition_id=edition, prefix=prefix)
        db.close_connections()
        whole = (
            found.mails == found.registrations
            and found.pool_taken == found.taken
            and not found.other
        )
        summary = (
            f"{found.registrations} registrations, {found.taken} seats (pool {found.pool_taken}), "
            f"{found.mails} with their mail"
        )
        return emails, whole, summary

    def target(self, name: str, lost: int, what: str, goal: str, met: bool) -> None:
        line = (
            f"target fault-{name}: lost {lost}: {what} (goal {goal}) {'met' if met else 'missed'}"
        )
        self.targets.append(line)
        log(line)

    @staticmethod
    def sends_flowing(crowd: Crowd) -> None:
        """Wait until a tenth of the crowd is registered: the sends are flowing."""
        deadline = time.time() + 120
        while time.time() < deadline and crowd.thread.is_alive():
            registered = sum(1 for p in crowd.people if p.outcome == "registered")
            if registered >= len(crowd.people) // 10:
                return
            time.sleep(0.05)

    def wait_mails(self, recipients: set[str], *, deadline: float) -> list[tuple]:
        while True:
            delivered = [m for m in self.topology.mails() if m[2] in recipients]
            if {m[2] for m in delivered} >= recipients or time.time() > deadline:
                return delivered
            time.sleep(0.25)

    # --- the faults -------------------------------------------------------------------------

    def app_kill(self) -> None:
        number = self.options.people
        prefix = self.reset(seats=number // 2)
        crowd = self.crowd(prefix, number)
        self.sends_flowing(crowd)
        killed = time.time()
        self.topology.app_kill(0)
        log(f"app-kill: app server 0 killed with SIGKILL at +{killed - crowd.started:.1f} s")
        crowd.join()
        emails, whole, summary = self.written(prefix)
        told_ok = {p.email for p in crowd.people if p.outcome == "registered"}
        failed = [p for p in crowd.people if p.outcome != "registered"]
        failed_written = sum(1 for p in failed if p.email in emails)
        after = sum(1 for p in crowd.people if p.outcome == "registered" and p.finished > killed)
        missing = len(told_ok - emails)
        lost = missing + (0 if whole else 1)
        self.target(
            "app-kill",
            lost,
            f"{len(failed)} of {number} people got an error ({crowd.outcomes()}), "
            f"{failed_written} of them registered whole anyway, the rest not at all; "
            f"{missing} told 'registered' but not written; {summary}: "
            f"{'whole' if whole else 'NOT WHOLE'}; the other server completed {after} "
            f"registrations after the kill",
            "nothing lost, nothing half-written, the other server serves on",
            lost == 0 and after > 0,
        )
        self.topology.app_start(0)

    def worker_kill(self) -> None:
        number = self.options.people
        prefix = self.reset(seats=number // 2)
        for worker in range(self.topology.workers):
            self.topology.worker_stop(worker)
        crowd = self.crowd(prefix, number)
        crowd.join()
        emails, _whole, _summary = self.written(prefix)
        for worker in range(self.topology.workers):
            self.topology.worker_start(worker)
        deadline = time.time() + 60
        while time.time() < deadline:  # a tenth delivered: the workers are sending
            if len([m for m in self.topology.mails() if m[2] in emails]) >= len(emails) // 10:
                break
            time.sleep(0.05)
        self.topology.worker_kill(0)
        killed = time.time()
        time.sleep(2)  # systemd's RestartSec
        self.topology.worker_start(0)
        delivered = self.wait_mails(emails, deadline=killed + 120)
        recipients = {m[2] for m in delivered}
        lost = len(emails - recipients)
        duplicates = len(delivered) - len(recipients)
        ids: dict[str, set[str]] = {}
        for _time, message_id, recipient, _subject in delivered:
            ids.setdefault(recipient, set()).add(message_id)
        other_ids = sum(1 for found in ids.values() if len(found) > 1)
        last = max((m[0] for m in delivered), default=killed) - killed
        self.target(
            "worker-kill",
            lost,
            f"{len(recipients)} of {len(emails)} verification mails delivered, {duplicates} "
            f"duplicate(s) after 1 kill ({other_ids} with another Message-ID), the last "
            f"{last:.0f} s after the kill",
            "every mail delivered, at most 1 duplicate per kill with the same Message-ID",
            lost == 0 and duplicates <= 1 and other_ids == 0,
        )

    def smtp_down(self) -> None:
        from kongres.mail.services import BulkMail, mail_queue_bulk

        number = max(20, self.options.people // 2)
        prefix = self.reset(seats=number)
        outage = 600 * self.options.scale
        self.topology.smtp_stop()
        down = time.time()
        bulk = [
            BulkMail(
                to=f"{prefix}-bulk-{n}@{db.EMAIL_DOMAIN}",
                language="pl",
                subject="Newsletter (bench)",
                body_text="Dzień dobry\n",
            )
            for n in range(number)
        ]
        mail_queue_bulk(mails=bulk)
        db.close_connections()
        crowd = self.crowd(prefix, number)
        crowd.join()
        emails, _whole, _summary = self.written(prefix)
        time.sleep(max(0.0, down + outage - time.time()))
        self.topology.smtp_start()
        back = time.time()
        log(f"smtp-down: the mail server was down {back - down:.0f} s")
        verification = {e for e in emails if "-bulk-" not in e}
        everyone = verification | {mail.to for mail in bulk}
        delivered = self.wait_mails(everyone, deadline=back + max(60, 3 * outage))
        recipients = {m[2] for m in delivered}
        lost = len(everyone - recipients)
        last_verification = max((m[0] for m in delivered if m[2] in verification), default=0)
        first_bulk = min((m[0] for m in delivered if m[2] not in verification), default=0)
        # the first mail each worker gets through is whichever was due (often one to many): it
        # finds the server back and brings the waiting verification mails forward
        probes = sum(1 for m in delivered if m[2] not in verification and m[0] < last_verification)
        first = probes <= self.topology.workers
        self.target(
            "smtp-down",
            lost,
            f"mail server down {back - down:.0f} s (10 minutes x {self.options.scale}): "
            f"{len(recipients & verification)} of {len(verification)} verification mails and "
            f"{len(recipients - verification)} of {len(bulk)} mails to many delivered, the last "
            f"verification {last_verification - back:.1f} s after it was back, the first mail "
            f"to many {first_bulk - back:.1f} s after, {probes} mail(s) to many before the last "
            f"verification",
            f"every mail delivered, the verification mails first (after at most "
            f"{self.topology.workers}, one per worker, that find the server back)",
            lost == 0 and first,
        )

    def database_restart(self) -> None:
        number = self.options.people
        prefix = self.reset(seats=number // 2)
        cut_seconds = 5.0
        crowd = self.crowd(prefix, number)
        self.sends_flowing(crowd)
        self.pg.cut()
        cut = time.time()
        pages = asyncio.run(self._pages_now())
        time.sleep(max(0.0, cut + cut_seconds - time.time()))
        self.pg.restore()
        back = time.time()
        recovered = asyncio.run(self._first_ok(deadline=back + 60))
        crowd.join()
        emails, whole, summary = self.written(prefix)
        told_ok = {p.email for p in crowd.people if p.outcome == "registered"}
        missing = len(told_ok - emails)
        statuses = crowd.result["load"].statuses if "load" in crowd.result else {}
        errors = {s: n for s, n in statuses.items() if s >= 500 or s == 0}
        languages_ok = pages.get("pl") == (503, True) and pages.get("en") == (503, True)
        lost = missing + (0 if whole else 1)
        self.target(
            "database-restart",
            lost,
            f"PostgreSQL cut for {cut_seconds:.0f} s through a TCP proxy (the shared server "
            f"cannot be restarted here): answers meanwhile {errors or 'none failed'}, the page "
            f"in Polish and English {pages}; service back {recovered:.1f} s after; "
            f"{missing} told 'registered' but not written; {summary}: "
            f"{'whole' if whole else 'NOT WHOLE'}; outcomes {crowd.outcomes()}",
            f"a 503 page in the visitor's language, nothing half-written, back within "
            f"{RECOVERY_GOAL_S} s",
            lost == 0 and languages_ok and recovered <= RECOVERY_GOAL_S,
        )

    async def _pages_now(self) -> dict[str, tuple[int, bool]]:
        """The registration form in Polish and in English while the database is away: the
        status, and whether the page says so in that language."""
        from django.urls import reverse
        from django.utils import translation

        found = {}
        for language, heading in (("pl", "Chwilowa przerwa"), ("en", "A short break")):
            with translation.override(language):
                path = reverse("registration:register")
            browser = Browser("127.0.0.1", self.topology.port, "127.240.0.1", language=language)
            try:
                answer = await browser.request("GET", path)
                found[language] = (answer.status, f"<h1>{heading}</h1>" in answer.text)
            except Exception as error:
                found[language] = (0, False)
                log(f"database-restart: {language} page: {error}")
            finally:
                await browser.close()
        return found

    async def _first_ok(self, *, deadline: float) -> float:
        """Seconds from now until the registration form answers 200 again."""
        started = time.time()
        number = 0
        while time.time() < deadline:
            number += 1
            browser = Browser("127.0.0.1", self.topology.port, f"127.241.0.{number % 250 + 1}")
            try:
                if (await browser.request("GET", self.form_path)).status == 200:
                    return time.time() - started
            except Exception:  # noqa: S110 - tried again
                pass
            finally:
                await browser.close()
            await asyncio.sleep(0.1)
        return float("inf")

    def redis_stop(self) -> None:
        number = self.options.people
        prefix = self.reset(seats=number // 2)
        logs = [self.topology.data_dir / f"app{n}.log" for n in range(2)]
        sizes = [path.stat().st_size if path.exists() else 0 for path in logs]
        crowd = self.crowd(prefix, number)
        self.sends_flowing(crowd)
        self.redis.cut()
        crowd.join()
        self.redis.restore()
        emails, whole, summary = self.written(prefix)
        refused = [p for p in crowd.people if p.outcome != "registered"]
        said = 0
        for path, size in zip(logs, sizes, strict=True):
            with path.open() as handle:
                handle.seek(size)
                said += handle.read().count("is unreachable")
        lost = len(refused) + (0 if whole else 1)
        self.target(
            "redis-stop",
            lost,
            f"Redis cut mid-rush through a TCP proxy: {len(emails)} of {number} registered "
            f"({crowd.outcomes()}); {summary}: {'whole' if whole else 'NOT WHOLE'}; "
            f"{said} app server(s) logged that the cache and rate limits use the database",
            "the site keeps registering, the log says so",
            lost == 0 and said >= 1,
        )

    # --- the whole run ----------------------------------------------------------------------

    def run(self) -> list[str]:
        self.prepare()
        self.topology.start()
        try:
            for name in FAULTS:
                if self.options.only and name not in self.options.only:
                    continue
                log(f"== {name}")
                started = time.monotonic()
                try:
                    getattr(self, name.replace("-", "_"))()
                except Exception as error:
                    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                    self.target(name, -1, f"failed: {type(error).__name__}: {first}", "", False)
                    self.pg.restore()
                    self.redis.restore()
                    db.close_connections()
                log(f"   {name} took {time.monotonic() - started:.0f} s")
        finally:
            self.topology.stop()
            self.pg.close()
            self.redis.close()
        return self.targets


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    faults = Faults(options)
    log(
        f"{'quick ' if options.quick else ''}run on {options.database_url}, cache "
        f"{options.cache_url}, the mail's clock x {options.scale}"
    )
    try:
        targets = faults.run()
    except KeyboardInterrupt:
        faults.topology.stop()
        return 130
    print()
    for line in targets:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
