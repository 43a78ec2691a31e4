// End-to-end smoke test of the dev identity provider: starts `node server.js` as a child
// process and drives discovery, sign-in (authorization code + PKCE), tokens, refresh,
// the API audience, logout with back-channel logout, and the avatars over HTTP.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Browser, RelyingParty, decodeJwtHeader, decodeJwtPayload, formAction, freePort, pkcePair,
  runProvider, startBackchannelReceiver, startProvider,
} from '../testing/helpers.js';

const CLIENT_ID = 'bff-test';
const CLIENT_SECRET = 'test-secret';

describe('devidp', () => {
  let provider;
  let issuer;
  let port;
  let rp; // the relying party's origin, e.g. http://localhost:PORT
  let redirectUri;
  let api;
  let receiver; // stands in for the BFF's back-channel logout endpoint
  let oidc;

  before(async () => {
    receiver = await startBackchannelReceiver();
    rp = `http://localhost:${receiver.port}`;
    redirectUri = `${rp}/api/auth/callback`;
    api = `${rp}/api`;

    port = await freePort();
    provider = startProvider({
      DEVIDP_PORT: String(port),
      DEVIDP_CLIENT_ID: CLIENT_ID,
      DEVIDP_CLIENT_SECRET: CLIENT_SECRET,
      DEVIDP_REDIRECT_URIS: `${redirectUri},http://localhost:1/other`,
      DEVIDP_POST_LOGOUT_REDIRECT_URIS: `${rp}/`,
      DEVIDP_BACKCHANNEL_LOGOUT_URI: `http://127.0.0.1:${receiver.port}/api/auth/backchannel-logout`,
      DEVIDP_API_AUDIENCE: api,
      DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL: '1',
    });
    ({ issuer } = await provider.ready);
    oidc = new RelyingParty({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri });
  });

  after(async () => {
    await provider?.stop();
    await receiver?.close();
  });

  test('prints exactly one ready line on stdout', () => {
    assert.equal(provider.stdout, `DEVIDP_READY {"issuer":"http://127.0.0.1:${port}","port":${port}}\n`);
    assert.equal(issuer, `http://127.0.0.1:${port}`);
  });

  test('discovery document has the configured issuer, byte for byte', async () => {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const doc = await response.json();
    assert.equal(doc.issuer, issuer);
    assert.equal(doc.authorization_endpoint, `${issuer}/auth`);
    assert.equal(doc.token_endpoint, `${issuer}/token`);
    assert.equal(doc.end_session_endpoint, `${issuer}/session/end`);
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(doc.response_types_supported, ['code']);
    assert.equal(doc.backchannel_logout_supported, true);
    assert.equal(doc.backchannel_logout_session_supported, true);
    assert.ok(doc.revocation_endpoint && doc.introspection_endpoint);
    for (const scope of ['openid', 'profile', 'email', 'offline_access']) {
      assert.ok(doc.scopes_supported.includes(scope), scope);
    }
  });

  test('jwks publishes an RS256 signing key and no private material', async () => {
    const { keys } = await (await fetch(`${issuer}/jwks`)).json();
    const key = keys.find((k) => k.alg === 'RS256');
    assert.ok(key, 'RS256 key');
    assert.equal(key.kty, 'RSA');
    assert.equal(key.use, 'sig');
    assert.ok(key.kid);
    for (const k of keys) assert.equal(k.d, undefined, 'private key exposed');
  });

  test('a wrong password re-renders the form with an error', async () => {
    const browser = new Browser();
    const page = await oidc.openLoginPage(browser, await oidc.startAuthorization(browser));
    assert.match(page.html, /Sign in to Dev Identity Provider/);
    assert.match(page.html, /name="username"/);
    assert.match(page.html, /<button type="submit" id="sign-in"/);
    assert.doesNotMatch(page.html, /<script/i);

    const { response } = await oidc.submitLogin(browser, page, 'alice', 'wrong');
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /Invalid username or password/);
    assert.match(html, /value="alice"/);
    assert.match(response.headers.get('content-security-policy'), /default-src 'none'/);

    // User input is escaped.
    const { response: again } = await oidc.submitLogin(browser, page, '<script>alert("x")</script>', 'x');
    const escaped = await again.text();
    assert.match(escaped, /Invalid username or password/);
    assert.doesNotMatch(escaped, /<script>alert/);
    assert.match(escaped, /&lt;script&gt;alert\(&quot;x&quot;\)/);
  });

  let aliceSession; // { browser, tokens, idToken }

  test('alice signs in with authorization code + PKCE and gets ID, access and refresh tokens', async () => {
    const browser = new Browser();
    const flow = await oidc.signIn(browser, { username: 'alice', password: 'alice' });
    assert.equal(flow.callback.origin + flow.callback.pathname, redirectUri);
    assert.equal(flow.callback.searchParams.get('state'), flow.state);
    assert.equal(flow.callback.searchParams.get('iss'), issuer);

    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'Bearer');
    assert.ok(body.access_token);
    assert.ok(body.refresh_token, 'refresh token expected with offline_access');
    assert.equal(body.expires_in, 600);

    const header = decodeJwtHeader(body.id_token);
    assert.equal(header.alg, 'RS256');
    const claims = decodeJwtPayload(body.id_token);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(claims.sub, 'user-alice');
    assert.equal(claims.nonce, flow.nonce);
    assert.equal(claims.name, 'Alice Admin');
    assert.equal(claims.nickname, 'alice');
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.picture, `${issuer}/avatars/alice.svg`);
    assert.deepEqual(claims.roles, ['admin']);
    assert.equal(typeof claims.sid, 'string');
    assert.ok(claims.exp - claims.iat <= 600);

    // The opaque access token (no audience) works at userinfo.
    const userinfo = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(userinfo.status, 200);
    const info = await userinfo.json();
    assert.equal(info.sub, 'user-alice');
    assert.equal(info.email, 'alice@example.com');

    aliceSession = { browser, tokens: body, idToken: claims };
  });

  test('refresh tokens rotate', async () => {
    assert.ok(aliceSession, 'depends on the sign-in test');
    const first = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: aliceSession.tokens.refresh_token }, { auth: 'post' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.ok(first.body.refresh_token);
    assert.notEqual(first.body.refresh_token, aliceSession.tokens.refresh_token);
    assert.equal(decodeJwtPayload(first.body.id_token).name, 'Alice Admin');

    const replay = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: aliceSession.tokens.refresh_token });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    aliceSession.tokens.refresh_token = first.body.refresh_token;
  });

  test('an existing session signs in again without a form (SSO), with offline_access', async () => {
    assert.ok(aliceSession, 'depends on the sign-in test');
    const { browser } = aliceSession;
    const start = await oidc.startAuthorization(browser);
    const { redirectedTo } = await browser.follow(start.response, start.url, redirectUri);
    assert.ok(redirectedTo, 'expected to land at the redirect_uri without a sign-in page');
    const { status, body } = await oidc.exchangeCode({ ...start, callback: redirectedTo });
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.refresh_token);
    assert.equal(decodeJwtPayload(body.id_token).sid, aliceSession.idToken.sid);
  });

  test('audience=<api> yields a JWT access token for the API with permissions', async () => {
    const browser = new Browser();
    const flow = await oidc.signIn(browser, { username: 'alice', audience: api });
    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    const access = decodeJwtPayload(body.access_token);
    assert.equal(decodeJwtHeader(body.access_token).typ, 'at+jwt');
    assert.equal(access.iss, issuer);
    assert.equal(access.aud, api);
    assert.equal(access.sub, 'user-alice');
    assert.equal(access.client_id, CLIENT_ID);
    assert.deepEqual(access.permissions, ['read:messages', 'write:messages', 'admin:sessions']);
    assert.equal(access.scope, 'openid profile email offline_access');
    assert.equal(body.scope, 'openid profile email offline_access');
    assert.ok(access.exp - access.iat <= 600);
    assert.ok(body.id_token);

    // The refreshed access token is for the API as well.
    const refreshed = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(decodeJwtPayload(refreshed.body.access_token).aud, api);
  });

  test('resource=<api> works like audience and API scopes follow the user\'s permissions', async () => {
    const browser = new Browser();
    const flow = await oidc.signIn(browser, {
      username: 'bob', resource: api, scope: 'openid profile read:messages write:messages',
    });
    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.refresh_token, undefined, 'no offline_access, no refresh token');
    const access = decodeJwtPayload(body.access_token);
    assert.equal(access.aud, api);
    assert.deepEqual(access.permissions, ['read:messages']);
    assert.equal(access.scope, 'openid profile read:messages', 'write:messages is not bob\'s');
  });

  test('an unknown audience is refused', async () => {
    const browser = new Browser();
    const start = await oidc.startAuthorization(browser, { audience: 'https://unknown.example/api' });
    const { redirectedTo } = await browser.follow(start.response, start.url, redirectUri);
    assert.ok(redirectedTo);
    assert.equal(redirectedTo.searchParams.get('error'), 'invalid_target');
  });

  test('bob and carol carry their own claims', async () => {
    for (const [username, expected] of [
      ['bob', { name: 'Bob Builder', email_verified: true, roles: [] }],
      ['carol', { name: 'Carol Émilie', email_verified: false, roles: ['editor'] }],
    ]) {
      const flow = await oidc.signIn(new Browser(), { username, scope: 'openid profile email' });
      const { status, body } = await oidc.exchangeCode(flow);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.refresh_token, undefined);
      const claims = decodeJwtPayload(body.id_token);
      assert.equal(claims.sub, `user-${username}`);
      assert.equal(claims.name, expected.name);
      assert.equal(claims.email, `${username}@example.com`);
      assert.equal(claims.email_verified, expected.email_verified);
      assert.deepEqual(claims.roles, expected.roles);
    }
  });

  test('cancelling the sign-in returns access_denied to the client', async () => {
    const browser = new Browser();
    const start = await oidc.startAuthorization(browser);
    const page = await oidc.openLoginPage(browser, start);
    const action = new URL(formAction(page.html, '/abort'), page.url).href;
    const response = await browser.request(action, { method: 'POST', form: {} });
    const { redirectedTo } = await browser.follow(response, action, redirectUri);
    assert.equal(redirectedTo.searchParams.get('error'), 'access_denied');
    assert.equal(redirectedTo.searchParams.get('state'), start.state);
  });

  test('introspection and revocation work for the client', async () => {
    const flow = await oidc.signIn(new Browser(), { username: 'carol' });
    const { body: tokens } = await oidc.exchangeCode(flow);

    const active = await oidc.clientRequest('/token/introspection', { token: tokens.access_token });
    assert.equal(active.status, 200);
    assert.equal(active.body.active, true);
    assert.equal(active.body.sub, 'user-carol');
    assert.equal(active.body.client_id, CLIENT_ID);

    const revoked = await oidc.clientRequest('/token/revocation', { token: tokens.refresh_token });
    assert.equal(revoked.status, 200);
    const refresh = await oidc.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refresh.body.error, 'invalid_grant');
    // Revoking the refresh token revokes the grant, and with it the access token.
    const inactive = await oidc.clientRequest('/token/introspection', { token: tokens.access_token });
    assert.equal(inactive.body.active, false);
  });

  test('a code cannot be exchanged without its PKCE verifier or with a wrong secret', async () => {
    const flow = await oidc.signIn(new Browser(), { username: 'bob' });
    const wrongVerifier = await oidc.tokenRequest({
      grant_type: 'authorization_code',
      code: flow.callback.searchParams.get('code'),
      redirect_uri: redirectUri,
      code_verifier: pkcePair().verifier,
    });
    assert.equal(wrongVerifier.status, 400);
    assert.equal(wrongVerifier.body.error, 'invalid_grant');

    const response = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:nope`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    assert.equal(response.status, 401);
  });

  test('an authorization request without PKCE is refused', async () => {
    const url = oidc.authorizeUrl({
      client_id: CLIENT_ID, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 's',
    });
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location'));
    assert.equal(location.searchParams.get('error'), 'invalid_request');
  });

  test('RP-initiated logout ends the session and sends a back-channel logout token', async () => {
    assert.ok(aliceSession, 'depends on the sign-in test');
    const { browser, tokens, idToken } = aliceSession;
    receiver.calls.length = 0;

    const response = await oidc.logout(browser, {
      idToken: tokens.id_token, postLogoutRedirectUri: `${rp}/`, state: 'bye',
    });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location'));
    assert.equal(location.origin + location.pathname, `${rp}/`);
    assert.equal(location.searchParams.get('state'), 'bye');

    assert.equal(receiver.calls.length, 1, `expected one back-channel logout\n${provider.stderr}`);
    const [call] = receiver.calls;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/api/auth/backchannel-logout');
    assert.equal(call.type, 'application/x-www-form-urlencoded');
    const [logoutToken] = receiver.logoutTokens();
    assert.equal(logoutToken.iss, issuer);
    assert.equal(logoutToken.aud, CLIENT_ID);
    assert.equal(logoutToken.sub, 'user-alice');
    assert.equal(logoutToken.sid, idToken.sid);
    assert.ok(logoutToken.events['http://schemas.openid.net/event/backchannel-logout']);

    // The provider session is gone: a new authorization shows the sign-in form again.
    await oidc.openLoginPage(browser, await oidc.startAuthorization(browser));
  });

  test('prompt=login lets another user sign in; the previous session is logged out', async () => {
    const browser = new Browser();
    const first = await oidc.signIn(browser, { username: 'bob' });
    const firstSid = decodeJwtPayload((await oidc.exchangeCode(first)).body.id_token).sid;
    receiver.calls.length = 0;

    const start = await oidc.startAuthorization(browser, { prompt: 'login' });
    const page = await oidc.openLoginPage(browser, start);
    const { response, action } = await oidc.submitLogin(browser, page, 'carol', 'carol');
    // The provider first ends bob's session with a self-submitting form (one inline
    // script, allowed by its CSP hash), then resumes the authorization.
    const selfPost = await browser.follow(response, action, redirectUri);
    assert.equal(selfPost.response?.status, 200, 'expected the self-submitting logout form');
    const html = await selfPost.response.text();
    const inputs = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)]
      .map(([, name, value]) => [name, value]));
    const confirm = new URL(formAction(html, '/confirm'), selfPost.url).href;
    const result = await browser.follow(
      await browser.request(confirm, { method: 'POST', form: inputs }),
      confirm,
      redirectUri,
    );
    assert.ok(result.redirectedTo, 'expected to land at the redirect_uri');
    const { status, body } = await oidc.exchangeCode({ ...start, callback: result.redirectedTo });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(decodeJwtPayload(body.id_token).sub, 'user-carol');

    assert.deepEqual(receiver.logoutTokens().map((t) => [t.sub, t.sid]), [['user-bob', firstSid]]);
  });

  test('serves SVG avatars', async () => {
    const response = await fetch(`${issuer}/avatars/alice.svg`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^image\/svg\+xml/);
    const svg = await response.text();
    assert.match(svg, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, />AA</);
    assert.equal((await fetch(`${issuer}/avatars/mallory.svg`)).status, 404);
  });

  test('serves the stylesheet and a health check', async () => {
    const css = await fetch(`${issuer}/assets/devidp.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type'), /^text\/css/);
    const health = await fetch(`${issuer}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });
});

describe('devidp configuration', () => {
  test('DEVIDP_PORT=0 picks a free port and the default issuer follows it', async () => {
    const provider = startProvider({ DEVIDP_PORT: '0' });
    try {
      const { issuer, port } = await provider.ready;
      assert.ok(port > 0);
      assert.equal(issuer, `http://127.0.0.1:${port}`);
      const doc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      assert.equal(doc.issuer, issuer);
    } finally {
      await provider.stop();
    }
  });

  test('DEVIDP_ISSUER is used byte for byte', async () => {
    const port = await freePort();
    const provider = startProvider({ DEVIDP_PORT: String(port), DEVIDP_ISSUER: `http://localhost:${port}/` });
    try {
      const { issuer } = await provider.ready;
      assert.equal(issuer, `http://localhost:${port}/`);
      const doc = await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json();
      assert.equal(doc.issuer, `http://localhost:${port}/`);
      assert.equal(doc.token_endpoint, `http://localhost:${port}/token`);
    } finally {
      await provider.stop();
    }
  });

  test('without DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL, back-channel logout to loopback is refused and logged', async () => {
    const receiver = await startBackchannelReceiver();
    const redirectUri = `http://localhost:${receiver.port}/api/auth/callback`;
    const provider = startProvider({
      DEVIDP_PORT: '0',
      DEVIDP_REDIRECT_URIS: redirectUri,
      DEVIDP_BACKCHANNEL_LOGOUT_URI: `http://127.0.0.1:${receiver.port}/api/auth/backchannel-logout`,
    });
    try {
      const { issuer } = await provider.ready;
      const oidc = new RelyingParty({
        issuer, clientId: 'bff-dev', clientSecret: 'dev-client-secret-change-me', redirectUri,
      });
      const browser = new Browser();
      const { body } = await oidc.exchangeCode(await oidc.signIn(browser, { username: 'bob' }));
      const response = await oidc.logout(browser, { idToken: body.id_token });
      assert.equal(response.status, 303, 'logout itself still completes');
      assert.equal(receiver.calls.length, 0);
      assert.match(provider.stderr, /back-channel logout to http:\/\/127\.0\.0\.1:\d+\/api\/auth\/backchannel-logout failed/);
      assert.match(provider.stderr, /DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL=1/);
    } finally {
      await provider.stop();
      await receiver.close();
    }
  });

  test('exits when stdin closes (DEVIDP_EXIT_ON_STDIN_CLOSE=1)', async () => {
    const provider = startProvider({ DEVIDP_PORT: '0' });
    await provider.ready;
    const exited = new Promise((resolve) => provider.child.once('exit', (code) => resolve(code)));
    provider.child.stdin.end();
    assert.equal(await exited, 0);
  });

  for (const [env, pattern] of [
    [{ DEVIDP_PORT: 'http' }, /DEVIDP_PORT/],
    [{ DEVIDP_ISSUER: 'http://127.0.0.1:4000/oidc' }, /DEVIDP_ISSUER/],
    [{ DEVIDP_REDIRECT_URIS: 'not a url' }, /DEVIDP_REDIRECT_URIS/],
    [{ DEVIDP_CLIENT_SECRET: '' }, /DEVIDP_CLIENT_SECRET/],
    [{ DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL: 'yes' }, /DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL/],
  ]) {
    test(`a bad configuration (${Object.keys(env)[0]}) stops start-up with a clear message`, async () => {
      const { code, stdout, stderr } = await runProvider({ DEVIDP_PORT: '0', ...env });
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /^devidp: invalid configuration: /m);
      assert.match(stderr, pattern);
    });
  }
});
