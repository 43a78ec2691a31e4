// Pushed authorization requests (RFC 9126) and a client that authenticates with
// private_key_jwt (RFC 7523). The client's key pair is generated here, at the test's start:
// the provider gets only the public JWKS.

import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { withOfflineAccessConsentForm } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import {
  freePort, pkcePair, runProvider, startProvider,
} from '../testing/helpers.js';

const JWT_CLIENT_ID = 'bff-test-jwt';
const REDIRECT_URI = 'http://localhost:1/api/auth/callback';

function keyPair(kid) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

function assertion({ privateKey, kid }, audience, claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid, typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({
    iss: JWT_CLIENT_ID, sub: JWT_CLIENT_ID, aud: audience, jti: randomUUID(), iat: now, exp: now + 60, ...claims,
  })).toString('base64url');
  const signer = createSign('SHA256');
  signer.update(`${header}.${payload}`);
  const signature = signer.sign({ key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

describe('pushed authorization requests and private_key_jwt', () => {
  let provider;
  let issuer;
  let discovery;
  const registered = keyPair('client-key-1');

  before(async () => {
    const port = await freePort();
    provider = startProvider({
      DEVIDP_PORT: String(port),
      DEVIDP_REDIRECT_URIS: REDIRECT_URI,
      DEVIDP_PUSHED_AUTHORIZATION_REQUESTS: 'on',
      DEVIDP_JWT_CLIENT_ID: JWT_CLIENT_ID,
      DEVIDP_JWT_CLIENT_JWKS: JSON.stringify({ keys: [registered.jwk] }),
    });
    ({ issuer } = await provider.ready);
    discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  });

  after(async () => {
    await provider?.stop();
  });

  async function push(clientAssertion) {
    const { challenge } = pkcePair();
    return fetch(discovery.pushed_authorization_request_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: JWT_CLIENT_ID,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
        response_type: 'code',
        scope: 'openid offline_access',
        redirect_uri: REDIRECT_URI,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'st',
        nonce: 'nn',
      }),
    });
  }

  test('discovery advertises the PAR endpoint and private_key_jwt', () => {
    assert.equal(discovery.pushed_authorization_request_endpoint, `${issuer}/request`);
    assert.notEqual(discovery.require_pushed_authorization_requests, true);
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  });

  test('a request pushed with a valid client assertion gets a request_uri', async () => {
    const response = await push(assertion({ ...registered, kid: 'client-key-1' }, issuer));
    assert.equal(response.status, 201);
    const body = await response.json();
    assert.match(body.request_uri, /^urn:ietf:params:oauth:request_uri:/);
    assert.ok(body.expires_in > 0);
  });

  test('an assertion signed with another key, or for another audience, is refused', async () => {
    const stranger = keyPair('client-key-1');
    const wrongKey = await push(assertion({ privateKey: stranger.privateKey, kid: 'client-key-1' }, issuer));
    assert.equal(wrongKey.status, 401);
    assert.equal((await wrongKey.json()).error, 'invalid_client');
    const wrongAudience = await push(assertion({ ...registered, kid: 'client-key-1' }, 'https://elsewhere.example'));
    assert.equal(wrongAudience.status, 401);
  });

  test('an unknown request_uri sends the error back to the one redirect URI', async () => {
    const url = new URL(discovery.authorization_endpoint);
    url.searchParams.set('client_id', JWT_CLIENT_ID);
    url.searchParams.set('request_uri', 'urn:ietf:params:oauth:request_uri:unknown');
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location'));
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), 'invalid_request_uri');
  });
});

test('pushed requests for offline_access get prompt=consent, as redirects do', () => {
  const body = 'scope=openid+offline_access&state=x';
  assert.equal(
    new URLSearchParams(withOfflineAccessConsentForm(body)).get('prompt'),
    'consent',
  );
  assert.equal(withOfflineAccessConsentForm('scope=openid&state=x'), 'scope=openid&state=x');
});

test('the PAR and private_key_jwt settings are checked', () => {
  const bad = [
    ['DEVIDP_PUSHED_AUTHORIZATION_REQUESTS', 'yes'],
    ['DEVIDP_JWT_CLIENT_JWKS', 'not json'],
    ['DEVIDP_JWT_CLIENT_JWKS', '{"keys":[]}'],
    ['DEVIDP_JWT_CLIENT_JWKS', '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}'],
  ];
  for (const [name, value] of bad) {
    assert.throws(() => loadConfig({ [name]: value }), (err) => err instanceof ConfigError && err.variable === name, `${name}=${value}`);
  }
  assert.deepEqual(loadConfig({ DEVIDP_PUSHED_AUTHORIZATION_REQUESTS: 'required' }).pushedAuthorizationRequests, { enabled: true, required: true });
  assert.equal(loadConfig({}).jwtClient, undefined);
});

test('a private key in the JWKS stops the start with the variable named', async () => {
  const { code, stderr } = await runProvider({
    DEVIDP_PORT: '0',
    DEVIDP_JWT_CLIENT_JWKS: JSON.stringify({ keys: [{ ...keyPair('k').privateKey.export({ format: 'jwk' }) }] }),
  });
  assert.equal(code, 2);
  assert.match(stderr, /DEVIDP_JWT_CLIENT_JWKS/);
});
