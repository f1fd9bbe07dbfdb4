# Reliable messaging shared by every connector: partner endpoints, an outbox
# of messages sent with retries and idempotency keys, and signed inbound
# callbacks. Models are registered in tryton.cfg.
from . import routes

__all__ = [routes]
