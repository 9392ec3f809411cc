"""The web console: pages, JSON endpoints and live execution updates, served beside the API.

Writes (create, update, start, stop, redrive, SendTask*) go through the AWS API itself (``POST /``
with ``X-Amz-Target``) from the browser, so they share its validation and group commit; the
endpoints here answer only what the API cannot: searches across machines, diagnostics with line and
column, pending tasks, and the live history stream. The routes are in :mod:`stepforge.console.routes`.
"""
