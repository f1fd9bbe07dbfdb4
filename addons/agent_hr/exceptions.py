from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class AssignmentValidationError(ValidationError):
    pass


class EnrolmentValidationError(ValidationError):
    pass


class SessionError(UserError):
    pass


class ImportFileError(UserError):
    pass
