"""Embedded PostgreSQL (``pgserver``) for development and tests without ``DATABASE_URL``.

Two things about ``pgserver`` shape this module:

* Started as root, it runs PostgreSQL as an unprivileged ``pgserver`` user and, to let that
  user reach the data directory, adds ``g+rx,o+rx`` to *every* parent folder up to ``/``. That
  widens folders the project does not own (a home directory), and when one data directory
  sits inside another it opens the outer one to 0755, which PostgreSQL then refuses to start
  on. We swap that step for one that only checks the parents and explains what to change.
* A failed start logs the whole server log and raises a bare ``CalledProcessError``; we keep
  the log quiet and raise ``EmbeddedPostgresError`` with the server's own reason in one line.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Notify = Callable[[str], None]

# PostgreSQL refuses a data directory that its group may write or others may enter
# (it accepts 0700 and 0750): src/backend/utils/init/miscinit.c, checkDataDir().
_REFUSED_BITS = stat.S_IWGRP | stat.S_IRWXO
_TRAVERSE = stat.S_IXGRP | stat.S_IXOTH


class EmbeddedPostgresError(RuntimeError):
    """The embedded server cannot start; the message says why and what to do, in one line."""


def start_embedded_postgres(data_dir: Path, *, notify: Notify | None = None) -> tuple[str, Any]:
    """Start (or join) the embedded server in ``data_dir``; return its URL and a handle.

    The server stops when the last process holding a handle calls ``cleanup()`` or exits.

    Args:
        data_dir: the PostgreSQL data directory (created if missing, mode 0700).
        notify: receives one-line notices, such as a data directory mode that was repaired.

    Raises:
        EmbeddedPostgresError: a parent folder is closed to the server's user, or the server
            refused to start (the reason is PostgreSQL's own ``FATAL`` line).
    """
    own_runtime_dir = Path("/tmp") / f"billing-runtime-{os.getuid()}"
    os.environ.setdefault("XDG_RUNTIME_DIR", str(own_runtime_dir))
    runtime_dir = Path(os.environ["XDG_RUNTIME_DIR"])
    # Traversable but not listable: the server's user (root runs it as ``pgserver``) may need
    # to reach a socket folder below it.
    runtime_dir.mkdir(mode=0o711, parents=True, exist_ok=True)
    data_dir = data_dir.resolve()
    outer = next((folder for folder in data_dir.parents if (folder / "PG_VERSION").exists()), None)
    if outer is not None:
        raise EmbeddedPostgresError(
            f"{data_dir} is inside the PostgreSQL data directory {outer}; "
            "put the two side by side (each server needs its own private folder)"
        )
    make_data_dir(data_dir)
    repair_data_dir_mode(data_dir, notify=notify)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on minimal machines; the fallback is fine.
        warnings.simplefilter("ignore")
        from pgserver import postgres_server

        # Outside the data directory, pgserver may open only its folder under the runtime
        # directory (its lock and, for long data paths, the socket), and that directory itself
        # when it is ours rather than the session's XDG_RUNTIME_DIR.
        owned: tuple[Path, ...] = (data_dir, Path(postgres_server.PostgresServer.runtime_path))
        if runtime_dir == own_runtime_dir:
            owned = (*owned, runtime_dir)
        with _checked_parent_permissions(postgres_server, owned=owned):
            with _quiet_pgserver_log():
                try:
                    server = postgres_server.get_server(data_dir, cleanup_mode="stop")
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                    raise EmbeddedPostgresError(_start_failure(data_dir, exc)) from None
    return str(server.get_uri()), server


def repair_data_dir_mode(data_dir: Path, *, notify: Notify | None = None) -> None:
    """Give an initialised data directory back the 0700 mode PostgreSQL insists on.

    Only a folder holding ``PG_VERSION`` is touched: that is a data directory the project made.
    """
    if not (data_dir / "PG_VERSION").exists():
        return
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if not mode & _REFUSED_BITS:
        return
    try:
        data_dir.chmod(0o700)
    except PermissionError:
        raise EmbeddedPostgresError(
            f"{data_dir} has mode {mode:04o} and PostgreSQL needs 0700; "
            f"run `chmod 700 {data_dir}` as its owner"
        ) from None
    if notify is not None:
        notify(f"repaired the mode of {data_dir} from {mode:04o} to 0700 (PostgreSQL needs it)")


def make_data_dir(data_dir: Path) -> None:
    """Create ``data_dir`` (0700) and its missing parents (0711); keep what exists."""
    missing = [folder for folder in (data_dir, *data_dir.parents) if not folder.exists()]
    # Folders we create on the way are traversable, so no later chmod is needed; the data
    # directory itself is private.
    # Another process (a second test worker) may create any of them between our look and our
    # mkdir: one it made is the same as one we would have made.
    for folder in reversed(missing):
        folder.mkdir(mode=0o700 if folder == data_dir else 0o711, exist_ok=True)


def ensure_traversable(path: Path, owned: tuple[Path, ...]) -> None:
    """Check that the server's user can reach ``path``; open only folders the project owns."""
    for folder in path.resolve().parents:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & stat.S_IXOTH:
            continue
        if any(folder == root or folder.is_relative_to(root) for root in owned):
            folder.chmod(mode | _TRAVERSE)
            continue
        raise EmbeddedPostgresError(
            f"PostgreSQL runs as the user 'pgserver' when started by root and cannot enter "
            f"{folder} (mode {mode:04o}); set BILLING_DATA_DIR to a folder outside it "
            f"(e.g. /var/lib/billing), run as a regular user, or set DATABASE_URL"
        )


@contextmanager
def _checked_parent_permissions(module: Any, *, owned: tuple[Path, ...]) -> Iterator[None]:
    # pgserver imports ensure_prefix_permissions by name into postgres_server, so that is the
    # name to replace; it is restored afterwards.
    original = getattr(module, "ensure_prefix_permissions", None)
    if original is None:
        yield
        return
    module.ensure_prefix_permissions = lambda path: ensure_traversable(Path(path), owned)
    try:
        yield
    finally:
        module.ensure_prefix_permissions = original


@contextmanager
def _quiet_pgserver_log() -> Iterator[None]:
    logger = logging.getLogger("pgserver")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _start_failure(data_dir: Path, exc: Exception) -> str:
    reason = "did not start in time" if isinstance(exc, subprocess.TimeoutExpired) else "failed"
    log = data_dir / "log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    fatal = next((line for line in reversed(lines) if "FATAL" in line), None)
    detail = fatal.split("FATAL:", 1)[-1].strip() if fatal else f"see {log}"
    return f"embedded PostgreSQL in {data_dir} {reason}: {detail}"
