from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class ProfileValidationError(ValidationError):
    pass


class StatementError(UserError):
    pass


class StatementImportError(UserError):
    pass


class DecisionError(UserError):
    pass
