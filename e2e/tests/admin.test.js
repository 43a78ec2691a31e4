// Roles in the browser: an admin and a non-admin see different navigation; the non-admin
// gets the forbidden page on /admin; the admin revokes the other user's sessions and that
// user's next action lands on the signed-out state.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { APP, freshPage, launchBrowser, screenshot, signIn } from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const adminLink = (page) => page.locator('.nav-links a[href="/admin"]');

test('admin and non-admin: navigation, forbidden page, revocation', { timeout: 120_000 }, async () => {
  const alice = await freshPage(browser);
  const bob = await freshPage(browser);
  try {
    await signIn(alice.page, 'alice');
    await signIn(bob.page, 'bob');

    // Different navigation.
    await adminLink(alice.page).waitFor();
    assert.equal(await adminLink(bob.page).count(), 0, 'bob sees no Admin link');

    // Bob opening /admin gets the forbidden page, not the sessions.
    await bob.page.goto(`${APP}/admin`);
    await bob.page.locator('#forbidden').waitFor();
    assert.equal(await bob.page.locator('table#sessions').count(), 0);
    await screenshot(bob.page, '5-admin-forbidden');

    // Alice sees every live session, hers marked, and revokes Bob's.
    await alice.page.goto(`${APP}/admin`);
    await alice.page.locator('table#sessions').waitFor();
    const bobRow = alice.page.locator('tr.session-row[data-sub="user-bob"]');
    await bobRow.first().waitFor();
    await alice.page.locator('tr.session-row[data-sub="user-alice"] .badge-current').waitFor();
    await screenshot(alice.page, '6-admin-sessions');
    const bobId = await bobRow.first().getAttribute('data-user-id');
    await alice.page.locator(`button.revoke[data-user-id="${bobId}"]`).click();
    await alice.page.locator(`button.revoke-confirm[data-user-id="${bobId}"]`).click();
    await alice.page.locator('#admin-notice').filter({ hasText: 'Signed out' }).waitFor();
    // Every session of bob's goes (other tests may have left some).
    await alice.page.waitForFunction(() => !document.querySelector('tr.session-row[data-sub="user-bob"]'));

    // Bob's next action: the app finds the session gone and shows the signed-out state.
    await bob.page.goto(`${APP}/`);
    await bob.page.locator('#login').waitFor();
    assert.equal(await bob.page.locator('#logout').count(), 0);
    const me = await bob.page.request.get(`${APP}/api/auth/me`, { headers: { 'X-CSRF': '1' } });
    assert.equal(me.status(), 401);

    // Alice is unaffected.
    const mine = await alice.page.request.get(`${APP}/api/auth/me`, { headers: { 'X-CSRF': '1' } });
    assert.equal(mine.status(), 200);

    assert.deepEqual(alice.errors, [], 'no uncaught errors (alice)');
    assert.deepEqual(bob.errors, [], 'no uncaught errors (bob)');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
