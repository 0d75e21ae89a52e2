"""A real HTTP server on 127.0.0.1 for connector tests: fixtures and injected failures.

Each path has a script of responses served in order (the last one repeats).
A response may ask for a delay (to trigger client timeouts), a Retry-After, an
ETag (then a matching If-None-Match gets a 304), or a body shorter than its
declared Content-Length (a truncated transfer), or a body trickling in one byte
every `trickle_s` seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    etag: str | None = None
    declared_length: int | None = None
    trickle_s: float = 0.0


@dataclass
class Served:
    path: str
    headers: dict[str, str]


class ScriptedServer:
    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.requests: list[Served] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                reply = server._next(self.path, dict(self.headers))
                if reply.delay_s:
                    threading.Event().wait(reply.delay_s)
                if reply.etag is not None and self.headers.get("If-None-Match") == reply.etag:
                    self.send_response(304)
                    self.send_header("ETag", reply.etag)
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.etag is not None:
                    self.send_header("ETag", reply.etag)
                self.send_header("Content-Length", str(reply.declared_length or len(reply.body)))
                self.end_headers()
                try:
                    if reply.trickle_s:
                        for byte in reply.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            threading.Event().wait(reply.trickle_s)
                    else:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _next(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Served(path, headers))
            script = self.scripts.get(path.split("?")[0] if path.split("?")[0] in self.scripts else path)
            if not script:
                return Reply(404, b"not found")
            return script.pop(0) if len(script) > 1 else script[0]

    def serve(self, path: str, *replies: Reply) -> str:
        self.scripts[path] = list(replies)
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hits(self, path: str) -> list[Served]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
