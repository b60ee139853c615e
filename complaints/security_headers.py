"""Response headers that every page gets: no framing, no sniffing, no inline scripts; HSTS in production."""

from flask import Flask, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"  # a year: browsers then refuse plain HTTP for the site


def init_app(app: Flask) -> None:
    # Only where the site is served over HTTPS: production, whose cookies are Secure. A development
    # server on http://127.0.0.1 must not teach the browser to refuse plain HTTP there for a year.
    hsts = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
