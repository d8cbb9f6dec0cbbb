"""Entry point for ``python -m retention``."""

from retention.cli import main

raise SystemExit(main())
