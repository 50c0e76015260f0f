"""TEST DOUBLE: a model server that dies on its first chat completion.

It stands in for a llama.cpp built for instructions the CPU does not execute (issue 10):
such a server lists its model, then the kernel kills it with "invalid opcode" once a real
prompt reaches its matrix kernels. A correctly built llama.cpp cannot be made to do that
on purpose, so the start-up check's crash path is tested against this process instead.

Run as ``python tests/fakes/trapping_llm_server.py PORT``: it answers ``GET /v1/models``,
prints a line like the kernel's to its log, and exits 132 (SIGILL's shell status) on the
first ``POST``, without answering.
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": "smollm2"}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        print("traps: python trap invalid opcode in libggml-cpu.so (test double)", flush=True)
        os._exit(132)

    def log_message(self, format: str, *args: object) -> None:
        print(format % args, flush=True)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
