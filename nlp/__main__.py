"""Entry point of ``python -m nlp`` (see ``nlp.cli``)."""

from __future__ import annotations

import sys

from nlp.cli import main

if __name__ == "__main__":
    sys.exit(main())
