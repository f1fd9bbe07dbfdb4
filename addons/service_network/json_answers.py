"""Encode the JSON-RPC answers with the json module's C encoder.

trytond 8.0 (`trytond.protocols.jsonrpc`) encodes each answer with
`JSONEncoder.iterencode`, the pure-Python encoder: first to tell whether
it is over 1,400 characters, then, when it is (a form's read, a list), a
second time into `GzipStream`, which compresses each token on its own (a
read of 80 cases: 12,400 tokens). Under the agents' load that took a
twentieth of the web workers' CPU. Here `iterencode` gives the whole
answer as one chunk made by the C encoder (`JSONEncoder.encode`): the same
characters (the same `default` turns dates, decimals and bytes into
Tryton's objects), the size test unchanged, one compression of the whole
answer. An answer was already held whole in memory before encoding.
"""
import trytond.protocols.jsonrpc as jsonrpc


class OneChunkEncoder(jsonrpc.JSONEncoder):
    "Tryton's JSON encoder giving the whole text at once"

    def iterencode(self, o, _one_shot=False):
        if _one_shot:
            # what encode asks for: the C encoder
            return super().iterencode(o, _one_shot=True)
        return iter([self.encode(o)])


def install():
    if not isinstance(jsonrpc.encoder, OneChunkEncoder):
        jsonrpc.encoder = OneChunkEncoder(separators=(',', ':'))
