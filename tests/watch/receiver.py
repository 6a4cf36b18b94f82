"""A real HTTPS endpoint for pushed Security Event Tokens: a self-signed certificate made with
`cryptography` for 127.0.0.1, served by the standard library, answering from a script."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.tls import self_signed


@dataclass
class Received:
    content_type: str
    accept: str
    body: str


@dataclass
class Receiver:
    """What it was sent, and what it answers next (status, JSON body), in order; 202 after."""

    url: str
    ca_bundle: str
    answers: list[tuple[int, dict | None]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


def serve(folder: Path) -> tuple[Receiver, ThreadingHTTPServer]:
    cert, key = self_signed(folder)
    state = Receiver(url="", ca_bundle=str(cert))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(
                Received(
                    self.headers.get("Content-Type", ""),
                    self.headers.get("Accept", ""),
                    self.rfile.read(length).decode(),
                )
            )
            status, body = state.answers.pop(0) if state.answers else (202, None)
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"https://127.0.0.1:{server.server_port}/events"
    return state, server
