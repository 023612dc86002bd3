#!/usr/bin/python3
"""An OS2IoT backend stand-in for iot-bootstrap-org's tests (shared/specs/platform.md).

It implements the calls an organisation bootstrap makes, with the backend's (NestJS) status
codes and bodies:

  GET  /api/v1/healthcheck            200 "OK"
  POST /api/v1/auth/login             {"username","password"} -> 201 {"accessToken"}; 401 otherwise
  GET  /api/v1/organization/minimal   Bearer -> 200 {"count","data":[{"id","name"}]}; 401 without
  POST /api/v1/organization           Bearer {"name"} -> 201 the organisation; 400
                                      MESSAGE.ORGANIZATION-ALREADY-EXISTS for a duplicate name
                                      (and for any invalid create, as the backend does)

The default admin is global-admin@os2iot.dk / hunter2 (--password changes it). Tokens are opaque
random strings here (the backend issues JWTs; the bootstrap never looks inside them).

Control endpoints under /_standin/ (JSON bodies) simulate what the tests need:

  GET  state                      organisations, counters (requests per route, logins, creates)
  POST faults {"count","after","status","mode","where"}
                                  the next `count` requests to `where` (all, health, login, list,
                                  create) after letting `after` through fail: with `status`
                                  (default 503), or mode "close" (connection dropped unanswered),
                                  or mode "apply-then-close" (the request takes effect, then the
                                  connection drops: the answer of a create is lost), or mode
                                  "empty" (the list answers no organisations: a stale read)
  POST restart {"seconds"}        the backend restarts: for `seconds` every request but the
                                  control ones gets 503 and issued tokens are forgotten
  POST clear                      no more faults
  POST organization {"name"}      adds an organisation directly (made by someone else)

Run it with /usr/bin/python3:  os2iot_standin.py --port-file FILE [--password P] [--verbose]
It binds 127.0.0.1 on a free port, writes the port to --port-file (atomically) and prints
"os2iot-standin listening on PORT".
"""

import argparse
import json
import os
import secrets
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DUPLICATE = "MESSAGE.ORGANIZATION-ALREADY-EXISTS"


class State:
    def __init__(self, username, password):
        self.lock = threading.Lock()
        self.username = username
        self.password = password
        self.tokens = set()
        self.orgs = []  # {"id", "name", "createdAt", "updatedAt", ...}
        self.next_id = 1
        self.faults = []
        self.down_until = 0.0
        self.counters = {}

    def count(self, name):
        self.counters[name] = self.counters.get(name, 0) + 1

    def add_org(self, name):
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        org = {"id": self.next_id, "name": name, "createdAt": now, "updatedAt": now,
               "createdBy": 1, "updatedBy": 1, "applications": [], "payloadDecoders": []}
        self.next_id += 1
        self.orgs.append(org)
        return org


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "os2iot-standin/1"
    state: State = None

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("os2iot-standin: " + (fmt % args) + "\n")

    def send(self, status, body=None, content_type="application/json"):
        if body is None:
            data = b""
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def error(self, status, message, error):
        self.send(status, {"statusCode": status, "message": message, "error": error})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def route(self, method, path):
        return {("GET", "/api/v1/healthcheck"): "health", ("POST", "/api/v1/auth/login"): "login",
                ("GET", "/api/v1/organization/minimal"): "list",
                ("POST", "/api/v1/organization"): "create"}.get((method, path), "other")

    def take_fault(self, where):
        for f in self.state.faults:
            if f["remaining"] != 0 and f["where"] in ("all", where):
                if f["after"] > 0:
                    f["after"] -= 1
                    return None
                f["remaining"] -= 1
                return dict(f)
        return None

    def handle_any(self, method):
        s = self.state
        path = urlsplit(self.path).path
        body = self.read_body() if method == "POST" else None
        if path.startswith("/_standin/"):
            return self.control(method, path[len("/_standin/"):], body if isinstance(body, dict) else {})
        where = self.route(method, path)
        with s.lock:
            s.count(where + "_requests")
            if time.time() < s.down_until:
                s.count("refused_while_down")
                return self.send(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                                 "text/html")
            fault = self.take_fault(where)
            if fault and fault["mode"] == "close":
                return self.drop()
            if fault and fault["mode"] == "empty" and where == "list" and self.authorized():
                # A stale read (or a run racing another): the list misses what exists.
                return self.send(200, {"count": 0, "data": []})
            if fault and fault["mode"] == "status":
                return self.error(fault["status"], "injected", "Service Unavailable")
            answer = self.answer(where, body)
        if fault and fault["mode"] == "apply-then-close":
            return self.drop()
        self.send(*answer)

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.state.tokens

    def answer(self, where, body):
        """(status, body[, content type]) for a request; called with the lock held."""
        s = self.state
        unauthorized = (401, {"statusCode": 401, "message": "Unauthorized"})
        if where == "health":
            return 200, "OK", "text/html; charset=utf-8"
        if where == "login":
            if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                    or not isinstance(body.get("password"), str):
                return 400, {"statusCode": 400, "message": ["username must be a string"], "error": "Bad Request"}
            if body["username"] != s.username or body["password"] != s.password:
                s.count("logins_refused")
                return 401, {"statusCode": 401, "message": "MESSAGE.PASSWORD-DOES-NOT-MATCH",
                             "error": "Unauthorized"}
            token = secrets.token_urlsafe(32)
            s.tokens.add(token)
            s.count("logins")
            return 201, {"accessToken": token}
        if where == "list":
            if not self.authorized():
                return unauthorized
            return 200, {"count": len(s.orgs), "data": [{"id": o["id"], "name": o["name"]} for o in s.orgs]}
        if where == "create":
            if not self.authorized():
                return unauthorized
            name = body.get("name") if isinstance(body, dict) else None
            # The backend answers every create error with this 400 (a duplicate or otherwise).
            if not isinstance(name, str) or not name or any(o["name"] == name for o in s.orgs):
                s.count("creates_refused")
                return 400, {"statusCode": 400, "message": DUPLICATE, "error": "Bad Request"}
            s.count("creates")
            return 201, s.add_org(name)
        return 404, {"statusCode": 404, "message": "Cannot %s %s" % (self.command, self.path), "error": "Not Found"}

    def control(self, method, what, body):
        s = self.state
        with s.lock:
            if what == "state" and method == "GET":
                return self.send(200, {"organizations": s.orgs, "counters": s.counters,
                                       "down": time.time() < s.down_until})
            if what == "faults" and method == "POST":
                s.faults.append({"remaining": int(body.get("count", 1)), "after": int(body.get("after", 0)),
                                 "status": int(body.get("status", 503)), "mode": body.get("mode", "status"),
                                 "where": body.get("where", "all")})
                return self.send(204)
            if what == "restart" and method == "POST":
                s.down_until = time.time() + float(body.get("seconds", 1))
                s.tokens.clear()
                return self.send(204)
            if what == "clear" and method == "POST":
                s.faults, s.down_until = [], 0.0
                return self.send(204)
            if what == "organization" and method == "POST":
                return self.send(201, s.add_org(body["name"]))
        return self.send(404, {"error": "unknown control endpoint " + what})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--username", default="global-admin@os2iot.dk")
    p.add_argument("--password", default="hunter2", help="the admin's password (the backend's default: hunter2)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    Handler.state = State(args.username, args.password)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.verbose = args.verbose
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    print(f"os2iot-standin listening on {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
