"""Rendering off the event loop: a bounded pool of processes.

Rendering a PDF or an e-invoice is CPU work that holds the GIL; in a thread of the serving
process it still slows every other request (a JSON GET waits for the PDF next to it). The pool
renders in separate processes (``BILLING_RENDER_PROCESSES``; by default one CPU fewer than the
machine has, so that one core always serves), started on first use with ``spawn`` (never
``fork`` from a process running an event loop and threads) and warmed so that fonts and
renderers are loaded before the first document. The rendering processes run at a lower
scheduling priority: when the cores are busy, the kernel gives them to the event loop and to
PostgreSQL first, so a JSON GET does not queue behind a 300-line PDF. With 0 processes the
rendering runs in a thread, which tests may prefer.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

import anyio.to_thread

from billing.renderers import RENDERERS, DocumentFormat, InvoiceDocument, RenderedDocument
from billing.renderers.base import RenderOptions


def render_document(
    document: InvoiceDocument, document_format: DocumentFormat, options: RenderOptions
) -> RenderedDocument:
    """Render ``document``; pure and deterministic, so it may run in any process."""
    return RENDERERS[document_format].render(document, options)


# Niceness of the rendering processes: a PDF may take a second longer under load, a JSON
# request may not.
RENDER_NICENESS = 10


def _start_renderer() -> None:
    with contextlib.suppress(OSError):  # a platform without nice(2) renders at full priority
        os.nice(RENDER_NICENESS)
    _warm()


def _warm() -> None:
    # Importing the renderers loads fonts, ICC profiles and XML schemas once per process.
    from billing import renderers  # noqa: F401


class RenderPool:
    """Renders documents in worker processes (or a thread when ``processes`` is 0)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_renderer,
                )
            return self._executor

    async def render(
        self, document: InvoiceDocument, document_format: DocumentFormat, options: RenderOptions
    ) -> RenderedDocument:
        """Render without blocking the event loop; renderer errors propagate unchanged."""
        if self.processes == 0:
            return await anyio.to_thread.run_sync(
                render_document, document, document_format, options
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._ensure(), render_document, document, document_format, options
        )

    def start(self) -> None:
        """Start the processes now, so that no request waits for them (the app's lifespan)."""
        if self.processes > 0:
            executor = self._ensure()
            for _ in range(self.processes):
                executor.submit(_warm)

    def shutdown(self) -> None:
        """Stop the processes (the app's lifespan calls this on shutdown)."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
