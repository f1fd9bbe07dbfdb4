"""Real partner servers for the tests and benchmarks: WSGI apps served in
threads on 127.0.0.1, with the failures a partner system shows."""
import json
import random
import socket
import threading
import time
from collections import Counter

from werkzeug.serving import WSGIRequestHandler, make_server

from connector.transport import signature


class QuietHandler(WSGIRequestHandler):
    def log(self, *args, **kwargs):
        pass


class LocalServer:
    "Serve app on 127.0.0.1 in a thread; stop and start again on one port"

    def __init__(self, app, port=0):
        self.app = app
        self.port = port
        self.server = None

    def start(self):
        self.server = make_server(
            '127.0.0.1', self.port, self.app, threaded=True,
            request_handler=QuietHandler)
        self.port = self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
        self.server = None

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.server:
            self.stop()


def closed_port():
    "A port of 127.0.0.1 where nothing listens: connections are refused"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Partner:
    """The partner's memory and its failures.

    script holds the failures of the next calls in turn (None: answer);
    then fail_rate of the calls fail at random, half before the partner
    acts, half after it acted (the answer is lost). processed counts the
    actions per idempotency key: a key seen again is answered from memory."""

    def __init__(self, fail_rate=0.0, seed=1, delay=0):
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.script = []
        self.delay = delay
        self.lock = threading.Lock()
        self.calls = Counter()
        self.processed = Counter()
        self.answers = {}
        self.statuses = {}

    def failure(self):
        with self.lock:
            if self.script:
                return self.script.pop(0)
            if self.fail_rate and self.rng.random() < self.fail_rate:
                return self.rng.choice(['error', 'error_after'])

    def act(self, key, action):
        "Do action once per key; return its answer"
        with self.lock:
            self.calls[key] += 1
            if key not in self.answers:
                self.processed[key] += 1
                self.answers[key] = action(len(self.answers) + 1)
            return self.answers[key]

    def sleep(self, failure):
        if failure == 'slow':
            time.sleep(self.delay)


def signed_callback(secret, payload, timestamp=None):
    "Return the headers and body of a partner's signed callback"
    body = json.dumps(payload).encode('utf-8')
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    return {
        'X-Connector-Timestamp': timestamp,
        'X-Connector-Signature': signature(secret, timestamp, body),
        'Content-Type': 'application/json',
        }, body
