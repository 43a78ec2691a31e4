// The sign-up form (screen_hint=signup, or "Create an account" on the sign-in page):
// rendering, validation, and signing the new user in.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Browser, RelyingParty, attribute, decodeJwtPayload, elementById, formAction, freePort,
  linkHref, pageHeading, pageTitle, startProvider,
} from '../testing/helpers.js';

const CLIENT_ID = 'bff-signup';
const CLIENT_SECRET = 'signup-secret';
const SIGNUP_TITLE = 'Create your account · Dev Identity Provider';
const SIGNIN_TITLE = 'Sign in · Dev Identity Provider';

const dana = Object.freeze({
  username: 'dana', name: 'Dana Scully', email: 'dana@example.org', password: 'trustno1!',
});

describe('devidp sign-up', () => {
  let provider;
  let issuer;
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
    ({ issuer } = await provider.ready);
    oidc = new RelyingParty({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri });
  });

  after(async () => {
    await provider?.stop();
  });

  test('screen_hint=signup shows the sign-up form', async () => {
    const browser = new Browser();
    const start = await oidc.startAuthorization(browser, { screen_hint: 'signup' });
    const { response, url } = await browser.follow(start.response, start.url, oidc.redirectUri);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy'), /default-src 'none'/);
    const html = await response.text();

    assert.equal(pageTitle(html), SIGNUP_TITLE);
    assert.equal(pageHeading(html), 'Create your account');
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /style="/, 'no inline styles');
    assert.match(html, /<link rel="stylesheet" href="\/assets\/devidp.css">/);

    // The sign-up form is the first form of the page and posts to the interaction.
    const uid = /\/interaction\/([\w-]+)$/.exec(url)[1];
    assert.equal(/action="([^"]+)"/.exec(html)[1], `/interaction/${uid}/signup`);
    for (const [id, name, type, autocomplete, label] of [
      ['signup-username', 'username', 'text', 'username', 'Username'],
      ['signup-name', 'name', 'text', 'name', 'Name'],
      ['signup-email', 'email', 'email', 'email', 'Email'],
      ['signup-password', 'password', 'password', 'new-password', 'Password'],
    ]) {
      const input = elementById(html, id);
      assert.ok(input, `#${id}`);
      assert.equal(attribute(input, 'name'), name);
      assert.equal(attribute(input, 'type'), type);
      assert.equal(attribute(input, 'autocomplete'), autocomplete);
      assert.match(html, new RegExp(`<label for="${id}">${label}</label>`));
    }
    assert.match(elementById(html, 'signup-username'), /\sautofocus/);
    assert.match(html, /<button type="submit" id="sign-up" class="primary">Sign up<\/button>/);
    assert.equal(linkHref(html, 'back-to-sign-in'), `/interaction/${uid}/login`);
    assert.equal(formAction(html, '/abort'), `/interaction/${uid}/abort`);
    assert.match(html, /<button type="submit" id="cancel" class="secondary">Cancel<\/button>/);
    // Not the sign-in form: browser tests wait for #username / #sign-in on that one.
    assert.equal(elementById(html, 'username'), undefined);
    assert.equal(elementById(html, 'sign-in'), undefined);
  });

  test('the sign-in page links to the sign-up form of the same interaction, and back', async () => {
    const browser = new Browser();
    const signin = await oidc.openLoginPage(browser, await oidc.startAuthorization(browser));
    assert.equal(pageTitle(signin.html), SIGNIN_TITLE);
    const uid = /\/interaction\/([\w-]+)$/.exec(signin.url)[1];
    assert.equal(linkHref(signin.html, 'create-account'), `/interaction/${uid}/signup`);
    assert.match(signin.html, /id="create-account"[^>]*>Create an account<\/a>/);
    // The sign-in form stays the first form of its page (the backend's tests post to it).
    assert.equal(/action="([^"]+)"/.exec(signin.html)[1], `/interaction/${uid}/login`);

    const signup = await oidc.openLink(browser, signin, 'create-account');
    assert.equal(pageHeading(signup.html), 'Create your account');
    const back = await oidc.openLink(browser, signup, 'back-to-sign-in');
    assert.equal(pageTitle(back.html), SIGNIN_TITLE);
    assert.ok(elementById(back.html, 'username'));

    // ...and the sign-in form reached that way still signs in.
    const { response, action } = await oidc.submitLogin(browser, back, 'bob', 'bob');
    assert.equal(response.status, 303);
    const { redirectedTo } = await browser.follow(response, action, oidc.redirectUri);
    assert.ok(redirectedTo.searchParams.get('code'));
  });

  test('"Sign in" from a screen_hint=signup page shows the sign-in form', async () => {
    const browser = new Browser();
    const signup = await oidc.openSignupPage(browser, await oidc.startAuthorization(browser, { screen_hint: 'signup' }));
    const signin = await oidc.openLink(browser, signup, 'back-to-sign-in');
    assert.equal(pageHeading(signin.html), 'Sign in to Dev Identity Provider');
    const { response } = await oidc.submitLogin(browser, signin, 'carol', 'carol');
    assert.equal(response.status, 303);
  });

  test('signing up creates the user and signs it in', async () => {
    const browser = new Browser();
    const flow = await oidc.signUp(browser, { fields: dana, audience: api });
    assert.equal(flow.callback.searchParams.get('state'), flow.state);
    const { status, body } = await oidc.exchangeCode(flow);
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.refresh_token);

    const claims = decodeJwtPayload(body.id_token);
    assert.equal(claims.sub, 'user-dana');
    assert.equal(claims.nonce, flow.nonce);
    assert.equal(claims.name, 'Dana Scully');
    assert.equal(claims.nickname, 'dana');
    assert.equal(claims.email, 'dana@example.org');
    assert.equal(claims.email_verified, false);
    assert.deepEqual(claims.roles, []);
    assert.equal(claims.picture, `${issuer}/avatars/dana.svg`);
    assert.equal(typeof claims.updated_at, 'number');

    const access = decodeJwtPayload(body.access_token);
    assert.equal(access.aud, api);
    assert.equal(access.sub, 'user-dana');
    assert.deepEqual(access.permissions, ['read:messages']);

    // The avatar exists, and the provider session is dana's (SSO without a form).
    const avatar = await fetch(`${issuer}/avatars/dana.svg`);
    assert.equal(avatar.status, 200);
    assert.match(await avatar.text(), />DS</);
    const again = await oidc.startAuthorization(browser, { scope: 'openid profile' });
    const { redirectedTo } = await browser.follow(again.response, again.url, oidc.redirectUri);
    const sso = await oidc.exchangeCode({ ...again, callback: redirectedTo });
    assert.equal(decodeJwtPayload(sso.body.id_token).sub, 'user-dana');

    // The new user signs in with its password from a fresh browser.
    const later = await oidc.signIn(new Browser(), { username: 'Dana', password: dana.password });
    const { body: tokens } = await oidc.exchangeCode(later);
    assert.equal(decodeJwtPayload(tokens.id_token).sub, 'user-dana');
  });

  test('a wrong password for a signed-up user is refused', async () => {
    const browser = new Browser();
    await oidc.signUp(new Browser(), {
      fields: { username: 'erin_1', name: 'Erin', email: 'erin@example.com', password: 'password-erin' },
    });
    const page = await oidc.openLoginPage(browser, await oidc.startAuthorization(browser));
    const { response } = await oidc.submitLogin(browser, page, 'erin_1', 'password-eri');
    assert.equal(response.status, 200);
    assert.match(await response.text(), /Invalid username or password/);
  });

  test('invalid input re-renders the form with messages and the entered values, never the password', async () => {
    const browser = new Browser();
    const start = await oidc.startAuthorization(browser, { screen_hint: 'signup' });
    const page = await oidc.openSignupPage(browser, start);

    const cases = [
      [{ ...dana, username: 'ab' }, 'username', /Choose a username of 3 to 32 characters/],
      [{ ...dana, username: 'x'.repeat(33) }, 'username', /Choose a username of 3 to 32 characters/],
      [{ ...dana, username: 'dana scully' }, 'username', /Choose a username/],
      [{ ...dana, username: 'dana.s' }, 'username', /Choose a username/],
      [{ ...dana, username: ' ALICE ' }, 'username', /That username is already taken/],
      [{ ...dana, username: 'Dana' }, 'username', /That username is already taken/],
      [{ ...dana, username: 'frank', name: '   ' }, 'name', /Enter your name/],
      [{ ...dana, username: 'frank', name: 'n'.repeat(65) }, 'name', /Enter your name/],
      [{ ...dana, username: 'frank', name: 'Bell\u0007' }, 'name', /Enter your name/],
      [{ ...dana, username: 'frank', email: 'frank' }, 'email', /Enter a valid email address/],
      [{ ...dana, username: 'frank', email: 'frank@localhost' }, 'email', /Enter a valid email address/],
      [{ ...dana, username: 'frank', email: 'a b@example.com' }, 'email', /Enter a valid email address/],
      [{ ...dana, username: 'frank', password: 'short12' }, 'password', /at least 8 characters/],
    ];
    for (const [fields, field, message] of cases) {
      const { response } = await oidc.submitSignup(browser, page, fields);
      assert.equal(response.status, 200, JSON.stringify(fields));
      const html = await response.text();
      assert.equal(pageHeading(html), 'Create your account');
      assert.match(/<div class="alert" role="alert" id="error">.*<\/div>/.exec(html)?.[0] ?? '', message, JSON.stringify(fields));
      assert.equal(attribute(elementById(html, `signup-${field}`), 'aria-invalid'), 'true', field);
      assert.doesNotMatch(html, new RegExp(fields.password), 'password echoed');
      assert.equal(attribute(elementById(html, 'signup-password'), 'value'), undefined);
      if (field !== 'email') assert.equal(attribute(elementById(html, 'signup-email'), 'value'), fields.email);
    }

    // Several problems at once are all listed.
    const { response } = await oidc.submitSignup(browser, page, {
      username: '', name: '', email: '', password: '',
    });
    const html = await response.text();
    assert.equal((html.match(/<li>/g) ?? []).length, 4);

    // Nothing was created by the failed attempts, and the same interaction still signs up.
    assert.equal((await fetch(`${issuer}/avatars/frank.svg`)).status, 404);
    const ok = await oidc.submitSignup(browser, page, { ...dana, username: 'frank', email: 'frank@example.com' });
    assert.equal(ok.response.status, 303);
    const { redirectedTo } = await browser.follow(ok.response, ok.action, oidc.redirectUri);
    const { status, body } = await oidc.exchangeCode({ ...start, callback: redirectedTo });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(decodeJwtPayload(body.id_token).sub, 'user-frank');
  });

  test('entered values are escaped', async () => {
    const browser = new Browser();
    const page = await oidc.openSignupPage(browser, await oidc.startAuthorization(browser, { screen_hint: 'signup' }));
    const evil = '"><script>alert(1)</script>';
    const { response } = await oidc.submitSignup(browser, page, {
      username: evil, name: evil, email: evil, password: 'x',
    });
    const html = await response.text();
    assert.doesNotMatch(html, /<script>/);
    assert.equal(attribute(elementById(html, 'signup-name'), 'value'), '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    assert.equal(attribute(elementById(html, 'signup-username'), 'value'), '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');

    // A name with markup is stored as text and escaped wherever it is shown.
    const flow = await oidc.signUp(new Browser(), {
      fields: { username: 'markup', name: '<b>Bold</b> & "Co"', email: 'markup@example.com', password: '12345678' },
      scope: 'openid profile',
    });
    const { body } = await oidc.exchangeCode(flow);
    assert.equal(decodeJwtPayload(body.id_token).name, '<b>Bold</b> & "Co"');
    const svg = await (await fetch(`${issuer}/avatars/markup.svg`)).text();
    assert.match(svg, /aria-label="&lt;b&gt;Bold&lt;\/b&gt; &amp; &quot;Co&quot;"/);
  });

  test('login_hint prefills the sign-up form: an email address goes to the email field', async () => {
    const browser = new Browser();
    const page = await oidc.openSignupPage(browser, await oidc.startAuthorization(browser, {
      screen_hint: 'signup', login_hint: 'grace@example.com',
    }));
    assert.equal(attribute(elementById(page.html, 'signup-email'), 'value'), 'grace@example.com');
    assert.equal(attribute(elementById(page.html, 'signup-username'), 'value'), '');

    const other = await oidc.openSignupPage(browser, await oidc.startAuthorization(browser, {
      screen_hint: 'signup', login_hint: 'grace',
    }));
    assert.equal(attribute(elementById(other.html, 'signup-username'), 'value'), 'grace');
  });

  test('a sign-up POST without the interaction cookie is refused', async () => {
    const browser = new Browser();
    const page = await oidc.openSignupPage(browser, await oidc.startAuthorization(browser, { screen_hint: 'signup' }));
    const action = new URL(formAction(page.html, '/signup'), page.url).href;
    const response = await new Browser().request(action, {
      method: 'POST', form: { ...dana, username: 'nocookie' },
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /expired or was already completed/);
    assert.equal((await fetch(`${issuer}/avatars/nocookie.svg`)).status, 404);
  });
});
