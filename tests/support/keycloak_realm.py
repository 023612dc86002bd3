"""The realm of the Keycloak stand-in: clients, client scopes, signing keys and tokens.

keycloak_standin.py serves it over HTTP; README.md beside this file says what it follows.
"""

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
# Keycloak's realm default client scopes, attached to every new client.
REALM_DEFAULT_SCOPES = ["web-origins", "acr", "profile", "roles", "email"]
BUILTIN_CLIENTS = ["account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"]
# The client roles of realm-management; realm-admin is the composite of all the others.
REALM_MANAGEMENT_ROLES = ["create-client", "impersonation", "manage-authorization", "manage-clients",
                          "manage-events", "manage-identity-providers", "manage-realm", "manage-users",
                          "query-clients", "query-groups", "query-realms", "query-users", "realm-admin",
                          "view-authorization", "view-clients", "view-events", "view-identity-providers",
                          "view-realm", "view-users"]
# The roles that let a token use the admin API for clients in this stand-in.
ADMIN_ROLES = ("manage-clients", "realm-admin")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keycloak_secret() -> str:
    # Keycloak's generated client secrets: 32 alphanumeric characters.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


class Key:
    def __init__(self, alg: str):
        self.alg = alg
        self.kid = b64url(secrets.token_bytes(32))
        if alg.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP256R1() if alg == "ES256" else ec.SECP384R1())
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.pop("key_ops", None)
        self.jwk = {"kid": self.kid, "kty": jwk["kty"], "alg": alg, "use": "sig", **jwk}
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class Realm:
    """All state, behind one lock."""

    def __init__(self, args):
        self.lock = threading.RLock()
        self.name = args.realm
        self.base_path = args.base_path.rstrip("/")
        self.admin_client_id = args.admin_client_id
        self.admin_client_secret = args.admin_client_secret
        self.claim_style = args.claim_style
        self.default_alg = "RS256"
        self.access_token_lifespan = 300
        self.admin_token_lifespan = 60
        self.admin_tokens = {}  # token -> expiry (epoch seconds)
        self.clients = {}  # uuid -> representation (with "secret")
        self.scopes = {}
        for name in REALM_DEFAULT_SCOPES + ["offline_access", "microprofile-jwt"]:
            self.add_scope(name, [])
        audience_mapper = {
            "id": str(uuid.uuid4()), "name": "audience " + args.audience, "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper", "consentRequired": False,
            "config": {"included.client.audience": args.audience, "id.token.claim": "false",
                       "access.token.claim": "true"}}
        if args.device_scope:
            self.add_scope(args.device_scope, [audience_mapper])
        for client_id in BUILTIN_CLIENTS:
            self.create_client({"clientId": client_id, "publicClient": client_id.endswith("console") or
                                client_id == "admin-cli"})
        admin = self.create_client({"clientId": self.admin_client_id, "secret": self.admin_client_secret,
                                    "serviceAccountsEnabled": True, "standardFlowEnabled": False,
                                    "directAccessGrantsEnabled": False})
        # realm-management's roles, and who has which (user id -> role names).
        management = self.find_client("realm-management")
        self.roles = {name: {"id": str(uuid.uuid4()), "name": name, "description": "${role_" + name + "}",
                             "composite": name == "realm-admin", "clientRole": True,
                             "containerId": management["id"]} for name in REALM_MANAGEMENT_ROLES}
        self.role_mappings = {admin["serviceAccountUserId"]: {"manage-clients", "view-clients"}}
        # The realm administrator who logs in with a password (iot-bootstrap-org), in login_realm.
        self.login_realm = args.login_realm
        self.admin_user = {"id": str(uuid.uuid4()), "username": args.admin_user, "enabled": True}
        self.admin_user_password = args.admin_password
        self.role_mappings[self.admin_user["id"]] = {"realm-admin"}
        # Keycloak publishes one key per signature algorithm provider, plus an encryption key.
        # RSA keys take a while to make: the realm's default (RS256) now, the rest in the
        # background while the test sets up; whatever needs them waits (keys_ready).
        self.keys = {"RS256": [Key("RS256")]}  # per alg, newest (active) first
        self.keys_ready = threading.Event()
        threading.Thread(target=self.make_other_keys, daemon=True).start()
        self.faults = []  # {"status", "where", "remaining", "after", "mode"}
        self.delays = []  # {"seconds", "where", "remaining"}
        self.counters = {}
        self.in_flight = 0

    def make_other_keys(self):
        others = {alg: [Key(alg)] for alg in SIGNING_ALGS if alg != "RS256"}
        enc = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        enc_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(enc.public_key()))
        enc_jwk.pop("key_ops", None)
        with self.lock:
            self.keys.update(others)
            self.enc_jwk = {"kid": b64url(secrets.token_bytes(32)), "alg": "RSA-OAEP", "use": "enc", **enc_jwk}
        self.keys_ready.set()

    # -- model ---------------------------------------------------------------------------------
    def add_scope(self, name, mappers):
        sid = str(uuid.uuid4())
        self.scopes[sid] = {"id": sid, "name": name, "protocol": "openid-connect",
                            "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "true"},
                            "protocolMappers": mappers}

    def create_scope(self, body):
        """A client scope from a POST client-scopes body; its mappers get ids."""
        sid = str(uuid.uuid4())
        scope = {"id": sid, "name": body["name"], "protocol": body.get("protocol", "openid-connect"),
                 "attributes": dict(body.get("attributes") or {}), "protocolMappers": []}
        if "description" in body:
            scope["description"] = body["description"]
        for m in body.get("protocolMappers") or []:
            scope["protocolMappers"].append({**m, "id": str(uuid.uuid4())})
        self.scopes[sid] = scope
        return scope

    def users(self):
        """Every user id: the realm administrator and the clients' service accounts."""
        out = {self.admin_user["id"]: self.admin_user}
        for c in self.clients.values():
            if c.get("serviceAccountUserId"):
                out[c["serviceAccountUserId"]] = {"id": c["serviceAccountUserId"], "enabled": True,
                                                  "username": "service-account-" + c["clientId"].lower(),
                                                  "serviceAccountClientId": c["clientId"]}
        return out

    def effective_roles(self, user_id):
        names = set(self.role_mappings.get(user_id, ()))
        if "realm-admin" in names:
            names |= set(REALM_MANAGEMENT_ROLES)
        return names

    def is_admin_client(self, client):
        """The configured admin client, or any whose service account may manage clients."""
        if client["clientId"] == self.admin_client_id:
            return True
        user = client.get("serviceAccountUserId") if client.get("serviceAccountsEnabled") else None
        return bool(user) and bool(self.effective_roles(user) & set(ADMIN_ROLES))

    def scope_by_name(self, name):
        return next((s for s in self.scopes.values() if s["name"] == name), None)

    def find_client(self, client_id):
        return next((c for c in self.clients.values() if c["clientId"] == client_id), None)

    def create_client(self, body):
        cid = str(uuid.uuid4())
        rep = {"id": cid, "clientId": body["clientId"], "surrogateAuthRequired": False, "enabled": True,
               "alwaysDisplayInConsole": False, "clientAuthenticatorType": "client-secret", "redirectUris": [],
               "webOrigins": [], "notBefore": 0, "bearerOnly": False, "consentRequired": False,
               "standardFlowEnabled": True, "implicitFlowEnabled": False, "directAccessGrantsEnabled": True,
               "serviceAccountsEnabled": False, "publicClient": False, "frontchannelLogout": True,
               "protocol": "openid-connect", "attributes": {}, "authenticationFlowBindingOverrides": {},
               "fullScopeAllowed": True, "nodeReRegistrationTimeout": -1, "protocolMappers": [],
               "defaultClientScopes": list(REALM_DEFAULT_SCOPES),
               "optionalClientScopes": ["address", "phone", "offline_access", "microprofile-jwt"],
               "access": {"view": True, "configure": True, "manage": True}}
        self.update_client(rep, body)
        if not rep["publicClient"] and "secret" not in rep:
            rep["secret"] = keycloak_secret()
        self.clients[cid] = rep
        return rep

    @staticmethod
    def update_client(rep, body):
        # Like Keycloak's RepresentationToModel: fields present are applied; scopes are managed
        # through their own sub-resource, never through the representation of an update.
        for k, v in body.items():
            if k in ("id", "defaultClientScopes", "optionalClientScopes", "protocolMappers", "access"):
                continue
            rep[k] = v
        if rep.get("serviceAccountsEnabled") and "serviceAccountUserId" not in rep:
            rep["serviceAccountUserId"] = str(uuid.uuid4())

    def count(self, name, n=1):
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + n

    # -- tokens --------------------------------------------------------------------------------
    def issuer(self, host):
        return f"{host}{self.base_path}/realms/{self.name}"

    def active_key(self, alg):
        if alg not in self.keys:
            self.keys_ready.wait()
        return self.keys[alg][0]

    def audiences(self, client):
        auds = []
        mappers = list(client.get("protocolMappers", []))
        for name in client.get("defaultClientScopes", []):
            scope = self.scope_by_name(name)
            if scope:
                mappers += scope["protocolMappers"]
        for m in mappers:
            cfg = m.get("config", {})
            if m.get("protocolMapper") == "oidc-audience-mapper" and cfg.get("access.token.claim") == "true":
                aud = cfg.get("included.client.audience") or cfg.get("included.custom.audience")
                if aud and aud not in auds:
                    auds.append(aud)
        if "roles" in client.get("defaultClientScopes", []):
            auds.append("account")  # the default roles give the account client's roles
        return auds

    def claims_for(self, client, host, lifespan):
        now = int(time.time())
        auds = self.audiences(client)
        claims = {
            "exp": now + lifespan, "iat": now, "jti": str(uuid.uuid4()), "iss": self.issuer(host),
            "sub": client.get("serviceAccountUserId", str(uuid.uuid4())), "typ": "Bearer",
            "azp": client["clientId"], "acr": "1",
            "scope": " ".join(s for s in ("profile", "email") if s in client.get("defaultClientScopes", [])),
            "clientHost": "127.0.0.1", "email_verified": False,
            "preferred_username": "service-account-" + client["clientId"].lower(), "clientAddress": "127.0.0.1",
        }
        if auds:
            claims["aud"] = auds[0] if len(auds) == 1 else auds
        claims["client_id" if self.claim_style == "client_id" else "clientId"] = client["clientId"]
        return claims

    def sign(self, claims, alg=None, header=None, kid=None, how="key"):
        alg = alg or self.default_alg
        if how == "none":
            return jwt.encode(claims, None, algorithm="none", headers=header or None)
        if how == "hmac-with-public-key":
            # The classic confusion attack: HS256 keyed with the realm's public key.
            key = self.active_key("RS256")
            h = {"alg": "HS256", "typ": "JWT", "kid": kid or key.kid, **(header or {})}
            signing_input = b64url(json.dumps(h).encode()) + "." + b64url(json.dumps(claims).encode())
            mac = hmac.new(key.public_pem, signing_input.encode(), hashlib.sha256).digest()
            return signing_input + "." + b64url(mac)
        key = self.active_key(alg)
        private = key.private
        if how == "other-key":  # right kid, wrong key: the signature cannot verify
            private = Key(alg).private
        h = {"kid": kid if kid is not None else key.kid, **(header or {})}
        return jwt.encode(claims, private, algorithm=alg, headers=h)

    def jwks(self):
        self.keys_ready.wait()
        keys = [k.jwk for alg in SIGNING_ALGS for k in self.keys[alg]]
        return {"keys": keys + [self.enc_jwk]}
