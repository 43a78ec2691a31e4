// A deep link to a protected page while signed out: the guard sends the browser to the
// provider and, after sign-in, back to the page that was asked for.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  ISSUER_ORIGIN,
  expectWelcome,
  freshPage,
  launchBrowser,
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

test('opening /profile signed out goes through the provider and back to /profile', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    await page.goto(`${APP}/profile`);
    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('#username').waitFor();

    await signInAtProvider(page, 'bob', 'bob');
    await page.waitForURL((url) => url.pathname === '/profile');
    assert.equal(await expectWelcome(page, 'Bob Builder'), 'Welcome, Bob Builder');

    assert.deepEqual(errors, [], 'no uncaught errors in the app');
  } finally {
    await context.close();
  }
});
