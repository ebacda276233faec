"""`python -m obsai_eval --questions FILE …`; see obsai_eval.cli."""

from __future__ import annotations

import sys

from obsai_eval.cli import main as _main


def main() -> None:
    sys.exit(_main())


if __name__ == "__main__":
    main()
