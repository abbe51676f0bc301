"""A real HTTP server on 127.0.0.1 standing in for the SMS provider (the `gateway` and `http_sms` fixtures of
tests/conftest.py): it records every POST and answers like a gateway would."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "gw-s3cret"  # SMS_GATEWAY_TOKEN under `http_sms`


@dataclass
class Gateway:
    """What the gateway received, and how it answers.

    Each POST is answered with the next status in `statuses`, then with `status` (200). The body is `answer`
    when set, else `{"message_id": "gw-<n>"}` (n counts the POSTs from 1) for a 2xx, `{"error": "busy"}`
    otherwise."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    status: int = 200
    statuses: list[int] = field(default_factory=list)
    answer: dict | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def texts(self) -> list[str]:
        return [r["json"]["text"] for r in self.requests]

    def respond(self, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "json": json.loads(body)})
            status = self.statuses.pop(0) if self.statuses else self.status
            number = len(self.requests)
            answer = self.answer
        if answer is None:
            answer = {"message_id": f"gw-{number}"} if 200 <= status < 300 else {"error": "busy"}
        return status, answer


@contextmanager
def running_gateway() -> Iterator[Gateway]:
    """A Gateway serving on a free port (its `url` ends in /sms/send), stopped on exit."""
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = state.respond(self.path, dict(self.headers), body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
