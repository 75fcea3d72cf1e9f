"""The event catalog: every payload any service publishes, imported by producer and consumers alike.

One module per producing service. Add an event: define the payload here with `@event(...)`, record it
with `outbox.record(...)`, regenerate `docs/asyncapi.yaml` (`propdesk asyncapi`), update
`docs/architecture.md`.
"""

from propdesk.common.contracts import billing, identity, incidents, intake, notify, repairs
from propdesk.common.events import CATALOG, Catalog

__all__ = ["billing", "identity", "incidents", "intake", "load_catalog", "notify", "repairs"]


def load_catalog() -> Catalog:
    """The catalog, complete: every contract module above is imported."""
    return CATALOG
