"""``python -m service``: serve the API with uvicorn on the configured host and port."""

from __future__ import annotations

import uvicorn

from service.app import create_app
from service.observability.logs import configure_logging
from service.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.observability)
    # log_config=None keeps the JSON logging above; our request log replaces uvicorn's.
    uvicorn.run(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
