"""Messages to the customer (with consent): what is queued when, their texts, the SMS gateway."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .operations import mask_address, shown_error, shown_to, summary
    from .views import bp

    app.register_blueprint(bp, url_prefix="/admin")
    app.jinja_env.globals.update(customer_messages=summary, mask_address=mask_address, shown_to=shown_to,
                                  shown_error=shown_error)
