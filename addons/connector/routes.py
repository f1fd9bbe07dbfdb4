"""Inbound callbacks: a partner pushes a status change, signed with its
callback secret (headers X-Connector-Timestamp and X-Connector-Signature,
HMAC-SHA256 of "<timestamp>.<body>"); it is applied once and answered 204.
Refusals are answered in JSON, an unknown endpoint as a wrong signature."""
import json
import logging

from trytond.protocols.wrappers import (
    HTTPStatus,
    Response,
    allow_null_origin,
    with_pool,
    with_transaction,
)
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_network.http_headers import API_POLICY, secure_headers

from .exceptions import CallbackError

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = 'X-Connector-Timestamp'
SIGNATURE_HEADER = 'X-Connector-Signature'


@app.route(
    '/<database_name>/connector/callback/<int:endpoint_id>',
    methods=['POST'])
@allow_null_origin
@with_pool
@with_transaction(context={'_skip_warnings': True})
def callback(request, pool, endpoint_id):
    Endpoint = pool.get('connector.endpoint')
    try:
        Endpoint.receive_callback(
            endpoint_id, request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER), request.get_data())
    except CallbackError as error:
        logger.info("callback %s refused: %s", endpoint_id, error.reason)
        # A refused callback keeps nothing of what it may have written
        Transaction().rollback()
        response = Response(
            json.dumps({'error': error.reason}), error.status,
            content_type='application/json')
    else:
        response = Response(status=HTTPStatus.NO_CONTENT)
    return secure_headers(response, policy=API_POLICY)
