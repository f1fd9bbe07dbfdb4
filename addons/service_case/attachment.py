from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .exceptions import AttachmentValidationError

# Attachments of these models hold citizens' scans: their size is limited
LIMITED_MODELS = {'case.case', 'case.document', 'case.complaint'}


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'

    @classmethod
    def validate_fields(cls, attachments, field_names):
        super().validate_fields(attachments, field_names)
        if field_names is None or {'data', 'resource'} & field_names:
            cls.check_case_size(attachments)

    @classmethod
    def check_case_size(cls, attachments):
        pool = Pool()
        Configuration = pool.get('case.configuration')
        limit = Configuration(1).attachment_max_size
        for attachment in attachments:
            resource = str(attachment.resource or '')
            if (attachment.type != 'data'
                    or resource.split(',')[0] not in LIMITED_MODELS):
                continue
            size = attachment.data_size or 0
            if size > limit * 1024 * 1024:
                raise AttachmentValidationError(gettext(
                        'service_case.msg_attachment_too_large',
                        name=attachment.name,
                        size=f'{size / 1024 / 1024:.1f}', limit=limit))
