"""A small OpenID provider for the tests, served on a loopback port: discovery, JWKS, /authorize (the person
set in ``person`` is signed in at once and sent back with a code) and /token (an ID token signed with an RSA key
made here, carrying the nonce it was given). Like a real provider it checks the client id and secret, the
redirect URI and the PKCE verifier; the tests bend what it sends (claims, signature, issuer, failures)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID, CLIENT_SECRET = "hogo-desk", "desk-client-secret-for-tests"


class FakeIdP:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.url = ""  # set once it is served
        self.reset()

    def reset(self) -> None:
        self.person: dict[str, Any] = {"sub": "u-1001", "preferred_username": "tanaka"}
        self.claims: dict[str, Any] = {}  # put into (or over) the next ID tokens: {"aud": "another-app"}
        self.tamper = False  # the payload changed after signing
        self.sign_with: RSAKey | None = None  # another key, published under the same kid
        self.discovery_issuer: str | None = None  # the issuer the discovery document names
        self.discovery_failure: Response | None = None  # what discovery answers instead of its document
        self.interactive = False  # /authorize shows a sign-in page the person confirms, as a real provider does
        self.token_failure: Response | None = None  # what /token answers instead of a token
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.codes: dict[str, dict[str, str]] = {}

    # what the provider sends -----------------------------------------------------------------------------------
    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce,
                  **self.person, **self.claims}
        token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.sign_with or self.key)
        if self.tamper:  # someone edits the claims on the way: the signature no longer matches
            header, _, signature = token.split(".")
            forged = {**claims, "preferred_username": "kanri", "sub": "u-9999"}
            payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
            token = f"{header}.{payload}.{signature}"
        return token

    # the endpoints ---------------------------------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        if self.discovery_failure is not None:
            return self.discovery_failure
        return JSONResponse({
            "issuer": self.discovery_issuer or self.url, "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return PlainTextResponse("unknown client", status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": query["redirect_uri"], "nonce": query.get("nonce", ""),
                            "challenge": query.get("code_challenge", ""),
                            "method": query.get("code_challenge_method", "")}
        back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        if self.interactive:  # the way back then starts on the provider's own page, another site than the desk
            return HTMLResponse(f'<!doctype html><title>IdP</title><form method="post" action="/approve">'
                                f'<input type="hidden" name="back" value="{html.escape(back)}">'
                                f'<button>サインインする</button></form>')
        return RedirectResponse(back, status_code=302)

    async def approve(self, request: Request) -> Response:
        return RedirectResponse(str((await request.form())["back"]), status_code=302)

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        self.token_requests.append(form)
        if self.token_failure is not None:
            return self.token_failure
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or form.get("grant_type") != "authorization_code" or \
                form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or challenge != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                             "id_token": self.id_token(grant["nonce"])})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery), Route("/jwks", self.jwks),
            Route("/authorize", self.authorize), Route("/approve", self.approve, methods=["POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/health", lambda request: PlainTextResponse("ok"))])
