"""Embedded PostgreSQL (``pgserver``) for development and tests without ``DATABASE_URL``."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any


def start_embedded_postgres(data_dir: Path) -> tuple[str, Any]:
    """Start (or join) the embedded server in ``data_dir``; return its URL and a handle.

    The server stops when the last process holding a handle calls ``cleanup()`` or exits.
    """
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"billing-runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on minimal machines; the fallback is fine.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

        data_dir = data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir, cleanup_mode="stop")
    return str(server.get_uri()), server
