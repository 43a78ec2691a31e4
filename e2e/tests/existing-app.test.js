// The existing-app example (examples/existing-app: an Actix app with its own server, pool,
// migrations and health check, login added with ferris-login) in a real browser: its
// server-rendered page sends a signed-out visitor through the dev provider and back to the
// same page, which then counts the visit in the app's own table; the page survives a reload;
// logging out ends it (the page redirects to the login again).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  EXISTING_APP,
  ISSUER_ORIGIN,
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

test(
  'A page of an existing app behind the login: to the provider and back to the same page',
  { timeout: 90_000, skip: EXISTING_APP ? false : 'E2E_EXISTING_APP_URL is not set' },
  async () => {
    const origin = new URL(EXISTING_APP).origin;
    const { context, page, errors } = await freshPage(browser, { app: EXISTING_APP });
    try {
      // Signed out: the page itself sends the browser to the login.
      await page.goto(`${EXISTING_APP}/account`);
      await waitForOrigin(page, ISSUER_ORIGIN);
      await signInAtProvider(page, 'alice', 'alice', origin);

      // Back on the page asked for (the SameSite=Strict cookie arrives on its own reload).
      await page.getByRole('heading', { name: 'Hello, Alice Admin' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/account');
      await page.getByText('Visit 1').waitFor();
      await screenshot(page, 'existing-app-1-account');

      await page.reload();
      await page.getByText('Visit 2').waitFor();
      assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is HttpOnly');

      // The app's own health check, and the library's JSON API beside it.
      const health = await page.evaluate(async () => (await fetch('/health')).status);
      assert.equal(health, 200);
      const me = await page.evaluate(async () => {
        const res = await fetch('/api/auth/me', { headers: { 'X-CSRF': '1' } });
        return { status: res.status, body: await res.json() };
      });
      assert.equal(me.status, 200);
      assert.equal(me.body.sub, 'user-alice');

      // Logging out through the library's route ends the session for the page too.
      const logout = await page.evaluate(async () => {
        const res = await fetch('/api/auth/logout', { method: 'POST', headers: { 'X-CSRF': '1' } });
        return res.status;
      });
      assert.equal(logout, 200);
      const again = await page.evaluate(async () => {
        const res = await fetch('/account', { redirect: 'manual' });
        return res.type;
      });
      assert.equal(again, 'opaqueredirect', 'signed out: the page redirects to the login');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);
