"""A served process takes what startup built out of the garbage collector's walks."""

from __future__ import annotations

import gc

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app


async def test_startup_freezes_the_heap_it_built(settings: Settings) -> None:
    assert settings.database_url is not None
    database = Database.connect(settings.database_url, role=settings.app_role, pool_size=1)
    app = create_app(settings.model_copy(update={"embedded_worker": False}), database)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        async with app.router.lifespan_context(app):
            # Models, schemas and routes: hundreds of thousands of objects no collection of
            # the oldest generation walks again (each walk stopped the loop for about 75 ms).
            assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
