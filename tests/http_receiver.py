"""A webhook receiver on 127.0.0.1 that records every request and fails on cue."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The signing secret the tests give segmart and the receiver (docs/security.md).
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


class Receiver:
    def __init__(self) -> None:
        # Next answers: a status, (status, headers), or "slow" (a timeout); then 200.
        self.plan: list[int | str | tuple[int, dict[str, str]]] = []
        self.requests: list[tuple[int, str, dict]] = []  # (status, idempotency key, body)
        self.raw: list[tuple[dict[str, str], bytes]] = []  # (headers in lower case, body bytes)
        self.gets: list[str] = []  # paths of any GET (a followed redirect would be one)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                answer = receiver.plan.pop(0) if receiver.plan else 200
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                # Recorded on arrival; a "slow" answer reaches the client after it gave up.
                receiver.requests.append((status, self.headers["Idempotency-Key"], json.loads(raw)))
                receiver.raw.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                if status == "slow":
                    time.sleep(1.5)  # past the client's timeout
                    status = 200
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self):
                receiver.gets.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self) -> list[tuple[str, dict]]:
        return [(key, body) for status, key, body in self.requests if status == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
