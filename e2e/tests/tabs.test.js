// Tabs that agree: two tabs of one browser (one context). Signing in or out in one shows in
// the other within a second, without polling: a BroadcastChannel message, or (where the
// browser has none) a `storage` event, makes the other tab ask /api/auth/me once.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  DESKTOP,
  launchBrowser,
  newPage,
  openUserMenu,
  screenshots,
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

/** Waits for `locator`, failing if it takes longer than `ms` from now; returns the time. */
async function within(ms, locator, what) {
  const start = Date.now();
  await locator.waitFor({ timeout: ms }).catch((err) => {
    throw new Error(`${what}: not within ${ms} ms (${err.message.split('\n')[0]})`);
  });
  return Date.now() - start;
}

async function twoTabsAgree({ label, user, name, withoutBroadcastChannel }) {
  const context = await browser.newContext({ viewport: DESKTOP });
  if (withoutBroadcastChannel) {
    // Every page of this context loses BroadcastChannel before the app starts.
    await context.addInitScript(() => {
      delete window.BroadcastChannel;
    });
  }
  const a = await newPage(context);
  const b = await newPage(context);
  try {
    await b.goto(`${APP}/`);
    await b.locator('#login').waitFor();
    assert.equal(
      await b.evaluate(() => typeof window.BroadcastChannel),
      withoutBroadcastChannel ? 'undefined' : 'function',
    );
    await a.goto(`${APP}/`);

    // Sign in in A: B shows the user within a second of A being back.
    await a.locator('#login').click();
    await signInAtProvider(a, user);
    await a.locator('#user-menu-button').waitFor();
    const inAfter = await within(1_000, b.locator('#user-name', { hasText: name }), `${label}: B shows the sign-in`);
    console.log(`${label}: B saw the sign-in ${inAfter} ms after A was back`);

    // Sign out in A: B says "You have signed out" within a second of the click.
    await (await openUserMenu(a)).click();
    const outAfter = await within(
      1_000,
      b.locator('#notice[data-code="signed_out"]', { hasText: 'You have signed out' }),
      `${label}: B shows the sign-out`,
    );
    console.log(`${label}: B saw the sign-out ${outAfter} ms after the click in A`);
    await b.locator('#login').waitFor();
    assert.equal(await b.locator('#logout').count(), 0, 'B has no Log out button any more');
    if (!withoutBroadcastChannel) {
      await screenshots(b, 'tabs-signed-out-elsewhere');
    }

    // A finishes its round trip at the provider and comes back saying the same.
    const confirm = a.locator('button[name=logout]');
    await confirm.or(a.locator('#notice[data-code="signed_out"]')).first().waitFor();
    if (new URL(a.url()).origin === ISSUER_ORIGIN) {
      await confirm.click();
    }
    await waitForOrigin(a, APP_ORIGIN);
    await a.locator('#notice[data-code="signed_out"]').waitFor();

    // Nothing about the user (nothing at all) is left in storage.
    assert.deepEqual(await b.evaluate(() => Object.keys(localStorage)), []);
    assert.deepEqual(await a.evaluate(() => Object.keys(localStorage)), []);

    assert.deepEqual(a.errors, [], 'no uncaught errors (A)');
    assert.deepEqual(b.errors, [], 'no uncaught errors (B)');
  } finally {
    await context.close();
  }
}

test('two tabs: sign-in and sign-out in one show in the other within a second', { timeout: 90_000 }, async () => {
  await twoTabsAgree({ label: 'broadcast', user: 'alice', name: 'Alice Admin' });
});

test('two tabs without BroadcastChannel agree through storage events', { timeout: 90_000 }, async () => {
  await twoTabsAgree({
    label: 'storage',
    user: 'bob',
    name: 'Bob Builder',
    withoutBroadcastChannel: true,
  });
});
