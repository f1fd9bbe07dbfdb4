from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class EquipmentValidationError(ValidationError):
    pass


class TransferError(UserError):
    pass


class IncidentError(UserError):
    pass


class MaintenanceError(UserError):
    pass


class CampaignError(UserError):
    pass


class EquipmentImportError(UserError):
    pass
