"""``python -m service``: serve the API with uvicorn on the configured host and port."""

from __future__ import annotations

from service.app import create_app
from service.observability.logs import configure_logging
from service.server import serve
from service.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.observability)
    serve(create_app(settings), settings.server)


if __name__ == "__main__":
    main()
