// The wallet's and kiosk's cryptography in the browser, on the vendored
// sm-crypto (SM2 with the default distinguishing id, SM3, HMAC-SM3): signed
// requests, wallet QR codes, card-chip answers. Byte formats are those of
// docs/credential-format.md.
'use strict';

window.WZCrypto = (() => {
  const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
  const enc = new TextEncoder();
  const utf8 = (s) => Array.from(enc.encode(s));
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const fromHex = (hex) => { const out = []; for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16)); return out; };
  const random = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)));
  const b64 = (bytes) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); };
  const b64url = (bytes) => b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const fromB64url = (text) => { const s = atob(text.replace(/-/g, '+').replace(/_/g, '/')); return Array.from(s, (c) => c.charCodeAt(0)); };
  const i64be = (n) => { const v = new DataView(new ArrayBuffer(8)); v.setBigInt64(0, BigInt(n)); return Array.from(new Uint8Array(v.buffer)); };
  const sm3Bytes = (bytes) => fromHex(window.sm3(bytes));
  const hmacSm3 = (keyHex, bytes) => fromHex(window.sm3(bytes, { key: keyHex }));

  // A private key from the platform CSPRNG, in [1, n-2].
  function newKey() {
    for (;;) {
      const d = BigInt('0x' + toHex(random(32)));
      if (d >= 1n && d < N - 1n) {
        const priv = d.toString(16).padStart(64, '0');
        return { priv, pub: window.sm2.getPublicKeyFromPrivateKey(priv) };
      }
    }
  }
  const sign = (bytes, priv, pub) => window.sm2.doSignature(bytes, priv, { hash: true, publicKey: pub || window.sm2.getPublicKeyFromPrivateKey(priv) });
  const verify = (bytes, sigHex, pubHex) => window.sm2.doVerifySignature(bytes, sigHex, pubHex, { hash: true });

  // x-wz-* headers: SM2 over "wz-request/1\0" || method || 0 || path || 0 ||
  // timestamp (i64 BE) || nonce || SM3(body).
  function requestHeaders(signer, key, method, path, bodyText) {
    const ts = Date.now();
    const nonce = random(16);
    const message = [...utf8('wz-request/1\0'), ...utf8(method), 0, ...utf8(path), 0, ...i64be(ts), ...nonce, ...sm3Bytes(utf8(bodyText))];
    return { 'x-wz-signer': signer, 'x-wz-timestamp': String(ts), 'x-wz-nonce': toHex(nonce), 'x-wz-signature': sign(message, key.priv, key.pub) };
  }

  // Minimal CBOR (definite lengths) for the wallet code's array.
  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
    if (n < 2 ** 32) return [(major << 5) | 26, ...i64be(n).slice(4)];
    return [(major << 5) | 27, ...i64be(n)];
  }
  const cborBytes = (bytes) => [...cborHead(2, bytes.length), ...bytes];

  // The dynamic wallet code (WZQR1): credential, time, nonce, device key
  // (compressed), SM2 signature and the HMAC-SM3 tag under the QR key.
  function walletCode(key, credentialText, qrKeyHex) {
    const credential = fromB64url(credentialText);
    const ts = Date.now();
    const nonce = random(16);
    const message = [...utf8('wz-wallet-qr/1\0'), ...sm3Bytes(credential), ...i64be(ts), ...nonce];
    const signature = fromHex(sign(message, key.priv, key.pub));
    const signer = fromHex(window.sm2.compressPublicKeyHex(key.pub));
    // The MAC covers the message, the signer and the signature.
    const mac = hmacSm3(qrKeyHex, [...message, ...signer, ...signature]).slice(0, 16);
    const body = [0x86, ...cborBytes(credential), ...cborHead(0, ts), ...cborBytes(nonce), ...cborBytes(signer), ...cborBytes(signature), ...cborBytes(mac)];
    return 'WZQR1:' + b64url(body);
  }

  // What a card reader sends: the chip signs the platform's challenge.
  function presentCard(card, challenge) {
    const message = [...utf8('wz-card-challenge/1\0'), ...utf8(challenge.nonce), ...i64be(challenge.expires_at), ...utf8(challenge.mac)];
    return {
      chip: card.chip,
      authority_key_id: card.authority_key_id,
      authority_signature: card.authority_signature,
      challenge,
      chip_response: sign(message, card.chip_secret_key),
    };
  }

  return { utf8, toHex, fromHex, random, b64, b64url, fromB64url, sm3Bytes, hmacSm3, newKey, sign, verify, requestHeaders, walletCode, presentCard };
})();
