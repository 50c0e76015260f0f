"""Bounds and guards every request passes: body size and time, concurrency, cross-site
requests, and document writes without an admin key."""
