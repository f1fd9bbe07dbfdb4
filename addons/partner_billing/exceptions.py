from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class AgreementValidationError(ValidationError):
    pass


class AgreementError(UserError):
    pass


class BillingRunError(UserError):
    pass


class NothingToBillError(BillingRunError):
    pass


class RemittanceError(UserError):
    pass
