"""The event catalog: every payload any service publishes, imported by producer and consumers alike.

One module per producing service. Add an event: define the payload here with `@event(...)`, record it
with `outbox.record(...)`, regenerate `docs/asyncapi.yaml` (`propdesk asyncapi`), update
`docs/architecture.md`.
"""

from propdesk.common.contracts import billing, incidents, intake, notify, repairs

__all__ = ["billing", "incidents", "intake", "notify", "repairs"]
