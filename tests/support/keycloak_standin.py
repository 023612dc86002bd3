#!/usr/bin/python3
"""A Keycloak stand-in for the toolkit's tests (Keycloak itself cannot run on these machines).

It implements exactly the calls of shared/specs/keycloak.md with Keycloak's status codes and
bodies, issues real access tokens with Keycloak's claims signed by python-jwt (an independent
JOSE implementation, never the toolkit's code), serves the JWKS and the discovery document, and
has control endpoints under /_standin/ to rotate keys, inject failures and slowness, expire admin
tokens and mint tokens for attack tests (the realm itself is in keycloak_realm.py). README.md beside this file says how it differs from
Keycloak. Run it with /usr/bin/python3 (Debian's python3-jwt and python3-cryptography).

    keycloak_standin.py --port-file FILE [--port 0] [--realm iot] [--base-path /auth] ...

It binds 127.0.0.1 on a free port, writes the port to --port-file (atomically) and prints
"keycloak-standin listening on PORT" on stdout.
"""

import argparse
import base64
import hmac
import json
import os
import socket
import ssl
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

try:
    import jwt  # noqa: F401  (python3-jwt: checked here to fail with a clear message)
    import cryptography  # noqa: F401
except ImportError as e:  # a setup problem, said plainly
    sys.exit(f"keycloak_standin: {e}: run with /usr/bin/python3 (apt-get install python3-jwt python3-cryptography)")

from keycloak_realm import BUILTIN_CLIENTS, REALM_DEFAULT_SCOPES, SIGNING_ALGS, Key, Realm, keycloak_secret


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "keycloak-standin/1"
    realm: Realm = None  # set by main()

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("standin: " + (fmt % args) + "\n")

    # -- plumbing ------------------------------------------------------------------------------
    def send(self, status, body=None, headers=None):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def body(self):
        # Read once: a fault injected before the handler runs still consumes the body, or the
        # next request on this keep-alive connection would start inside it.
        if not hasattr(self, "_body"):
            n = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(n) if n else b""
        return self._body

    def json_body(self):
        raw = self.body()
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def host_url(self):
        scheme = "https" if self.server.tls else "http"
        return f"{scheme}://{self.headers.get('Host') or '127.0.0.1:%d' % self.server.server_port}"

    def classify(self, path):
        r = self.realm
        if path.startswith("/_standin/"):
            return "control"
        if path.startswith(f"{r.base_path}/admin/"):
            return "admin"
        if path.endswith("/protocol/openid-connect/token"):
            return "token"
        if path.endswith("/protocol/openid-connect/certs"):
            return "jwks"
        if path.endswith("/.well-known/openid-configuration"):
            return "discovery"
        return "other"

    def injected(self, where):
        """Applies a configured delay and fault; True when the request was answered (or dropped)."""
        r = self.realm
        delay = 0.0
        fault = None
        with r.lock:
            for d in r.delays:
                if d["remaining"] != 0 and d["where"] in ("all", where):
                    d["remaining"] -= 1
                    delay = d["seconds"]
                    break
            for f in r.faults:
                if f["remaining"] != 0 and f["where"] in ("all", where):
                    if f["after"] > 0:
                        f["after"] -= 1
                        break
                    f["remaining"] -= 1
                    fault = dict(f)
                    break
        if delay:
            time.sleep(delay)
        self.body()
        if fault is None:
            return False
        if fault["mode"] == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        bodies = {500: {"error": "unknown_error"}, 502: None, 503: None, 504: None}
        self.send(fault["status"], bodies.get(fault["status"], {"error": "injected"}))
        return True

    def handle_any(self, method):
        r = self.realm
        self.__dict__.pop("_body", None)  # one handler serves every request of a connection
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        where = self.classify(path)
        with r.lock:
            r.in_flight += 1
            r.counters["max_in_flight"] = max(r.counters.get("max_in_flight", 0), r.in_flight)
        try:
            r.count(f"{where}_requests")
            if where != "control" and self.injected(where):
                return
            if where == "control":
                return self.control(method, path)
            realm_prefix = f"{r.base_path}/realms/{r.name}"
            admin_prefix = f"{r.base_path}/admin/realms/{r.name}"
            if path == realm_prefix + "/.well-known/openid-configuration" and method == "GET":
                return self.discovery()
            if path == realm_prefix + "/protocol/openid-connect/certs" and method == "GET":
                return self.send(200, r.jwks())
            if path == realm_prefix + "/protocol/openid-connect/token" and method == "POST":
                return self.token(r.login_realm == r.name)
            if (path == f"{r.base_path}/realms/{r.login_realm}/protocol/openid-connect/token"
                    and method == "POST"):
                return self.token(True)
            if path.startswith(admin_prefix + "/") or path == admin_prefix:
                return self.admin(method, path[len(admin_prefix):], query)
            if where == "admin":
                return self.send(404, {"error": "Realm not found."})
            if path.startswith(f"{r.base_path}/realms/"):
                return self.send(404, {"error": "Realm does not exist"})
            return self.send(404, {"error": "Unable to find matching target resource method"})
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with r.lock:
                r.in_flight -= 1

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    # -- OIDC ----------------------------------------------------------------------------------
    def discovery(self):
        issuer = self.realm.issuer(self.host_url())
        oidc = issuer + "/protocol/openid-connect"
        self.send(200, {
            "issuer": issuer, "authorization_endpoint": oidc + "/auth", "token_endpoint": oidc + "/token",
            "introspection_endpoint": oidc + "/token/introspect", "userinfo_endpoint": oidc + "/userinfo",
            "end_session_endpoint": oidc + "/logout", "jwks_uri": oidc + "/certs",
            "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password",
                                      "client_credentials"],
            "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token",
                                         "code token", "code id_token token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic",
                                                      "client_secret_post", "tls_client_auth",
                                                      "client_secret_jwt"],
        })

    def token(self, login_realm=False):
        r = self.realm
        raw = self.body().decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        if form.get("grant_type") == "password":
            return self.password_grant(form) if login_realm else self.send(
                401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})
        if login_realm and r.login_realm != r.name:
            return self.send(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                client_id, secret = unquote(user), unquote(pw)
            except ValueError:
                return self.send(400, {"error": "invalid_request", "error_description": "Invalid Basic header"})
        if form.get("grant_type") != "client_credentials":
            return self.send(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
        invalid = {"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}
        with r.lock:
            client = r.find_client(client_id or "")
            if client is None or not client.get("enabled", True):
                return self.send(401, invalid)
            if client.get("publicClient"):
                return self.send(401, {"error": "unauthorized_client",
                                       "error_description": "Public client not allowed to retrieve service account"})
            if not hmac.compare_digest((client.get("secret") or "").encode(), (secret or "").encode()):
                return self.send(401, invalid)
            if not client.get("serviceAccountsEnabled"):
                return self.send(401, {"error": "unauthorized_client",
                                       "error_description": "Client not enabled to retrieve service account"})
            admin = r.is_admin_client(client)
            lifespan = r.admin_token_lifespan if admin else r.access_token_lifespan
            claims = r.claims_for(client, self.host_url(), lifespan)
            if admin:
                claims["resource_access"] = {"realm-management": {"roles": ["manage-clients", "view-clients"]}}
            token = r.sign(claims)
            if admin:
                r.admin_tokens[token] = claims["exp"]
            r.count("admin_tokens_issued" if admin else "device_tokens_issued")
        self.send(200, {"access_token": token, "expires_in": lifespan, "refresh_expires_in": 0,
                        "token_type": "Bearer", "not-before-policy": 0, "scope": claims["scope"]})

    def password_grant(self, form):
        """The realm administrator's login with admin-cli (a public client), as Keycloak answers it."""
        r = self.realm
        if form.get("client_id") != "admin-cli":
            return self.send(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        with r.lock:
            user = r.admin_user
            if form.get("username", "").lower() != user["username"].lower() or not hmac.compare_digest(
                    form.get("password", "").encode(), r.admin_user_password.encode()):
                r.count("realm_admin_logins_refused")
                return self.send(401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})
            now = int(time.time())
            claims = {"exp": now + r.admin_token_lifespan, "iat": now, "jti": str(uuid.uuid4()),
                      "iss": f"{self.host_url()}{r.base_path}/realms/{r.login_realm}", "sub": user["id"],
                      "typ": "Bearer", "azp": "admin-cli", "preferred_username": user["username"],
                      "scope": "profile email"}
            token = r.sign(claims)
            r.admin_tokens[token] = claims["exp"]
            r.count("realm_admin_logins")
        self.send(200, {"access_token": token, "expires_in": r.admin_token_lifespan, "refresh_expires_in": 1800,
                        "refresh_token": "not-supported-by-the-standin", "token_type": "Bearer",
                        "not-before-policy": 0, "session_state": str(uuid.uuid4()), "scope": claims["scope"]})

    # -- admin API -----------------------------------------------------------------------------
    def admin_authorized(self):
        r = self.realm
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with r.lock:
            expiry = r.admin_tokens.get(token)
            if expiry is not None and expiry > time.time():
                return True
        r.count("admin_401")
        self.send(401, {"error": "HTTP 401 Unauthorized"})
        return False

    def admin(self, method, sub, query):
        r = self.realm
        if not self.admin_authorized():
            return
        parts = [p for p in sub.split("/") if p]
        with r.lock:
            if parts == ["clients"] and method == "GET":
                wanted = query.get("clientId", [None])[0]
                search = query.get("search", ["false"])[0] == "true"
                first, most = int(query.get("first", ["0"])[0]), int(query.get("max", ["100"])[0])
                found = [c for c in r.clients.values()
                         if wanted is None or (wanted in c["clientId"] if search else c["clientId"] == wanted)]
                return self.send(200, found[first:first + most])
            if parts == ["clients"] and method == "POST":
                body = self.json_body()
                if not isinstance(body, dict) or not isinstance(body.get("clientId"), str) or not body["clientId"]:
                    return self.send(400, {"errorMessage": "Client id is required"})
                if r.find_client(body["clientId"]):
                    return self.send(409, {"errorMessage": f"Client {body['clientId']} already exists"})
                rep = r.create_client(body)
                r.count("clients_created")
                return self.send(201, None, {"Location": f"{self.host_url()}{r.base_path}/admin/realms/{r.name}"
                                                         f"/clients/{rep['id']}"})
            if parts == ["client-scopes"] and method == "GET":
                return self.send(200, list(r.scopes.values()))
            if parts == ["client-scopes"] and method == "POST":
                body = self.json_body()
                if not isinstance(body, dict) or not body.get("name"):
                    return self.send(400, {"errorMessage": "Client scope name is required"})
                if r.scope_by_name(body["name"]):
                    return self.send(409, {"errorMessage": f"Client Scope {body['name']} already exists"})
                scope = r.create_scope(body)
                r.count("scopes_created")
                return self.send(201, None, {"Location": f"{self.host_url()}{r.base_path}/admin/realms/{r.name}"
                                                         f"/client-scopes/{scope['id']}"})
            if len(parts) >= 2 and parts[0] == "client-scopes":
                scope = r.scopes.get(parts[1])
                if scope is None:
                    return self.send(404, {"error": "Could not find client scope"})
                return self.scope_resource(method, scope, parts[2:])
            if len(parts) >= 2 and parts[0] == "clients":
                client = r.clients.get(parts[1])
                if client is None:
                    return self.send(404, {"error": "Could not find client"})
                return self.client_resource(method, client, parts[2:])
            if len(parts) >= 5 and parts[0] == "users" and parts[2:4] == ["role-mappings", "clients"]:
                return self.role_mappings(method, parts[1], parts[4], parts[5:])
        return self.send(404, {"error": "Unable to find matching target resource method"})

    def scope_resource(self, method, scope, rest):
        r = self.realm
        if not rest and method == "GET":
            return self.send(200, scope)
        if not rest and method == "PUT":
            body = self.json_body()
            if not isinstance(body, dict):
                return self.send(400, {"error": "unknown_error"})
            for k, v in body.items():
                if k not in ("id", "protocolMappers"):
                    scope[k] = v
            return self.send(204)
        if not rest and method == "DELETE":
            del r.scopes[scope["id"]]
            return self.send(204)
        mappers = scope["protocolMappers"]
        if rest == ["protocol-mappers", "models"]:
            if method == "GET":
                return self.send(200, mappers)
            if method == "POST":
                body = self.json_body()
                if not isinstance(body, dict) or not body.get("protocolMapper"):
                    return self.send(400, {"error": "unknown_error"})
                if any(m["name"] == body.get("name") for m in mappers):
                    return self.send(409, {"errorMessage": "Protocol mapper exists with same name"})
                mapper = {**body, "id": str(uuid.uuid4())}
                mappers.append(mapper)
                r.count("scope_mappers_created")
                return self.send(201, None, {"Location": f"{self.host_url()}{r.base_path}/admin/realms/{r.name}/"
                                                         f"client-scopes/{scope['id']}/protocol-mappers/models/"
                                                         f"{mapper['id']}"})
        if len(rest) == 3 and rest[:2] == ["protocol-mappers", "models"]:
            mapper = next((m for m in mappers if m["id"] == rest[2]), None)
            if mapper is None:
                return self.send(404, {"error": "Model not found"})
            if method == "GET":
                return self.send(200, mapper)
            if method == "PUT":
                body = self.json_body()
                if not isinstance(body, dict):
                    return self.send(400, {"error": "unknown_error"})
                mapper.update({k: v for k, v in body.items() if k != "id"})
                r.count("scope_mappers_updated")
                return self.send(204)
            if method == "DELETE":
                mappers.remove(mapper)
                return self.send(204)
        return self.send(404, {"error": "Unable to find matching target resource method"})

    def role_mappings(self, method, user_id, client_uuid, rest):
        """users/{id}/role-mappings/clients/{client}[/composite]: realm-management roles only."""
        r = self.realm
        if user_id not in r.users():
            return self.send(404, {"error": "User not found"})
        client = r.clients.get(client_uuid)
        if client is None:
            return self.send(404, {"error": "Client not found"})
        roles = r.roles if client["clientId"] == "realm-management" else {}
        if rest == ["composite"] and method == "GET":
            return self.send(200, [roles[n] for n in sorted(r.effective_roles(user_id)) if n in roles])
        if rest:
            return self.send(404, {"error": "Unable to find matching target resource method"})
        mapped = r.role_mappings.setdefault(user_id, set())
        if method == "GET":
            return self.send(200, [roles[n] for n in sorted(mapped) if n in roles])
        if method in ("POST", "DELETE"):
            body = self.json_body()
            if not isinstance(body, list):
                return self.send(400, {"error": "unknown_error"})
            for role in body:
                name = role.get("name") if isinstance(role, dict) else None
                if name not in roles or roles[name]["id"] != role.get("id", roles[name]["id"]):
                    return self.send(404, {"error": "Role not found"})
                if method == "POST":
                    mapped.add(name)
                else:
                    mapped.discard(name)
            r.count("role_mappings_changed")
            return self.send(204)
        return self.send(404, {"error": "Unable to find matching target resource method"})

    def client_resource(self, method, client, rest):
        r = self.realm
        if not rest:
            if method == "GET":
                return self.send(200, client)
            if method == "PUT":
                body = self.json_body()
                if not isinstance(body, dict):
                    return self.send(400, {"error": "unknown_error"})
                other = r.find_client(body.get("clientId", client["clientId"]))
                if other is not None and other is not client:
                    return self.send(409, {"errorMessage": f"Client {body['clientId']} already exists"})
                r.update_client(client, body)
                r.count("clients_updated")
                return self.send(204)
            if method == "DELETE":
                del r.clients[client["id"]]
                r.count("clients_deleted")
                return self.send(204)
        if rest == ["service-account-user"] and method == "GET":
            user = r.users().get(client.get("serviceAccountUserId")) if client.get("serviceAccountsEnabled") else None
            if user is None:
                return self.send(400, {"error": f"Service account not enabled for the client '{client['clientId']}'"})
            return self.send(200, user)
        if len(rest) == 2 and rest[0] == "roles" and method == "GET":
            role = r.roles.get(rest[1]) if client["clientId"] == "realm-management" else None
            if role is None:
                return self.send(404, {"error": "Could not find role"})
            return self.send(200, role)
        if rest == ["client-secret"]:
            if method == "POST":
                client["secret"] = keycloak_secret()
            if method in ("GET", "POST"):
                return self.send(200, {"type": "secret", "value": client.get("secret")})
        if rest == ["default-client-scopes"] and method == "GET":
            return self.send(200, [{"id": s["id"], "name": s["name"]} for s in r.scopes.values()
                                   if s["name"] in client["defaultClientScopes"]])
        if len(rest) == 2 and rest[0] == "default-client-scopes" and method in ("PUT", "DELETE"):
            scope = r.scopes.get(rest[1])
            if scope is None:
                return self.send(404, {"error": "Could not find client scope"})
            names = client["defaultClientScopes"]
            if method == "PUT" and scope["name"] not in names:
                names.append(scope["name"])
            if method == "DELETE" and scope["name"] in names:
                names.remove(scope["name"])
            return self.send(204)
        if rest == ["protocol-mappers", "models"] and method == "POST":
            body = self.json_body()
            if not isinstance(body, dict) or not body.get("protocolMapper"):
                return self.send(400, {"error": "unknown_error"})
            if any(m["name"] == body.get("name") for m in client["protocolMappers"]):
                return self.send(409, {"errorMessage": "Protocol mapper exists with same name"})
            body["id"] = str(uuid.uuid4())
            client["protocolMappers"].append(body)
            return self.send(201, None, {"Location": f"{self.host_url()}{r.base_path}/admin/realms/{r.name}/clients/"
                                                     f"{client['id']}/protocol-mappers/models/{body['id']}"})
        return self.send(404, {"error": "Unable to find matching target resource method"})

    # -- control (not Keycloak) ----------------------------------------------------------------
    def control(self, method, path):
        r = self.realm
        what = path[len("/_standin/"):]
        body = self.json_body() if method in ("POST", "PUT") else None
        body = body if isinstance(body, dict) else {}
        r.keys_ready.wait()
        with r.lock:
            if what == "state" and method == "GET":
                return self.send(200, {
                    "clients": [c for c in r.clients.values() if c["clientId"] not in BUILTIN_CLIENTS],
                    "scopes": list(r.scopes.values()),
                    "role_mappings": {u: sorted(n) for u, n in r.role_mappings.items()},
                    "counters": r.counters,
                    "keys": [{"kid": k.kid, "alg": alg, "active": i == 0} for alg in SIGNING_ALGS
                             for i, k in enumerate(r.keys[alg])],
                    "issuer": r.issuer(self.host_url()), "default_alg": r.default_alg})
            if what == "reset-counters" and method == "POST":
                r.counters = {}
                return self.send(204)
            if what == "rotate-keys" and method == "POST":
                alg = body.get("alg", r.default_alg)
                new = Key(alg)
                r.keys[alg] = [new] + (r.keys[alg] if body.get("keep_old", True) else [])
                return self.send(200, {"kid": new.kid, "alg": alg})
            if what == "faults" and method == "POST":
                r.faults.append({"status": int(body.get("status", 503)), "where": body.get("where", "all"),
                                 "remaining": int(body.get("count", -1)), "after": int(body.get("after", 0)),
                                 "mode": body.get("mode", "status")})
                return self.send(204)
            if what == "delay" and method == "POST":
                r.delays.append({"seconds": float(body.get("seconds", 5)), "where": body.get("where", "all"),
                                 "remaining": int(body.get("count", -1))})
                return self.send(204)
            if what == "clear" and method == "POST":
                r.faults, r.delays = [], []
                return self.send(204)
            if what == "expire-admin-tokens" and method == "POST":
                r.admin_tokens = {t: 0 for t in r.admin_tokens}
                return self.send(204)
            if what == "config" and method == "POST":
                if body.get("default_alg") in SIGNING_ALGS:
                    r.default_alg = body["default_alg"]
                for k in ("access_token_lifespan", "admin_token_lifespan"):
                    if k in body:
                        setattr(r, k, int(body[k]))
                if body.get("claim_style") in ("client_id", "clientId"):
                    r.claim_style = body["claim_style"]
                return self.send(204)
            if what == "mint" and method == "POST":
                return self.mint(body)
            if what == "patch-client" and method == "POST":
                # What an administrator might do in Keycloak's console behind the toolkit's back.
                client = r.find_client(body.get("client_id", ""))
                if client is None:
                    return self.send(404, {"error": "Could not find client"})
                client.update(body.get("set", {}))
                if body.get("remove_default_scope") in client["defaultClientScopes"]:
                    client["defaultClientScopes"].remove(body["remove_default_scope"])
                if body.get("delete"):
                    del r.clients[client["id"]]
                return self.send(204)
        return self.send(404, {"error": "unknown control endpoint " + what})

    def mint(self, body):
        """A token for a client with Keycloak's claims, altered as the test asks, signed by python-jwt."""
        r = self.realm
        client = r.find_client(body.get("client_id", ""))
        if client is None:
            client = {"clientId": body.get("client_id", "unknown"), "defaultClientScopes": REALM_DEFAULT_SCOPES}
        claims = r.claims_for(client, self.host_url(), r.access_token_lifespan)
        for k, v in body.get("claims", {}).items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        token = r.sign(claims, body.get("alg"), body.get("header"), body.get("kid"), body.get("sign", "key"))
        return self.send(200, {"token": token, "claims": claims})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--realm", default="iot")
    p.add_argument("--base-path", default="", help="'/auth' to behave like Keycloak before 17")
    p.add_argument("--admin-client-id", default="iot-admin")
    p.add_argument("--admin-client-secret", default="admin-secret-for-tests")
    p.add_argument("--audience", default="iot-api", help="audience carried by the device scope's mapper")
    p.add_argument("--device-scope", default="iot-device-audience", help="'' for a realm without it")
    p.add_argument("--login-realm", default="master", help="realm of the administrator who logs in with a password")
    p.add_argument("--admin-user", default="admin")
    p.add_argument("--admin-password", default="admin-password-for-tests")
    p.add_argument("--claim-style", choices=["client_id", "clientId"], default="client_id",
                   help="client_id (Keycloak 21.1+) or clientId (older)")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    Handler.realm = Realm(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.verbose = args.verbose
    server.tls = bool(args.tls_cert)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    print(f"keycloak-standin listening on {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
