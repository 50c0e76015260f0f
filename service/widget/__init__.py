"""The embeddable chat widget's server side: serves ``/widget.js`` and the ``/demo`` page."""

from service.widget.widget_router import widget_router

__all__ = ["widget_router"]
