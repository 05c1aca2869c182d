"""``compliance serve``: the HTTP service for ERP systems (the optional extra ``[server]``: Starlette and uvicorn).

``app`` holds the routes, ``state`` the packs in use and their atomic reload, ``metrics`` the Prometheus counters,
``audit`` the single audit-log writer, ``access`` the structured access log, ``openapi`` the API description and
``run`` the process model (one process, or a supervisor with workers). See docs/service.md.
"""

from compliance.server.app import AppConfig, create_app
from compliance.server.run import ServeOptions, read_token, serve
from compliance.server.state import PackState

__all__ = ["AppConfig", "PackState", "ServeOptions", "create_app", "read_token", "serve"]
