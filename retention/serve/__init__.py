"""Serving the marts: publish them for BI tools, and the static dashboard."""
