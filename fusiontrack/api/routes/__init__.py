"""Endpoint modules of the REST API, one per object family."""
