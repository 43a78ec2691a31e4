// Signing in from the home page: Login → the provider's form → back on the app, signed in,
// and still signed in after a reload. The browser holds no token, only an HttpOnly cookie.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  expectWelcome,
  freshPage,
  launchBrowser,
  screenshot,
  signInAtProvider,
  waitForOrigin,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('Log in on the home page signs in and the session survives a reload', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  // Being signed out is no failure: the signed-out page logs no failed request (its session
  // check asks `/api/auth/me?visitor=204`).
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && new URL(page.url()).origin === APP_ORIGIN) {
      consoleErrors.push(message.text());
    }
  });
  try {
    await page.goto(`${APP}/`);
    const login = page.locator('#login');
    await login.waitFor();
    assert.equal(await page.locator('#logout').count(), 0, 'no Log out button when signed out');
    await screenshot(page, '1-home-signed-out');
    assert.deepEqual(consoleErrors, [], 'no red line in the console of a signed-out page');

    await login.click();
    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('#username').waitFor();
    await page.locator('#password').waitFor();
    await page.locator('#sign-in').waitFor();
    await screenshot(page, '2-provider-sign-in');

    await signInAtProvider(page, 'alice', 'alice');
    await page.locator('#user-menu-button').waitFor();
    assert.equal(new URL(page.url()).origin, APP_ORIGIN);

    await page.goto(`${APP}/profile`);
    assert.equal(await expectWelcome(page, 'Alice Admin'), 'Welcome, Alice Admin');
    await screenshot(page, '3-profile-signed-in');

    await page.reload();
    assert.equal(await expectWelcome(page, 'Alice Admin'), 'Welcome, Alice Admin');
    assert.equal(new URL(page.url()).pathname, '/profile');

    // Backend-for-Frontend: scripts see no cookie and no stored token.
    const seen = await page.evaluate(() => ({
      cookie: document.cookie,
      local: Object.keys(localStorage),
      session: Object.keys(sessionStorage),
    }));
    assert.deepEqual(seen, { cookie: '', local: [], session: [] });
    const appCookies = (await context.cookies(APP)).filter((c) => c.value);
    assert.ok(appCookies.length > 0, 'a session cookie is set');
    for (const cookie of appCookies) {
      assert.ok(cookie.httpOnly, `cookie ${cookie.name} is HttpOnly`);
      assert.ok(!/^ey[A-Za-z0-9_-]+\./.test(cookie.value), `cookie ${cookie.name} holds no JWT`);
    }

    assert.deepEqual(errors, [], 'no uncaught errors in the app');
  } finally {
    await context.close();
  }
});
