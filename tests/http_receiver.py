"""A webhook receiver on 127.0.0.1 that records every request and fails on cue."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.plan: list[int | str] = []  # next answers: a status, or "slow" (a timeout); then 200
        self.requests: list[tuple[int, str, dict]] = []  # (status, idempotency key, body)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = receiver.plan.pop(0) if receiver.plan else 200
                # Recorded on arrival; a "slow" answer reaches the client after it gave up.
                receiver.requests.append((answer, self.headers["Idempotency-Key"], body))
                if answer == "slow":
                    time.sleep(1.5)  # past the client's timeout
                    answer = 200
                self.send_response(answer)
                self.end_headers()
                self.wfile.write(b"{}")

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
