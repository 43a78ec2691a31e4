// Sign up: the button next to Login opens the provider's sign-up form (screen_hint=signup);
// creating an account there comes back to the app signed in as the new user.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  freshPage,
  launchBrowser,
  screenshot,
  waitForOrigin,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('Sign up reaches the provider\'s sign-up form and comes back signed in', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    await page.goto(`${APP}/forbidden`);
    const signup = page.locator('a#signup');
    assert.equal((await signup.textContent()).trim(), 'Sign up');
    assert.equal(
      await signup.getAttribute('href'),
      '/api/auth/login?screen_hint=signup&returnTo=%2Fforbidden',
    );
    await signup.click();
    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('h1', { hasText: 'Create your account' }).waitFor();
    assert.equal(await page.title(), 'Create your account · Dev Identity Provider');
    await screenshot(page, 'provider-sign-up');

    const username = `dora${Date.now().toString(36)}`;
    await page.locator('#signup-username').fill(username);
    await page.locator('#signup-name').fill('Dora Explorer');
    await page.locator('#signup-email').fill(`${username}@example.com`);
    await page.locator('#signup-password').fill('a long enough password 1');
    await page.locator('button#sign-up').click();
    await waitForOrigin(page, APP_ORIGIN);
    await page.locator('#user-name', { hasText: 'Dora Explorer' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/forbidden', 'back where the sign-up started');
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});
