"""API registration create, in process: CPU time, SQL statements and cache round trips per
request (issue 21).

    .venv/bin/python -m bench.apiflow [--requests 300] [--repeat 3] [--profile] [--cache-url URL]

Each request is ``POST /api/v1/editions/<slug>/registrations`` with a token of scope
``write_registrations`` and a new person (the body of ``bench/api.py``), sent through Django's
WSGI handler (settings ``bench.settings``) as ``bench.flow`` sends its requests; the CPU time of
this process is read around the application's call. The statements are counted with
``CaptureQueriesContext``, the cache's round trips by counting the Redis client's commands
(with ``--cache-url``; the database cache's are statements). ``--profile`` runs one more
repetition under cProfile and prints the functions by their own and cumulative time.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

from bench.flow import DEFAULT_DATABASE_URL, REPO, environment, wsgi_call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.apiflow", description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="requests per repetition")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-lines", type=int, default=45)
    parser.add_argument("--show-queries", action="store_true", help="print one request's SQL")
    parser.add_argument("--cache-url", default="", help="redis://… (default: database cache)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench-apiflow")
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate and demo")
    options = parser.parse_args(argv)

    import os

    database_url = (
        options.database_url or os.environ.get("KONGRES_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    cache_url = options.cache_url or os.environ.get("KONGRES_BENCH_CACHE_URL", "")
    sys.path.insert(0, str(REPO))
    options.data_dir.mkdir(parents=True, exist_ok=True)
    environment(database_url=database_url, data_dir=options.data_dir.resolve(), cache_url=cache_url)
    from bench import db

    db.database_ensure(database_url)
    db.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import rush
    from bench.api import EMAIL_DOMAIN, body_parts, token_create

    if options.no_prepare:
        from kongres.events.selectors import edition_current

        edition_id = edition_current().pk
    else:
        edition_id = db.prepare(log=lambda message: print(f"apiflow: {message}", flush=True))[
            "rush_edition"
        ]
    from kongres.events.models import Edition

    slug = Edition.objects.get(pk=edition_id).slug
    path = f"/api/v1/editions/{slug}/registrations"
    secret = token_create(edition_id=edition_id)
    head, tail = body_parts(edition_id=edition_id)
    app = get_wsgi_application()

    commands: collections.Counter[str] = collections.Counter()
    trace = False
    if cache_url:
        import redis

        original_execute = redis.Redis.execute_command

        def counted(self, *args, **kwargs):
            commands[str(args[0]).upper()] += 1
            if trace:
                print("    cache:", args[:3])
            return original_execute(self, *args, **kwargs)

        redis.Redis.execute_command = counted

    def request(email: str) -> tuple[int, float, bytes]:
        body = (head + json.dumps(email) + tail).encode()
        headers = {
            "HTTP_ACCEPT": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {secret}",
            "CONTENT_TYPE": "application/json",
        }
        response, cpu = wsgi_call(
            app, "POST", path, body=body, headers=headers, agent="bench.apiflow"
        )
        return response.status, cpu, response.body

    def repetition(number: int, count: int) -> float:
        nonlocal secret
        # a new token each time: its rate limit (600 a minute) is not what is measured here
        secret = token_create(edition_id=edition_id)
        rush.reset(edition_id=edition_id, seats=1_000_000)
        db.close_connections()
        stamp = f"apiflow{number}-{time.time_ns()}"
        for index in range(options.warmup):
            status, _cpu, content = request(f"{stamp}-w{index}@{EMAIL_DOMAIN}")
            assert status == 201, (status, content[:500])
        total = 0.0
        for index in range(count):
            status, cpu, content = request(f"{stamp}-{index}@{EMAIL_DOMAIN}")
            assert status == 201, (status, content[:500])
            total += cpu
        return total / count

    # statements and cache round trips of one request (after the warm-up)
    rush.reset(edition_id=edition_id, seats=1_000_000)
    stamp = f"apiflowq-{time.time_ns()}"
    for index in range(5):
        request(f"{stamp}-w{index}@{EMAIL_DOMAIN}")
    commands.clear()
    trace = options.show_queries
    with CaptureQueriesContext(connection) as queries:
        status, _cpu, content = request(f"{stamp}-q@{EMAIL_DOMAIN}")
    assert status == 201, (status, content[:500])
    trace = False
    print(
        f"apiflow: one request: {len(queries.captured_queries)} statements, "
        f"{sum(commands.values())} cache round trips ({dict(commands)})",
        flush=True,
    )
    if options.show_queries:
        for query in queries.captured_queries:
            print("   ", query["sql"][:300])

    results = []
    for number in range(options.repeat):
        cpu = repetition(number, options.requests)
        results.append(cpu)
        print(f"apiflow: run {number + 1}: {cpu * 1000:.2f} ms CPU per request", flush=True)
    if results:
        print(
            f"apiflow: median of {options.repeat} runs of {options.requests}: "
            f"{statistics.median(results) * 1000:.2f} ms CPU per request"
        )
    if options.profile:
        profiler = cProfile.Profile(time.process_time)
        original = request

        def request(email):
            profiler.enable()
            try:
                return original(email)
            finally:
                profiler.disable()

        repetition(options.repeat, options.requests)
        for sort in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(options.profile_lines)
            print(out.getvalue())
    db.close_connections()
    return 0


if __name__ == "__main__":
    sys.exit(main())
