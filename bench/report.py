"""The table, the targets and bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.load import Measurement

if TYPE_CHECKING:
    from bench.run import Options, Results

# The targets of issue 6, as the later issues set them: issue 15 (the redesign: one write path
# on Django's public API) asks the rush to stay at >= 0.6 x the naive-ORM ceiling instead of
# issue 6's 0.8, and issue 18 asks the session sign-up rush for the same ratio.
RUSH_VS_NAIVE = 0.6
RUSH_VS_DATABASE = 0.4
RUSH_P99_MS = 250
PAGES_VS_HELLO = 0.8
WORKER_MB = 150
CHECKIN_P99_MS = 50
# The targets of issue 21 (the JSON API).
API_PROGRAMME_VS_HELLO = 0.8
API_REGISTER_VS_NAIVE = 0.6


@dataclass
class Row:
    scenario: str
    measurement: Measurement
    ratio: str = ""


@dataclass
class ComparisonRow:
    server: str
    hello: Measurement
    naive: Measurement
    home: Measurement | None


@dataclass
class Text:
    console: str
    markdown: str


def brief(measurement: Measurement, *, unit: str = "req/s") -> str:
    return (
        f"{measurement.rate:,.0f} {unit}, p50 {measurement.p50:.1f} ms, "
        f"p99 {measurement.p99:.1f} ms, {measurement.errors} errors"
    )


def _ratio(value: float, ceiling: Measurement | None) -> float | None:
    if ceiling is None or not ceiling.rate:
        return None
    return value / ceiling.rate


def _times(value: float | None, name: str) -> str:
    return "" if value is None else f"{value:.2f} x {name}"


def rows(results: Results) -> list[Row]:
    ceilings = results.ceilings
    hello = ceilings.get("hello")
    naive = ceilings.get("naive")
    database = ceilings.get("database")
    table = []
    if hello:
        table.append(Row("ceiling: hello world (req/s)", hello, "ceiling"))
    if naive:
        table.append(
            Row("ceiling: naive ORM (req/s)", naive, _times(_ratio(naive.rate, hello), "hello"))
        )
    if database:
        table.append(Row("ceiling: database, pgbench (TPS)", database, "ceiling"))
    for name, measurement in results.pages.items():
        ratio = _times(_ratio(measurement.rate, hello), "hello")
        table.append(Row(f"public: {name} (req/s)", measurement, ratio))
    if results.rush is not None:
        rate = results.rush.rate
        ratios = [_times(_ratio(rate, naive), "naive"), _times(_ratio(rate, database), "database")]
        table.append(Row("rush: registrations/s", results.rush, ", ".join(r for r in ratios if r)))
    if results.sessions is not None:
        ratio = _times(_ratio(results.sessions.rate, naive), "naive")
        table.append(Row("session sign-ups/s (30 + 200 places)", results.sessions, ratio))
    if results.checkin is not None:
        table.append(Row("check-in: scans/s (4 gates)", results.checkin, ""))
    programme = results.api.get("api-programme")
    if programme is not None:
        ratio = _times(_ratio(programme.rate, hello), "hello")
        table.append(Row("API: public programme JSON (req/s)", programme, ratio))
    register = results.api.get("api-register")
    if register is not None:
        ratio = _times(_ratio(register.rate, naive), "naive")
        table.append(Row("API: registration create (registrations/s)", register, ratio))
    return table


HEADER = ("scenario", "rate", "p50 ms", "p95 ms", "p99 ms", "errors", "ratio to ceiling")


def _cells(row: Row) -> tuple[str, ...]:
    m = row.measurement
    return (
        row.scenario,
        f"{m.rate:,.0f}",
        f"{m.p50:.1f}",
        f"{m.p95:.1f}",
        f"{m.p99:.1f}",
        str(m.errors),
        row.ratio,
    )


def _console_table(
    header: tuple[str, ...], lines: list[tuple[str, ...]], *, left: frozenset[int] = frozenset({0})
) -> str:
    """Columns padded to their widest cell; numbers right-aligned, the ``left`` ones left."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=False)]
    out = []
    for index, cells in enumerate([header, *lines]):
        text = []
        for position, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            text.append(cell.ljust(width) if position in left else cell.rjust(width))
        out.append("  ".join(text).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def _markdown_table(header: tuple[str, ...], lines: list[tuple[str, ...]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(cells) + " |" for cells in lines]
    return "\n".join(out)


COMPARISON_HEADER = (
    "server",
    "hello req/s",
    "hello p99 ms",
    "naive ORM req/s",
    "naive p99 ms",
    "home req/s",
)


def _comparison_cells(row: ComparisonRow) -> tuple[str, ...]:
    return (
        row.server,
        f"{row.hello.rate:,.0f}",
        f"{row.hello.p99:.1f}",
        f"{row.naive.rate:,.0f}",
        f"{row.naive.p99:.1f}",
        f"{row.home.rate:,.0f}" if row.home else "-",
    )


def fastest(comparison: list[ComparisonRow]) -> list[str]:
    if not comparison:
        return []
    lines = []
    for label, key in (("hello world", "hello"), ("naive ORM", "naive"), ("home page", "home")):
        measured = [(getattr(row, key).rate, row.server) for row in comparison if getattr(row, key)]
        if measured:
            rate, server = max(measured)
            lines.append(f"fastest on {label}: {server} ({rate:,.0f} req/s)")
    return lines


def targets(results: Results) -> list[str]:
    """One line per target of issue 6: ``target NAME: VALUE (goal GOAL) met|missed``."""
    lines = []

    def line(name: str, value: str, goal: str, met: bool) -> None:
        lines.append(f"target {name}: {value} (goal {goal}) {'met' if met else 'missed'}")

    rush = results.rush
    naive = results.ceilings.get("naive")
    database = results.ceilings.get("database")
    hello = results.ceilings.get("hello")
    not_yet = "not yet"
    ratio = _ratio(rush.rate, naive) if rush else None
    line(
        "rush-vs-naive-orm",
        f"{ratio:.2f}" if ratio is not None else not_yet,
        f">= {RUSH_VS_NAIVE} x naive-ORM ceiling",
        ratio is not None and ratio >= RUSH_VS_NAIVE,
    )
    ratio = _ratio(rush.rate, database) if rush else None
    line(
        "rush-vs-database",
        f"{ratio:.2f}" if ratio is not None else not_yet,
        f">= {RUSH_VS_DATABASE} x database ceiling",
        ratio is not None and ratio >= RUSH_VS_DATABASE,
    )
    line(
        "rush-p99",
        f"{rush.p99:.0f} ms" if rush else not_yet,
        f"< {RUSH_P99_MS} ms",
        rush is not None and rush.p99 < RUSH_P99_MS,
    )
    line(
        "zero-oversell",
        f"{results.oversell} seats over"
        if results.oversell is not None
        else ("rush incomplete" if results.rush else not_yet),
        "0 seats over",
        results.oversell == 0,
    )
    sessions = results.sessions  # the session sign-up rush (issue 18)
    ratio = _ratio(sessions.rate, naive) if sessions else None
    line(
        "session-rush-vs-naive-orm",
        f"{ratio:.2f}" if ratio is not None else not_yet,
        f">= {RUSH_VS_NAIVE} x naive-ORM ceiling",
        ratio is not None and ratio >= RUSH_VS_NAIVE,
    )
    line(
        "session-rush-p99",
        f"{sessions.p99:.0f} ms" if sessions else not_yet,
        f"< {RUSH_P99_MS} ms",
        sessions is not None and sessions.p99 < RUSH_P99_MS,
    )
    line(
        "session-zero-over-capacity",
        f"{results.sessions_over} places over" if results.sessions_over is not None else not_yet,
        "0 places over",
        results.sessions_over == 0,
    )
    page_ratios = [
        (measurement.rate / hello.rate, name)
        for name, measurement in results.pages.items()
        if hello and hello.rate
    ]
    if page_ratios:
        worst, worst_name = min(page_ratios)
        value = f"{worst:.2f} (slowest page: {worst_name})"
    else:
        worst, value = None, not_yet
    line(
        "public-pages-vs-hello",
        value,
        f">= {PAGES_VS_HELLO} x hello-world ceiling",
        worst is not None and worst >= PAGES_VS_HELLO,
    )
    biggest = max(results.memory_mb) if results.memory_mb else None
    line(
        "memory-per-worker",
        f"{biggest:.0f} MB {results.memory_when}" if biggest is not None else not_yet,
        f"< {WORKER_MB} MB RSS",
        biggest is not None and biggest < WORKER_MB,
    )
    checkin = results.checkin
    line(
        "checkin-p99",
        f"{checkin.p99:.0f} ms at 4 gates" if checkin else not_yet,
        f"< {CHECKIN_P99_MS} ms",
        checkin is not None and checkin.p99 < CHECKIN_P99_MS,
    )
    programme = results.api.get("api-programme")
    ratio = _ratio(programme.rate, hello) if programme else None
    line(
        "api-programme-vs-hello",
        f"{ratio:.2f}" if ratio is not None else not_yet,
        f">= {API_PROGRAMME_VS_HELLO} x hello-world ceiling",
        ratio is not None and ratio >= API_PROGRAMME_VS_HELLO,
    )
    register = results.api.get("api-register")
    ratio = _ratio(register.rate, naive) if register else None
    line(
        "api-register-vs-naive-orm",
        f"{ratio:.2f}" if ratio is not None else not_yet,
        f">= {API_REGISTER_VS_NAIVE} x naive-ORM ceiling",
        ratio is not None and ratio >= API_REGISTER_VS_NAIVE,
    )
    return lines


def render(results: Results, *, options: Options, started: dt.datetime) -> Text:
    table_rows = [_cells(row) for row in rows(results)]
    comparison_rows = [_comparison_cells(row) for row in results.comparison]
    shape = (
        f"{options.runs} run(s) of {options.seconds} s per scenario (median), "
        f"{options.connections} connections; rush: {options.seats} seats, "
        f"{options.people:,} people"
    )
    memory = (
        ", ".join(f"{size:.0f} MB" for size in results.memory_mb) + f" ({results.memory_when})"
        if results.memory_mb
        else "not measured"
    )

    console = [
        "",
        f"== results ({shape})",
        _console_table(HEADER, table_rows, left=frozenset({0, 6})),
    ]
    console += [f"{name}: {reason}" for name, reason in results.not_yet.items()]
    console += [f"exports and messages: {line}" for line in results.side]
    if comparison_rows:
        console += ["", "== servers", _console_table(COMPARISON_HEADER, comparison_rows)]
        console += fastest(results.comparison)
    console += ["", f"worker memory (VmRSS): {memory}"]
    console += results.rush_checks
    console += results.sessions_checks
    console += results.checkin_checks
    console += results.api_checks
    console += results.notes
    console.append("")

    machine = "\n".join(f"- {key}: {value}" for key, value in results.machine.items())
    markdown = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); see bench/README.md for what each figure means.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M %Z}",
        f"- command: `python -m bench{' --quick' if options.quick else ''}`; {shape}",
        f"- server: {results.server}, DEBUG off, PostgreSQL with persistent connections, "
        f"Redis as the cache ({options.cache_url})",
        "",
        "## Machine",
        "",
        machine,
        "",
        "## Figures",
        "",
        _markdown_table(HEADER, table_rows),
        "",
        *[f"- {name}: {reason}" for name, reason in results.not_yet.items()],
        *[f"- exports and messages: {line}" for line in results.side],
        "",
    ]
    if comparison_rows:
        markdown += ["## Servers", "", _markdown_table(COMPARISON_HEADER, comparison_rows), ""]
        markdown += [f"- {line}" for line in fastest(results.comparison)] + [""]
    markdown += ["## Targets", "", "```", *targets(results), "```", ""]
    markdown += ["## Notes", "", f"- worker memory (VmRSS): {memory}"]
    for row in rows(results):
        runs = row.measurement.detail.get("runs")
        if runs:
            rates = ", ".join(f"{rate:,.0f}" for rate in runs)
            markdown.append(f"- runs of {row.scenario}: {rates}")
    markdown += [
        f"- {line}"
        for line in results.rush_checks
        + results.sessions_checks
        + results.checkin_checks
        + results.api_checks
        + results.notes
    ]
    markdown.append("")
    return Text(console="\n".join(console), markdown="\n".join(markdown))
