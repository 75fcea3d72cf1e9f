"""Events billing consumes: intake's estates, units and occupancies (payers); the charges that become
one-off invoices (repairs' payable work, intake's violation fines); intake's renovation deposits."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.service import deposits, estates, invoices, registry
from propdesk.common.consumer import Subscription
from propdesk.common.contracts import intake as ev
from propdesk.common.contracts.repairs import ChargeRaised
from propdesk.common.events import Envelope

intake = Subscription(producer="intake")
repairs = Subscription(producer="repairs")


@intake.on(ev.EstateRegistered.spec.type)
async def on_estate_registered(session: AsyncSession, event: ev.EstateRegistered, envelope: Envelope) -> None:
    await estates.provision_estate(session, event, envelope)


@intake.on(ev.UnitRegistered.spec.type)
@intake.on(ev.UnitUpdated.spec.type)
async def on_unit(session: AsyncSession, event: ev.UnitSnapshot, envelope: Envelope) -> None:
    await registry.on_unit(session, event)


@intake.on(ev.ResidentRegistered.spec.type)
@intake.on(ev.ResidentUpdated.spec.type)
async def on_resident(session: AsyncSession, event: ev.ResidentSnapshot, envelope: Envelope) -> None:
    await registry.on_resident(session, event)


@intake.on(ev.OccupancyStarted.spec.type)
@intake.on(ev.OccupancyEnded.spec.type)
async def on_occupancy(session: AsyncSession, event: ev.OccupancySnapshot, envelope: Envelope) -> None:
    await registry.on_occupancy(session, event)


@intake.on(ev.MoveInCompleted.spec.type)
async def on_move_in(session: AsyncSession, event: ev.MoveInCompleted, envelope: Envelope) -> None:
    """The unit's account opens with the handover's meter readings (its payer arrives as the occupancy)."""
    await registry.record_readings(
        session, event.unit_id, event.meter_readings, event.handed_over_on, "move_in"
    )


@intake.on(ev.MoveOutCompleted.spec.type)
async def on_move_out(session: AsyncSession, event: ev.MoveOutCompleted, envelope: Envelope) -> None:
    await registry.record_readings(
        session, event.unit_id, event.meter_readings, event.moved_out_on, "move_out"
    )


@repairs.on(ChargeRaised.spec.type)
async def on_charge(session: AsyncSession, event: ChargeRaised, envelope: Envelope) -> None:
    await invoices.one_off(
        session,
        estate_id=event.estate_id,
        unit_id=event.unit_id,
        source_kind="repair_charge",
        source_id=event.charge_id,
        lines=[
            (
                f"{event.reference} {line.description}",
                Decimal(line.quantity),
                Decimal(line.unit_price_fen),
                line.amount_fen,
                "repair",
            )
            for line in event.lines
        ],
        memo=f"维修 repair {event.reference}",
    )


@intake.on(ev.ViolationFined.spec.type)
async def on_fine(session: AsyncSession, event: ev.ViolationFined, envelope: Envelope) -> None:
    if event.unit_id is None:
        return  # a fine on a common area has no unit account to bill
    await invoices.one_off(
        session,
        estate_id=event.estate_id,
        unit_id=event.unit_id,
        source_kind="fine",
        source_id=event.fine_id,
        lines=[
            (
                f"{event.reference} {event.reason}",
                Decimal(1),
                Decimal(event.amount_fen),
                event.amount_fen,
                "fine",
            )
        ],
        memo=f"违章罚款 fine {event.reference}",
    )


@intake.on(ev.RenovationDepositRequested.spec.type)
async def on_deposit_requested(
    session: AsyncSession, event: ev.RenovationDepositRequested, envelope: Envelope
) -> None:
    await deposits.requested(
        session,
        estate_id=event.estate_id,
        unit_id=event.unit_id,
        source_id=event.renovation_id,
        reference=event.reference,
        amount_fen=event.amount_fen,
    )


@intake.on(ev.RenovationDepositReleaseRequested.spec.type)
async def on_deposit_release(
    session: AsyncSession, event: ev.RenovationDepositReleaseRequested, envelope: Envelope
) -> None:
    await deposits.release(
        session,
        source_id=event.renovation_id,
        deductions=[d.model_dump(mode="json") for d in event.deductions],
        refund_fen=event.refund_fen,
    )


def subscriptions() -> list[Subscription]:
    return [intake, repairs]
