// Logout: ends the app's session and the provider's (RP-initiated logout, confirmed on the
// provider's page), returns to the app signed out; a protected page then needs a new sign-in.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  freshPage,
  launchBrowser,
  openUserMenu,
  screenshot,
  signIn,
  waitForOrigin,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('Log out signs out of the app and the provider', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    await signIn(page, 'alice');

    await (await openUserMenu(page)).click();
    // The provider asks "sign out?" (oidc-provider's RP-initiated logout page).
    const confirm = page.locator('button[name=logout]');
    const login = page.locator('#login');
    await confirm.or(login).first().waitFor();
    if (await confirm.isVisible()) {
      assert.equal(new URL(page.url()).origin, ISSUER_ORIGIN);
      await confirm.click();
    }

    await waitForOrigin(page, APP_ORIGIN);
    await login.waitFor();
    assert.equal(await page.locator('#logout').count(), 0, 'no Log out button after logout');
    await screenshot(page, '4-home-after-logout');

    // The server-side session is gone, not just hidden.
    const me = await page.request.get(`${APP}/api/auth/me`, { headers: { 'X-CSRF': '1' } });
    assert.equal(me.status(), 401);

    // The provider's session is gone too: a protected page asks for the password again.
    await page.goto(`${APP}/profile`);
    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('#username').waitFor();
    await page.locator('#sign-in').waitFor();

    assert.deepEqual(errors, [], 'no uncaught errors in the app');
  } finally {
    await context.close();
  }
});
