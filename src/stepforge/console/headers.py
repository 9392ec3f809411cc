"""The security headers of every console response."""

from __future__ import annotations

#: No inline script or style, nothing from another origin: stored data can never run as code.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": under it a browser sends "Origin: null" with a form's POST (login, approval
    # links), which the edge must refuse as a cross-origin write. "same-origin" sends nothing elsewhere.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
