// The test-only admin API (DEVIDP_ENABLE_ADMIN_API=1): changing a user's roles and
// permissions at runtime, and tokens issued afterwards (refresh_token grant) carrying them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Browser, RelyingParty, adminRequest, decodeJwtPayload, freePort, runProvider, startProvider,
} from '../testing/helpers.js';

const CLIENT_ID = 'bff-admin';
const CLIENT_SECRET = 'admin-secret';

async function startWith(env) {
  const port = await freePort();
  const redirectUri = `http://localhost:${port + 1}/api/auth/callback`;
  const api = `http://localhost:${port + 1}/api`;
  const provider = startProvider({
    DEVIDP_PORT: String(port),
    DEVIDP_CLIENT_ID: CLIENT_ID,
    DEVIDP_CLIENT_SECRET: CLIENT_SECRET,
    DEVIDP_REDIRECT_URIS: redirectUri,
    DEVIDP_API_AUDIENCE: api,
    ...env,
  });
  const { issuer } = await provider.ready;
  const oidc = new RelyingParty({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri });
  return { provider, issuer, oidc, api };
}

describe('devidp admin API (enabled)', () => {
  let provider;
  let issuer;
  let oidc;
  let api;

  before(async () => {
    ({ provider, issuer, oidc, api } = await startWith({ DEVIDP_ENABLE_ADMIN_API: '1' }));
  });

  after(async () => {
    await provider?.stop();
  });

  test('logs that the admin API is on', () => {
    assert.match(provider.stderr, /admin API enabled/);
    assert.match(provider.stdout, /^DEVIDP_READY \{[^\n]*\}\n$/);
  });

  test('a refresh after changing alice\'s roles and permissions carries the new values', async () => {
    const browser = new Browser();
    const flow = await oidc.signIn(browser, {
      username: 'alice', scope: 'openid profile email offline_access', audience: api,
    });
    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.refresh_token);
    assert.deepEqual(decodeJwtPayload(body.id_token).roles, ['admin']);
    assert.deepEqual(decodeJwtPayload(body.access_token).permissions, ['read:messages', 'write:messages', 'admin:sessions']);

    const changed = await adminRequest(issuer, 'PUT', 'alice', { roles: [], permissions: ['read:messages'] });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.match(changed.type, /^application\/json/);
    assert.deepEqual(changed.body, {
      username: 'alice', sub: 'user-alice', roles: [], permissions: ['read:messages'],
    });

    const refreshed = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const idToken = decodeJwtPayload(refreshed.body.id_token);
    assert.equal(idToken.sub, 'user-alice');
    assert.deepEqual(idToken.roles, []);
    assert.ok(!idToken.roles.includes('admin'));
    const access = decodeJwtPayload(refreshed.body.access_token);
    assert.equal(access.aud, api);
    assert.deepEqual(access.permissions, ['read:messages']);

    // Only roles this time: permissions stay as they are.
    const rolesOnly = await adminRequest(issuer, 'PUT', 'alice', { roles: ['admin', 'auditor'] });
    assert.deepEqual(rolesOnly.body.permissions, ['read:messages']);
    const again = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(decodeJwtPayload(again.body.id_token).roles, ['admin', 'auditor']);
    assert.deepEqual(decodeJwtPayload(again.body.access_token).permissions, ['read:messages']);

    // Tokens issued earlier are unchanged (they are signed JWTs).
    assert.deepEqual(decodeJwtPayload(body.access_token).permissions.length, 3);

    // Back to the seed values for the tests below.
    await adminRequest(issuer, 'PUT', 'alice', {
      roles: ['admin'], permissions: ['read:messages', 'write:messages', 'admin:sessions'],
    });
  });

  test('permission scopes granted at sign-in follow the user\'s current permissions on refresh', async () => {
    const flow = await oidc.signIn(new Browser(), {
      username: 'alice', scope: 'openid offline_access write:messages admin:sessions', audience: api,
    });
    const { body } = await oidc.exchangeCode(flow);
    assert.equal(decodeJwtPayload(body.access_token).scope, 'openid offline_access write:messages admin:sessions');

    // write:messages is one carol still holds: what counts is alice's own permissions.
    await adminRequest(issuer, 'PUT', 'alice', { permissions: ['read:messages', 'admin:sessions'] });
    const lost = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    const lostAccess = decodeJwtPayload(lost.body.access_token);
    assert.equal(lostAccess.scope, 'openid offline_access admin:sessions');
    assert.equal(lost.body.scope, 'openid offline_access admin:sessions');
    assert.deepEqual(lostAccess.permissions, ['read:messages', 'admin:sessions']);

    // Given back, it is in the next token again (the grant still holds it).
    await adminRequest(issuer, 'PUT', 'alice', { permissions: ['read:messages', 'write:messages', 'admin:sessions'] });
    const regained = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: lost.body.refresh_token });
    assert.equal(decodeJwtPayload(regained.body.access_token).scope, 'openid offline_access write:messages admin:sessions');
  });

  test('a permission name no seed user has becomes a scope of the API', async () => {
    const changed = await adminRequest(issuer, 'PUT', 'BOB', { permissions: ['read:messages', 'delete:messages', 'read:messages'] });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(changed.body.permissions, ['read:messages', 'delete:messages'], 'duplicates dropped');
    const flow = await oidc.signIn(new Browser(), {
      username: 'bob', scope: 'openid delete:messages write:messages', audience: api,
    });
    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    const access = decodeJwtPayload(body.access_token);
    assert.equal(access.scope, 'openid delete:messages');
    assert.deepEqual(access.permissions, ['read:messages', 'delete:messages']);
    await adminRequest(issuer, 'PUT', 'bob', { permissions: ['read:messages'] });
  });

  test('roles show at userinfo as soon as they change', async () => {
    const flow = await oidc.signIn(new Browser(), { username: 'carol', scope: 'openid profile' });
    const { body } = await oidc.exchangeCode(flow);
    const me = async () => (await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${body.access_token}` } })).json();
    assert.deepEqual((await me()).roles, ['editor']);
    await adminRequest(issuer, 'PUT', 'carol', { roles: ['editor', 'reviewer'] });
    assert.deepEqual((await me()).roles, ['editor', 'reviewer']);
    await adminRequest(issuer, 'PUT', 'carol', { roles: ['editor'] });
  });

  test('the sign-in page lists the seed users with their current roles', async () => {
    await adminRequest(issuer, 'PUT', 'bob', { roles: ['builder'] });
    const browser = new Browser();
    const page = await oidc.openLoginPage(browser, await oidc.startAuthorization(browser));
    assert.match(page.html, /Bob Builder<small>roles: builder<\/small>/);
    await adminRequest(issuer, 'PUT', 'bob', { roles: [] });
  });

  test('users created by sign-up can be changed too', async () => {
    await oidc.signUp(new Browser(), {
      fields: { username: 'gina', name: 'Gina', email: 'gina@example.com', password: 'gina-password' },
    });
    const read = await adminRequest(issuer, 'GET', 'gina');
    assert.deepEqual(read.body, {
      username: 'gina', sub: 'user-gina', roles: [], permissions: ['read:messages'],
    });
    const changed = await adminRequest(issuer, 'PUT', 'gina', { roles: ['editor'], permissions: [] });
    assert.deepEqual(changed.body, {
      username: 'gina', sub: 'user-gina', roles: ['editor'], permissions: [],
    });
    const flow = await oidc.signIn(new Browser(), {
      username: 'gina', password: 'gina-password', scope: 'openid profile', audience: api,
    });
    const { body } = await oidc.exchangeCode(flow);
    assert.deepEqual(decodeJwtPayload(body.id_token).roles, ['editor']);
    assert.deepEqual(decodeJwtPayload(body.access_token).permissions, []);
  });

  test('GET reads a user; {} changes nothing', async () => {
    const read = await adminRequest(issuer, 'GET', 'carol');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, {
      username: 'carol', sub: 'user-carol', roles: ['editor'], permissions: ['read:messages', 'write:messages'],
    });
    const noop = await adminRequest(issuer, 'PUT', 'carol', {});
    assert.equal(noop.status, 200);
    assert.deepEqual(noop.body, read.body);
  });

  test('an unknown user is 404', async () => {
    for (const method of ['GET', 'PUT']) {
      const response = await adminRequest(issuer, method, 'mallory', method === 'PUT' ? { roles: [] } : undefined);
      assert.equal(response.status, 404, method);
      assert.equal(response.body.error, 'not_found');
    }
    const other = await fetch(`${issuer}/dev-admin/groups/x`);
    assert.equal(other.status, 404);
  });

  test('a bad body is 400 and changes nothing', async () => {
    const before = (await adminRequest(issuer, 'GET', 'alice')).body;
    for (const [raw, pattern] of [
      ['{', /not valid JSON/],
      ['[]', /JSON object/],
      ['null', /JSON object/],
      ['"roles"', /JSON object/],
      [JSON.stringify({ roles: 'admin' }), /"roles" must be an array/],
      [JSON.stringify({ permissions: [1] }), /"permissions"/],
      [JSON.stringify({ roles: [''] }), /"roles"/],
      [JSON.stringify({ roles: ['has space'] }), /"roles"/],
      [JSON.stringify({ permissions: ['quote"d'] }), /"permissions"/],
      [JSON.stringify({ roles: ['x'.repeat(129)] }), /"roles"/],
      [JSON.stringify({ roles: Array.from({ length: 65 }, (_, i) => `r${i}`) }), /at most 64/],
      [JSON.stringify({ roles: [], admin: true }), /unknown field/],
      [JSON.stringify({ roles: [], permissions: null }), /"permissions" must be an array/],
    ]) {
      const response = await adminRequest(issuer, 'PUT', 'alice', undefined, { raw });
      assert.equal(response.status, 400, raw);
      assert.equal(response.body.error, 'invalid_request', raw);
      assert.match(response.body.error_description, pattern, raw);
    }
    assert.deepEqual((await adminRequest(issuer, 'GET', 'alice')).body, before);
  });

  test('PUT needs a JSON content type and a bounded body; other methods are refused', async () => {
    const form = await adminRequest(issuer, 'PUT', 'alice', undefined, {
      raw: 'roles=', contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 415);
    const huge = await adminRequest(issuer, 'PUT', 'alice', undefined, {
      raw: JSON.stringify({ roles: ['x'.repeat(20000)] }),
    });
    assert.equal(huge.status, 413);
    const del = await fetch(`${issuer}/dev-admin/users/alice`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET, HEAD, PUT');
  });
});

describe('devidp admin API (disabled by default)', () => {
  let provider;
  let issuer;
  let oidc;
  let api;

  before(async () => {
    ({ provider, issuer, oidc, api } = await startWith({}));
  });

  after(async () => {
    await provider?.stop();
  });

  test('the whole /dev-admin/ prefix is 404 and nothing changes', async () => {
    const put = await adminRequest(issuer, 'PUT', 'alice', { roles: [] });
    assert.equal(put.status, 404);
    assert.equal(put.body.error, 'not_found');
    assert.match(put.body.error_description, /DEVIDP_ENABLE_ADMIN_API/);
    assert.equal((await adminRequest(issuer, 'GET', 'alice')).status, 404);
    for (const path of ['/dev-admin', '/dev-admin/', '/dev-admin/users', '/dev-admin/anything/else']) {
      assert.equal((await fetch(`${issuer}${path}`)).status, 404, path);
    }
    assert.doesNotMatch(provider.stderr, /admin API enabled/);
  });

  test('alice keeps her seed roles and permissions', async () => {
    const put = await adminRequest(issuer, 'PUT', 'alice', { roles: [], permissions: [] });
    assert.equal(put.status, 404);
    const flow = await oidc.signIn(new Browser(), { username: 'alice', audience: api });
    const { body } = await oidc.exchangeCode(flow);
    assert.deepEqual(decodeJwtPayload(body.id_token).roles, ['admin']);
    assert.deepEqual(decodeJwtPayload(body.access_token).permissions, ['read:messages', 'write:messages', 'admin:sessions']);
  });
});

test('DEVIDP_ENABLE_ADMIN_API accepts only 1 or 0', async () => {
  const { code, stdout, stderr } = await runProvider({ DEVIDP_PORT: '0', DEVIDP_ENABLE_ADMIN_API: 'yes' });
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(stderr, /^devidp: invalid configuration: DEVIDP_ENABLE_ADMIN_API/m);
});
