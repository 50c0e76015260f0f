"""``python -m eval run|resolve`` (see ``eval/README.md``)."""

from eval.cli import main

raise SystemExit(main())
