"""Name a refused wizard by its action, in the user's language.

trytond's access check of a wizard (`Wizard.check_access`) refuses a user
outside the wizard's groups with its technical name: « Vous n'êtes pas
autorisé à exécuter le wizard « billing.run.wizard ». ». The refusal is
kept as it is, and the technical name replaced by the name of the
wizard's action (« Facturer les partenaires »), as the wizards' own
checks name them (protection.wizard_label).
"""
from trytond.model.exceptions import AccessError
from trytond.wizard import Wizard

from .protection import wizard_label

_tryton_check_access = Wizard.check_access.__func__


def check_access(cls):
    try:
        return _tryton_check_access(cls)
    except AccessError as error:
        label = wizard_label(cls.__name__)
        if label == cls.__name__ or cls.__name__ not in error.message:
            raise
        raise AccessError(
            error.message.replace(cls.__name__, label),
            error.description) from error


def install():
    Wizard.check_access = classmethod(check_access)
