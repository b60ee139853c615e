"""complaints: post-office complaints and service errors, from the counter to the scorecard."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from .paths import resource_dir


def create_app(config: str | type | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """The application factory. Starts no scheduler: that is its own process."""
    from config import config_for

    from . import cli, logging_setup, security_headers, web_errors
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale, select_timezone

    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=os.environ.get("INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    cfg = config if isinstance(config, type) else config_for(config)
    app.config.from_object(cfg)
    if overrides:
        app.config.update(overrides)
    cfg.init_app(app)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        # Believe X-Forwarded-For/-Proto/-Host from that many proxies only: remote_addr (rate limits,
        # session protection), the scheme and the host then are the client's. With 0 nobody's are believed.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("ATTACHMENTS_DIR"):
        app.config["ATTACHMENTS_DIR"] = os.path.join(app.instance_path, "attachments")

    logging_setup.init_app(app)
    from .files import operations as file_operations
    from .files.views import raise_upload_limit

    app.before_request(raise_upload_limit)  # first: before CSRF and the form checks read the body
    file_operations.init_app(app)  # stored files follow the transaction: a rollback removes them
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    limiter.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from . import database

    database.init_app(app)

    from .admin.views import bp as admin_bp
    from .api import bp as api_bp
    from .auth.views import bp as auth_bp
    from .files.views import bp as files_bp
    from .health import bp as health_bp
    from .improvement.views import bp as improvement_bp
    from .public.views import bp as public_bp
    from .regions.views import admin_bp as regions_admin_bp
    from .regions.views import bp as regions_bp
    from .reports.views import bp as reports_bp
    from .scorecards.views import bp as scorecards_bp
    from .sla.views import bp as sla_bp
    from .tickets.views import bp as tickets_bp
    from .volumes.views import bp as volumes_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(sla_bp, url_prefix="/admin")
    app.register_blueprint(scorecards_bp)
    app.register_blueprint(improvement_bp)
    app.register_blueprint(volumes_bp)
    app.register_blueprint(regions_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(regions_admin_bp, url_prefix="/admin")
    app.register_blueprint(public_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from . import customers

    customers.init_app(app)  # /admin/customer-messages, and the ticket page's customer messages
    csrf.exempt(api_bp)  # bearer tokens, no cookies: CSRF does not apply

    web_errors.init_app(app)
    security_headers.init_app(app)
    cli.init_app(app)
    from .templating import init_app as init_templating

    init_templating(app)
    return app
