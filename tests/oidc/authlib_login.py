"""A relying party signing a citizen in with WangZheng through Authlib
(PyPI `authlib`, pinned in requirements.txt), the second independent
client library of scripts/oidc-interop: discovery, a plain (not pushed)
authorization request with PKCE S256, nonce and state, the code back at the
redirect URI (state checked by Authlib, `iss` by us: Authlib's client does
not check RFC 9207), redemption with client_secret_basic, the ID token
checked by Authlib's `CodeIDToken` rules (signature against the JWKS, iss,
aud, exp, iat, nonce), userinfo.

Protocol with the harness: prints one JSON line with the sign-in page's
status URL and cookie, waits for the wallet, prints the result as JSON.

  ISSUER=… CLIENT_ID=… CLIENT_SECRET=… REDIRECT_URI=… python authlib_login.py
"""

import json
import os
import sys
import time
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken


def main():
    issuer = os.environ["ISSUER"]
    client_id = os.environ["CLIENT_ID"]
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == issuer, metadata["issuer"]
    session = OAuth2Session(client_id, os.environ["CLIENT_SECRET"], scope="openid profile",
                            redirect_uri=os.environ["REDIRECT_URI"], code_challenge_method="S256")
    verifier = generate_token(64)
    nonce = generate_token(24)
    url, state = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

    # The browser: opens the authorization URL and lands on the sign-in page.
    opened = requests.get(url, allow_redirects=False, timeout=10)
    if opened.status_code != 303:
        raise SystemExit(f"authorization answered {opened.status_code}: {opened.text}")
    handle = urlparse(opened.headers["location"]).fragment
    cookie = opened.headers["set-cookie"].split(";")[0]
    base = f"{issuer}/oidc/signin/{handle}"
    print(json.dumps({"signin": f"{base}/status", "cookie": cookie}), flush=True)
    for _ in range(240):
        status = requests.get(f"{base}/status", headers={"cookie": cookie}, timeout=10).json()
        if status["state"] in ("completed", "declined", "expired", "cancelled"):
            break
        time.sleep(0.5)
    back = requests.get(f"{base}/finish", headers={"cookie": cookie}, allow_redirects=False, timeout=10)
    if back.status_code != 303:
        raise SystemExit(f"finish answered {back.status_code}: {back.text}")
    callback = back.headers["location"]
    returned = parse_qs(urlparse(callback).query)
    if returned.get("iss") != [issuer]:
        raise SystemExit(f"the authorization response's iss is {returned.get('iss')}, not {issuer}")

    token = session.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    # Authlib's ECKey knows the NIST curves only: take the keys it can use
    # (the SM2 key is for clients that opted into SM2 ID tokens).
    published = requests.get(metadata["jwks_uri"], timeout=10).json()
    keys = JsonWebKey.import_key_set({"keys": [k for k in published["keys"] if k.get("crv") == "P-256"]})
    claims = jwt.decode(token["id_token"], keys, claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "value": issuer}},
                        claims_params={"nonce": nonce, "client_id": client_id})
    claims.validate(leeway=30)
    userinfo = session.get(metadata["userinfo_endpoint"], timeout=10).json()
    print(json.dumps({"claims": dict(claims), "userinfo": userinfo, "token_type": token["token_type"]}, ensure_ascii=False))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the harness shows this line
        print(f"authlib: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
