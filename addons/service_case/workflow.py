"""The states of a case and the helpers its workflow is built with."""
import functools
from decimal import Decimal

from trytond.model import Workflow

from service_network.user import current_employee  # noqa: F401

STATES = [
    ('draft', "Draft"),
    ('submitted', "Submitted"),
    ('transmitted', "Transmitted"),
    ('at_partner', "At Partner"),
    ('waiting_citizen', "Waiting for Citizen"),
    ('waiting_partner', "Waiting for Partner"),
    ('ready', "Ready"),
    ('delivered', "Delivered"),
    ('rejected', "Rejected"),
    ('cancelled', "Cancelled"),
    ]
# States where the delay runs or is paused: the case is not finished
OPEN_STATES = {
    'submitted', 'transmitted', 'at_partner', 'waiting_citizen',
    'waiting_partner', 'ready'}
PAUSE_STATES = {'waiting_citizen', 'waiting_partner'}
# Below this share of the legal delay left, a case is at risk
AT_RISK_SHARE = Decimal('0.2')


def transition(state):
    """Like Workflow.transition, but refuse the cases that cannot reach
    state instead of skipping them, and record each move in the history"""
    def decorator(func):
        func = Workflow.transition(state)(func)

        @functools.wraps(func)
        def wrapper(cls, cases, *args, **kwargs):
            cls.check_transition(cases, state)
            before = {c.id: c.state for c in cases}
            result = func(cls, cases, *args, **kwargs)
            cls.record_history(cls.browse([c.id for c in cases]), before)
            return result
        return wrapper
    return decorator
