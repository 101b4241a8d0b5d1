"""``python -m kongres`` and the ``kongres`` console script: Django's management commands
plus our own (``demo``, ``serve``, ``createorganiser``), with one-line errors."""

import difflib
import os
import sys
import textwrap

PROG = "kongres"
OUR_COMMANDS = {
    "migrate": "create or update the database",
    "backup": "write the database and the uploaded files to FILE",
    "restore": "put back a backup made by kongres backup (--force, --check)",
    "demo": "load the demo edition, IV Kongres (--as-published: with its 2024 dates; --draw)",
    "createorganiser": "create an organiser account for the admin (--demo: the demo login)",
    "serve": "serve the site with granian, static files included (--host, --port, --workers)",
    "draw": "allocation by draw: run EDITION, or verify EDITION --seed SEED",
}
HELP_FLAGS = {"-h", "--help", "help"}


def _fail(message: str, code: int = 1) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.exit(code)


def _load_settings() -> None:
    """Read the configuration now, so that a mistake in it is one line, not a traceback."""
    from django.conf import settings  # noqa: PLC0415 -- the configuration is read first

    from kongres.config import ConfigError  # noqa: PLC0415 -- the configuration is read first

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- imports kongres.settings
    except ConfigError as error:
        _fail(f"configuration error: {error}")
    except Exception as error:  # a value the settings could not use
        _fail(f"configuration error: {type(error).__name__}: {error}")

    import django  # noqa: PLC0415 -- the configuration is read first

    django.setup()


def _help_text() -> str:
    from django.core.management import get_commands  # noqa: PLC0415 -- after django.setup()

    commands = get_commands()
    lines = [
        f"Usage: {PROG} <command> [options]",
        "",
        "kongres commands:",
    ]
    for name, summary in OUR_COMMANDS.items():
        lines.append(f"  {name:<16} {summary}")
    others = sorted(name for name in commands if name not in OUR_COMMANDS)
    lines += [
        "",
        "Django's commands:",
        textwrap.fill(", ".join(others), width=96, initial_indent="  ", subsequent_indent="  "),
        "",
        f'"{PROG} <command> --help" shows the options of a command.',
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = PROG
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")
    _load_settings()

    from django.core.management import execute_from_command_line, get_commands  # noqa: PLC0415 -- after django.setup()

    command = argv[1] if len(argv) > 1 else "help"
    if command in HELP_FLAGS and len(argv) <= 2:
        sys.stdout.write(_help_text() + "\n")
        return
    if command == "help" and len(argv) > 2:  # "kongres help demo" = "kongres demo --help"
        argv = [PROG, argv[2], "--help"]
        command = argv[1]
    if not command.startswith("-") and command not in get_commands():
        close = difflib.get_close_matches(command, get_commands(), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; see {PROG} --help"
        _fail(f"unknown command {command!r}{hint}", code=2)

    try:
        execute_from_command_line(argv)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
