"""The event contracts, one module per producing service.

Importing this package registers every contract in :data:`rapport_events.registry.registry`.
"""

from rapport_events.contracts import identity, journey, loyalty, notifier, service_orders

__all__ = ["identity", "journey", "loyalty", "notifier", "service_orders"]
