// A relying party signing a citizen in with WangZheng through panva's
// openid-client (OpenID Certified), as any integrator would: discovery,
// pushed authorization request with PKCE, nonce and state, the code back
// at the redirect URI with `iss` (RFC 9207), redemption with
// client_secret_basic or private_key_jwt (ES256), the ID token's signature
// checked against the JWKS, userinfo. The browser part (following the
// authorization URL, keeping the cookie, waiting on the sign-in page) is
// done with fetch; the wallet is driven by scripts/oidc-interop, which
// reads the line this prints and answers by scanning the page's code.
//
//   node login.mjs keygen PRIVATE.json JWKS.json
//   ISSUER=… CLIENT_ID=… (CLIENT_SECRET=… | PRIVATE_KEY=PRIVATE.json) REDIRECT_URI=… [ACR=L3] [DPOP=1] node login.mjs login
import { readFileSync, writeFileSync } from 'node:fs';
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function keygen(privatePath, jwksPath) {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const kid = 'interop-' + Date.now();
  const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
  delete publicJwk.key_ops;
  delete publicJwk.ext;
  writeFileSync(privatePath, JSON.stringify({ kid, jwk: await crypto.subtle.exportKey('jwk', pair.privateKey) }));
  writeFileSync(jwksPath, JSON.stringify({ keys: [publicJwk] }));
}

async function login() {
  const issuer = new URL(env('ISSUER'));
  const redirectUri = env('REDIRECT_URI');
  let auth;
  if (process.env.PRIVATE_KEY) {
    const saved = JSON.parse(readFileSync(process.env.PRIVATE_KEY, 'utf8'));
    const key = await crypto.subtle.importKey('jwk', saved.jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    auth = client.PrivateKeyJwt({ key, kid: saved.kid });
  } else {
    auth = client.ClientSecretBasic(env('CLIENT_SECRET'));
  }
  // The demo server speaks plain http on loopback.
  const config = await client.discovery(issuer, env('CLIENT_ID'), undefined, auth, { execute: [client.allowInsecureRequests] });
  client.enableNonRepudiationChecks(config); // verify the ID token's signature with the JWKS
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const parameters = {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  };
  if (process.env.ACR) parameters.acr_values = process.env.ACR;
  // DPOP=1: sender-constrained tokens (RFC 9449), the code bound at PAR.
  const options = {};
  if (process.env.DPOP) options.DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const authorizationUrl = await client.buildAuthorizationUrlWithPAR(config, parameters, options);

  // The browser: opens the authorization URL, lands on the sign-in page.
  const opened = await fetch(authorizationUrl, { redirect: 'manual' });
  if (opened.status !== 303) throw new Error(`authorization answered ${opened.status}: ${await opened.text()}`);
  const page = new URL(opened.headers.get('location'), issuer);
  const handle = page.hash.slice(1);
  const cookie = opened.headers.get('set-cookie').split(';')[0];
  const base = new URL(`/oidc/signin/${handle}`, issuer).href;
  console.log(JSON.stringify({ signin: `${base}/status`, cookie }));

  for (let i = 0; ; i++) {
    const status = await (await fetch(`${base}/status`, { headers: { cookie } })).json();
    if (['completed', 'declined', 'expired', 'cancelled'].includes(status.state)) break;
    if (i > 240) throw new Error('the wallet did not finish within two minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const back = await fetch(`${base}/finish`, { headers: { cookie }, redirect: 'manual' });
  if (back.status !== 303) throw new Error(`finish answered ${back.status}: ${await back.text()}`);
  const callback = new URL(back.headers.get('location'));

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  }, undefined, options);
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, options);
  console.log(JSON.stringify({ claims, userinfo, token_type: tokens.token_type }));
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'keygen') await keygen(...rest);
  else if (command === 'login') await login();
  else throw new Error('usage: node login.mjs keygen PRIVATE JWKS | login');
} catch (error) {
  console.error(`openid-client: ${error.name}: ${error.message}${error.cause ? ' (' + JSON.stringify(error.cause) + ')' : ''}`);
  process.exit(1);
}
