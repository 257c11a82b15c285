"""``/api/v1/test/clock``: read and move the service clock (404 unless
``BILLING_ENABLE_TEST_ROUTES``).

Moving it stores the new offset for every process (``billing.core.clock``) and queues a
billing cycle run, so a worker renews and collects what became due at once: a year of
renewals is a handful of requests. The clock only moves forward (or back to the wall clock
with ``reset``), like a provider's test clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StrictInt, model_validator

from billing.core import clock
from billing.core.envelope import ApiResponse
from billing.core.errors import BadRequest
from billing.core.jobs import BILLING_CYCLE_TASK, defer
from billing.core.schemas import WriteSchema
from billing.core.session import Session
from billing.routing import development_router
from billing.settings.service import settings as settings_service

router = development_router()

_LONGEST = 100 * 366


class ClockBackwards(BadRequest):
    """The test clock only moves forward."""

    code = "clock_backwards"
    message = "The service clock only moves forward; use reset to go back to the wall clock."


class ClockMove(WriteSchema):
    """Where to move the clock: to an instant, by an amount, or back to the wall clock."""

    now: AwareDatetime | None = Field(default=None, description="The new current instant.")
    advance_days: StrictInt | None = Field(default=None, ge=0, le=_LONGEST)
    advance_seconds: StrictInt | None = Field(default=None, ge=0, le=_LONGEST * 86400)
    reset: StrictBool = False
    run_cycle: StrictBool = Field(
        default=True, description="Queue a billing cycle run for what became due."
    )

    @model_validator(mode="after")
    def _one_move(self) -> ClockMove:
        moves = [
            self.now is not None,
            self.advance_days is not None or self.advance_seconds is not None,
            self.reset,
        ]
        if sum(moves) != 1:
            raise ValueError("send one of now, advance_days/advance_seconds or reset")
        return self


class ClockRead(BaseModel):
    """The service clock."""

    now: datetime
    today: date = Field(description="Today in the operator's time zone.")
    timezone: str
    wall_now: datetime
    offset_seconds: float
    cycle_queued: bool = False


async def _read(session: Session, *, queued: bool = False) -> ClockRead:
    current = await settings_service.get(session)
    return ClockRead(
        now=clock.utcnow(),
        today=clock.today_in(current.timezone),
        timezone=current.timezone,
        wall_now=clock.wall_now(),
        offset_seconds=clock.offset().total_seconds(),
        cycle_queued=queued,
    )


@router.get("/clock", name="test_clock_get")
async def get_clock(session: Session) -> ApiResponse[ClockRead]:
    """The service clock (development only)."""
    await clock.refresh(session)
    return ApiResponse(data=await _read(session))


@router.post("/clock", name="test_clock_move")
async def move_clock(body: ClockMove, session: Session) -> ApiResponse[ClockRead]:
    """Move the service clock for every process (development only)."""
    await clock.refresh(session)
    if body.reset:
        offset = timedelta(0)
    else:
        target = (
            body.now.astimezone(UTC)
            if body.now is not None
            else clock.utcnow()
            + timedelta(days=body.advance_days or 0, seconds=body.advance_seconds or 0)
        )
        if target < clock.utcnow():
            raise ClockBackwards
        offset = target - clock.wall_now()
    await clock.save(session, offset)
    if body.run_cycle:
        await defer(session, BILLING_CYCLE_TASK, args={})
    return ApiResponse(data=await _read(session, queued=body.run_cycle))
