"""A ministry's REST service behind X-Road, for the tests: it checks the
X-Road headers and the bearer token and acts once per idempotency key."""
import json
import time

from werkzeug.wrappers import Request, Response

from connector.tests.servers import Partner

SERVICE = 'SN/GOV/MJUSTICE/CASIER/criminal-record'
CLIENT = 'SN/GOV/SENUM/ESS'
TOKEN = 'jeton-ministere-9f2c'


def reply(data, status=200):
    return Response(
        json.dumps(data), status=status, mimetype='application/json')


class MinistryService(Partner):
    """Failures of script: 'error' (HTTP 500), 'error_after' (acts, then
    HTTP 500), 'slow' (sleeps delay seconds), 'malformed' (broken JSON)"""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.headers = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        failure = self.failure()
        if failure == 'slow':
            time.sleep(self.delay)
        if failure == 'error':
            return Response('<h1>Internal Server Error</h1>', status=500)
        if request.path == f"/r1/{SERVICE.rsplit('/', 1)[0]}/listMethods":
            return self.list_methods(request)
        prefix = f'/r1/{SERVICE}/'
        if not request.path.startswith(prefix):
            return reply({'message': "unknown service"}, 404)
        refusal = self.refusal(request)
        if refusal:
            return refusal
        path = request.path[len(prefix):]
        if request.method == 'GET' and path.startswith('requests/'):
            reference = path.split('/', 1)[1]
            if reference not in self.statuses:
                return reply({'message': "unknown request"}, 404)
            return reply({
                    'reference': reference,
                    'status': self.statuses[reference]})
        if request.method != 'POST' or path != 'requests':
            return reply({'message': "unknown operation"}, 404)
        return self.submit(request, failure)

    def submit(self, request, failure):
        "A case submitted: acted once per idempotency key"
        key = request.headers.get('Idempotency-Key')
        try:
            data = json.loads(request.get_data())
        except ValueError:
            return reply({'message': "invalid JSON"}, 400)
        if not key or not isinstance(data, dict) or not data.get('case'):
            return reply({'message': "case and Idempotency-Key needed"}, 400)
        answer = self.act(key, lambda n: {
                'reference': f'CJ-{n:06d}', 'status': 'received'})
        self.statuses.setdefault(answer['reference'], 'received')
        if failure == 'error_after':
            return Response('<h1>Bad Gateway</h1>', status=502)
        if failure == 'malformed':
            return Response(
                '{"reference": "CJ-', status=201,
                mimetype='application/json')
        return reply(answer, 201)

    def refusal(self, request):
        "The answer to a caller X-Road or the ministry does not know"
        self.headers.append(dict(request.headers))
        if request.headers.get('X-Road-Client') != CLIENT:
            return reply({'message': "unknown X-Road client"}, 403)
        if request.headers.get('Authorization') != f'Bearer {TOKEN}':
            return reply({'message': "invalid token"}, 401)

    def list_methods(self, request):
        "X-Road's metadata service: the REST services of the subsystem"
        refusal = self.refusal(request)
        if refusal:
            return refusal
        instance, member_class, member, subsystem, code = SERVICE.split('/')
        return reply({'service': [{
                        'object_type': 'SERVICE',
                        'xroad_instance': instance,
                        'member_class': member_class,
                        'member_code': member,
                        'subsystem_code': subsystem,
                        'service_code': code,
                        'service_type': 'REST',
                        }]})
