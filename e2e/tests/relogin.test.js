// Logging in again in a real browser ends the session from before (ASVS 7.2.4). The session
// cookie is SameSite=Strict, so Chromium does not send it on the provider's redirect to the
// callback; the login started on our own page remembers the old session in its sealed
// transaction, and the callback ends it. The old cookie, replayed, is worth nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  api,
  freshPage,
  launchBrowser,
  signIn,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function sessionCookie(context) {
  const cookies = await context.cookies(APP);
  return cookies.find((c) => c.name === 'bff_session');
}

test('logging in again ends the old session; its cookie then gets 401', { timeout: 90_000 }, async () => {
  const { context, page } = await freshPage(browser);
  try {
    await signIn(page, 'alice');
    const old = await sessionCookie(context);
    assert.ok(old, 'signed in with a session cookie');
    assert.equal(old.sameSite, 'Strict');

    // A second login from one of our pages, while signed in. `prompt=login` makes the
    // provider ask again: the form is submitted on the provider's page, so the redirect to our
    // callback is a cross-site navigation and Chromium leaves the Strict cookie out.
    await page.evaluate(() => {
      window.location.href = '/api/auth/login?returnTo=%2Fprofile&prompt=login';
    });
    await page.waitForURL((url) => url.origin === ISSUER_ORIGIN);
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill('alice');
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.origin === APP_ORIGIN);
    await page.locator('#user-menu-button').waitFor();
    const current = await sessionCookie(context);
    assert.notEqual(current.value, old.value, 'a new session id after the second login');
    assert.equal((await api(page, 'GET', '/api/auth/me')).status, 200);

    // The old cookie, in another browser: signed out.
    const { context: stale, page: stalePage } = await freshPage(browser);
    try {
      await stale.addCookies([{ ...old }]);
      await stalePage.goto(`${APP}/healthz`);
      const me = await api(stalePage, 'GET', '/api/auth/me');
      assert.equal(me.status, 401, 'the session from before the second login is over');
    } finally {
      await stale.close();
    }
  } finally {
    await context.close();
  }
});
