"""``python -m kongres`` and the ``kongres`` console script: Django's management commands
plus our own (``demo``, ``serve``, ``createorganiser``), with one-line errors."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kongres"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongres.settings")

    from kongres.config import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except ConfigError as error:
        sys.exit(f"kongres: configuration error: {error}")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
