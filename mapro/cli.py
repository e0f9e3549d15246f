"""
The `mapro` command line.

`mapro <area> …` runs the management command of that area (`procedures`, `cases`, `audit`, …);
any other word is passed to Django's own manage.py machinery (`mapro migrate`, `mapro runserver`).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        execute_from_command_line(["mapro", *args])
    except ImproperlyConfigured as error:
        # A setting to fix (e.g. no secret key on a fresh installation): its message, not a traceback.
        print(f"mapro: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
