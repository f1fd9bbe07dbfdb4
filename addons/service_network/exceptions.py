from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class SiteValidationError(ValidationError):
    pass


class SiteStateError(UserError):
    pass


class PhoneValidationError(ValidationError):
    pass


class ProcedureValidationError(ValidationError):
    pass


class HolidayValidationError(ValidationError):
    pass


class ViewValidationError(ValidationError):
    pass
