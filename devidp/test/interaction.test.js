// The sign-in interaction: Cancel, login_hint, prompt=login and the extra authorization
// request parameters an Auth0-minded client sends.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Browser, RelyingParty, attribute, decodeJwtPayload, elementById, formAction, freePort,
  pageHeading, startProvider,
} from '../testing/helpers.js';

const CLIENT_ID = 'bff-interaction';
const CLIENT_SECRET = 'interaction-secret';

describe('devidp sign-in interaction', () => {
  let provider;
  let oidc;
  let api;

  before(async () => {
    const port = await freePort();
    const redirectUri = `http://localhost:${port + 1}/api/auth/callback`;
    api = `http://localhost:${port + 1}/api`;
    provider = startProvider({
      DEVIDP_PORT: String(port),
      DEVIDP_CLIENT_ID: CLIENT_ID,
      DEVIDP_CLIENT_SECRET: CLIENT_SECRET,
      DEVIDP_REDIRECT_URIS: redirectUri,
      DEVIDP_API_AUDIENCE: api,
    });
    const { issuer } = await provider.ready;
    oidc = new RelyingParty({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri });
  });

  after(async () => {
    await provider?.stop();
  });

  async function cancel(browser, page) {
    const action = new URL(formAction(page.html, '/abort'), page.url).href;
    const response = await browser.request(action, { method: 'POST', form: {} });
    assert.equal(response.status, 303);
    return browser.follow(response, action, oidc.redirectUri);
  }

  test('Cancel returns access_denied with "The user cancelled the sign-in" and the state', async () => {
    const browser = new Browser();
    const start = await oidc.startAuthorization(browser);
    const page = await oidc.openLoginPage(browser, start);
    assert.match(page.html, /<form method="post" action="[^"]+\/abort">\s*<button type="submit" id="cancel" class="secondary">Cancel<\/button>/);
    const { redirectedTo } = await cancel(browser, page);
    assert.equal(redirectedTo.origin + redirectedTo.pathname, oidc.redirectUri);
    assert.equal(redirectedTo.searchParams.get('error'), 'access_denied');
    assert.equal(redirectedTo.searchParams.get('error_description'), 'The user cancelled the sign-in');
    assert.equal(redirectedTo.searchParams.get('state'), start.state);
    assert.equal(redirectedTo.searchParams.get('code'), null);

    // The interaction is over: its pages now say so.
    const stale = await browser.request(page.url);
    assert.equal(stale.status, 400);
  });

  test('Cancel on the sign-up form works the same way', async () => {
    const browser = new Browser();
    const start = await oidc.startAuthorization(browser, { screen_hint: 'signup' });
    const page = await oidc.openSignupPage(browser, start);
    const { redirectedTo } = await cancel(browser, page);
    assert.equal(redirectedTo.searchParams.get('error'), 'access_denied');
    assert.equal(redirectedTo.searchParams.get('state'), start.state);
  });

  test('login_hint prefills the username (escaped, at most 64 characters) and focuses the password', async () => {
    const browser = new Browser();
    const page = await oidc.openLoginPage(browser, await oidc.startAuthorization(browser, { login_hint: 'bob' }));
    const username = elementById(page.html, 'username');
    assert.equal(attribute(username, 'value'), 'bob');
    assert.doesNotMatch(username, /autofocus/);
    assert.match(elementById(page.html, 'password'), /autofocus/);
    const { response } = await oidc.submitLogin(browser, page, 'bob', 'bob');
    assert.equal(response.status, 303);

    const other = new Browser();
    const evil = await oidc.openLoginPage(other, await oidc.startAuthorization(other, {
      login_hint: `"><script>alert(1)</script>${'é'.repeat(100)}`,
    }));
    assert.doesNotMatch(evil.html, /<script>/);
    const value = attribute(elementById(evil.html, 'username'), 'value');
    assert.equal(value, `&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;${'é'.repeat(64 - 27)}`);

    const third = new Browser();
    const none = await oidc.openLoginPage(third, await oidc.startAuthorization(third));
    assert.equal(attribute(elementById(none.html, 'username'), 'value'), '');
    assert.match(elementById(none.html, 'username'), /autofocus/);
  });

  test('Auth0-style parameters are accepted: ui_locales, max_age, acr_values, organization, invitation, connection, screen_hint', async () => {
    const browser = new Browser();
    const flow = await oidc.signIn(browser, {
      username: 'carol',
      audience: api,
      login_hint: 'carol',
      ui_locales: 'fr-CA fr en',
      max_age: '3600',
      acr_values: 'urn:mace:incommon:iap:silver',
      organization: 'org_123',
      invitation: 'inv_456',
      connection: 'Username-Password-Authentication',
      screen_hint: 'login',
    });
    assert.equal(flow.callback.searchParams.get('error'), null, flow.callback.href);
    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    const claims = decodeJwtPayload(body.id_token);
    assert.equal(claims.sub, 'user-carol');
    assert.equal(typeof claims.auth_time, 'number', 'max_age asks for auth_time');
    assert.equal(claims.acr, undefined, 'acr_values is accepted but no acr is asserted');
    assert.deepEqual(decodeJwtPayload(body.access_token).permissions, ['read:messages', 'write:messages']);

    // With a provider session, max_age that has not elapsed signs in without the form.
    const again = await oidc.startAuthorization(browser, { max_age: '3600', organization: 'org_123' });
    const { redirectedTo } = await browser.follow(again.response, again.url, oidc.redirectUri);
    assert.ok(redirectedTo?.searchParams.get('code'), 'expected SSO');
  });

  test('prompt=login shows the form despite a session, prefilled from login_hint', async () => {
    const browser = new Browser();
    const first = await oidc.signIn(browser, { username: 'alice', scope: 'openid' });
    assert.ok(first.callback.searchParams.get('code'));

    const start = await oidc.startAuthorization(browser, { prompt: 'login', login_hint: 'alice' });
    const page = await oidc.openLoginPage(browser, start);
    assert.equal(pageHeading(page.html), 'Sign in to Dev Identity Provider');
    assert.equal(attribute(elementById(page.html, 'username'), 'value'), 'alice');
    const { response, action } = await oidc.submitLogin(browser, page, 'alice', 'alice');
    const { redirectedTo } = await browser.follow(response, action, oidc.redirectUri);
    const { status, body } = await oidc.exchangeCode({ ...start, callback: redirectedTo });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(decodeJwtPayload(body.id_token).sub, 'user-alice');

    // prompt=login with screen_hint=signup shows the sign-up form despite the session.
    const signup = await oidc.startAuthorization(browser, { prompt: 'login', screen_hint: 'signup' });
    await oidc.openSignupPage(browser, signup);
  });

  test('GET on an action path shows the page; other methods are refused', async () => {
    const browser = new Browser();
    const page = await oidc.openLoginPage(browser, await oidc.startAuthorization(browser));
    assert.equal((await browser.request(`${page.url}/abort`)).status, 405);
    assert.equal((await browser.request(page.url, { method: 'POST', form: {} })).status, 405);
    const login = await browser.request(`${page.url}/login`);
    assert.equal(login.status, 200);
    assert.equal(pageHeading(await login.text()), 'Sign in to Dev Identity Provider');
  });
});
