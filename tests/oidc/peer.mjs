// The peer of `wz bench oidc --peer`: panva's oidc-provider (npm, OpenID
// Certified; pinned in package-lock.json) set up to do what our token
// endpoint does — authorization_code with PKCE S256, client_secret_basic,
// ES256 ID tokens — keeping its state in memory (a Map: the bundled
// development adapter is an LRU of 1,000 entries, too small for a run; ours
// commits every redemption to SQLite with an audit entry). It mints codes
// through its own models (a Grant and an AuthorizationCode per code, as
// its authorization endpoint would after a login) so that only redemption
// is measured, and reports its own CPU time:
//
//   node peer.mjs PORT
//   GET /bench/codes?n=N  -> { client_id, client_secret, redirect_uri, token_endpoint, codes: [{ code, verifier }] }
//   GET /bench/cpu        -> { seconds }   (process.cpuUsage, user + system)
import { createHash, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 18200);
const issuer = `http://127.0.0.1:${port}`;
const redirect = 'http://127.0.0.1:9/callback';
const secret = randomBytes(32).toString('hex');

const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
const privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'peer-es256', alg: 'ES256', use: 'sig' };
delete privateJwk.key_ops;
delete privateJwk.ext;

// oidc-provider's adapter interface over one Map, with the grant index
// that revocation by grant needs.
const store = new Map();
const byGrant = new Map();
class MapAdapter {
  constructor(name) { this.name = name; }
  key(id) { return `${this.name}:${id}`; }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(this.key(id));
    }
  }
  async find(id) { return store.get(this.key(id)); }
  async findByUid(uid) { for (const [k, v] of store) if (k.startsWith(`${this.name}:`) && v.uid === uid) return v; return undefined; }
  async findByUserCode(code) { for (const [k, v] of store) if (k.startsWith(`${this.name}:`) && v.userCode === code) return v; return undefined; }
  async consume(id) { const v = store.get(this.key(id)); if (v) v.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) { for (const k of byGrant.get(grantId) ?? []) store.delete(k); byGrant.delete(grantId); }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [{
    client_id: 'bench',
    client_secret: secret,
    redirect_uris: [redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [privateJwk] },
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: '张三' }) }),
  features: { devInteractions: { enabled: false } },
  ttl: { AuthorizationCode: 600, AccessToken: 600, IdToken: 600, Grant: 3600 },
});

async function mint(n) {
  const client = await provider.Client.find('bench');
  const codes = [];
  for (let i = 0; i < n; i++) {
    const accountId = `citizen-${i % 12}`;
    const grant = new provider.Grant({ accountId, clientId: 'bench' });
    grant.addOIDCScope('openid profile');
    const grantId = await grant.save();
    const verifier = randomBytes(32).toString('base64url');
    const code = new provider.AuthorizationCode({
      accountId,
      acr: 'L3',
      authTime: Math.floor(Date.now() / 1000),
      client,
      grantId,
      redirectUri: redirect,
      scope: 'openid profile',
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      codeChallengeMethod: 'S256',
      nonce: randomBytes(12).toString('base64url'),
    });
    codes.push({ code: await code.save(), verifier });
  }
  return codes;
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/bench/codes') {
    const n = Math.min(Number(ctx.query.n || 1000), 100000);
    ctx.body = { client_id: 'bench', client_secret: secret, redirect_uri: redirect, token_endpoint: `${issuer}/token`, codes: await mint(n) };
    return;
  }
  if (ctx.path === '/bench/cpu') {
    const used = process.cpuUsage();
    ctx.body = { seconds: (used.user + used.system) / 1e6 };
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider ${issuer}`));
