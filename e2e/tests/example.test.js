// The minimal example (examples/minimal: a fresh Actix app and a fresh Yew app, login added
// with ferris-login and ferris-login-yew in under 30 lines of glue) signs in through the dev
// provider, stays signed in across a reload, and signs out, in a real browser.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  EXAMPLE_APP,
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

const ORIGIN = new URL(EXAMPLE_APP).origin;

test('The minimal example app logs in and out through the dev provider', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser, { app: EXAMPLE_APP });
  try {
    await page.goto(`${EXAMPLE_APP}/`);
    const login = page.getByRole('link', { name: 'Log in' });
    await login.waitFor();
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);
    await screenshot(page, 'example-1-signed-out');

    await login.click();
    await waitForOrigin(page, ISSUER_ORIGIN);
    await signInAtProvider(page, 'alice', 'alice', ORIGIN);
    const logout = page.getByRole('button', { name: 'Log out' });
    await logout.waitFor();
    await page.getByText('Alice Admin').waitFor();
    await screenshot(page, 'example-2-signed-in');

    // The session is the backend's: it survives a reload, and scripts see no cookie.
    await page.reload();
    await page.getByText('Alice Admin').waitFor();
    assert.equal(await page.evaluate(() => document.cookie), '');
    const me = await page.evaluate(async () => {
      const res = await fetch('/api/auth/me', { headers: { 'X-CSRF': '1' } });
      return { status: res.status, body: await res.json() };
    });
    assert.equal(me.status, 200);
    assert.equal(me.body.sub, 'user-alice');

    await page.getByRole('button', { name: 'Log out' }).click();
    // The provider may ask to confirm the sign-out.
    const confirm = page.locator('button[name=logout]');
    await confirm.or(page.getByRole('link', { name: 'Log in' })).first().waitFor();
    if (await confirm.isVisible()) {
      await confirm.click();
    }
    await waitForOrigin(page, ORIGIN);
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    const after = await page.evaluate(async () => (await fetch('/api/auth/me', { headers: { 'X-CSRF': '1' } })).status);
    assert.equal(after, 401);
    await screenshot(page, 'example-3-signed-out-again');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
