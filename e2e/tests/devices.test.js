// Two devices (two browser contexts) of one person. On the first, "Your sessions" lists both,
// "This device" marked; signing the other one out (with its inline confirmation) refreshes the
// list, and the other device's next click lands on the signed-out state.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  api,
  expectFocusOnHeading,
  expectNoAxeViolations,
  freshPage,
  launchBrowser,
  screenshots,
  signIn,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('signing out the other device from Your sessions', { timeout: 120_000 }, async () => {
  const phone = await freshPage(browser);
  const laptop = await freshPage(browser);
  try {
    await signIn(phone.page, 'alice');
    await phone.page.goto(`${APP}/profile`);
    await phone.page.locator('#welcome').waitFor();

    await signIn(laptop.page, 'alice');
    const page = laptop.page;
    // From the profile to the sessions page, as a person would.
    await page.locator('.nav-link', { hasText: 'Profile' }).click();
    await page.locator('a.sessions-link').click();
    await page.waitForURL((url) => url.pathname === '/account/sessions');
    assert.equal(await expectFocusOnHeading(page), 'Your sessions');
    assert.equal(await page.title(), 'Your sessions · Ferris Login');

    await page.locator('#this-session .badge-current', { hasText: 'This device' }).waitFor();
    // The phone's session, by the id its own status reports (earlier tests may have left
    // other sessions of alice's).
    const phoneStatus = await api(phone.page, 'GET', '/api/auth/session');
    assert.equal(phoneStatus.status, 200);
    const id = phoneStatus.body.id;
    const other = page.locator(`#my-sessions li.my-session[data-session-id="${id}"]`);
    await other.waitFor();
    assert.equal(await other.getAttribute('data-current'), 'false');
    for (const field of ['Device', 'Network', 'Signed in', 'Last active']) {
      await other.locator('dt', { hasText: field }).waitFor();
    }
    await expectNoAxeViolations(page, 'your sessions');
    await screenshots(page, 'sessions');

    // Sign out: the inline confirmation takes the focus (Cancel); Escape puts it back.
    const signOut = page.locator(`button.session-sign-out[data-session-id="${id}"]`);
    await signOut.click();
    const cancel = page.locator(`button.session-sign-out-cancel[data-session-id="${id}"]`);
    await cancel.waitFor();
    assert.ok(await cancel.evaluate((el) => el === document.activeElement), 'Cancel has the focus');
    await expectNoAxeViolations(page, 'the sign-out confirmation');
    await screenshots(page, 'sessions-confirm');
    await page.keyboard.press('Escape');
    await signOut.waitFor();
    assert.ok(await signOut.evaluate((el) => el === document.activeElement), 'focus back on Sign out');

    await signOut.click();
    await page.locator(`button.session-sign-out-confirm[data-session-id="${id}"]`).click();
    await page.locator('#my-sessions-notice[data-kind="success"]').waitFor();
    await page.locator(`li.my-session[data-session-id="${id}"]`).waitFor({ state: 'detached' });
    assert.ok(
      await page.evaluate(() => document.activeElement?.id === 'other-sessions'),
      'the focus is on the list heading, not lost',
    );
    await screenshots(page, 'sessions-after-sign-out');

    // The phone's next click: signed out, with a way back in.
    await phone.page.locator('.nav-link', { hasText: 'Home' }).click();
    await phone.page.locator('.nav-link', { hasText: 'Profile' }).click();
    await phone.page.locator('#session-ended').waitFor();
    await phone.page.locator('#relogin', { hasText: 'Log in again' }).waitFor();
    assert.equal(await phone.page.locator('#welcome').count(), 0, 'no "Welcome" any more');
    assert.equal(await phone.page.locator('#logout').count(), 0);

    // The laptop is still signed in; "Sign out all other sessions" leaves it alone.
    await page.reload();
    await page.locator('#this-session').waitFor();
    if (await page.locator('#sign-out-others').count()) {
      await page.locator('#sign-out-others').click();
      await page.locator('button.sign-out-others-confirm').click();
      await page.locator('#my-sessions-notice[data-kind="success"]').waitFor();
    }
    await page.locator('#no-other-sessions').waitFor();
    await page.locator('#this-session').waitFor();
    assert.equal((await api(page, 'GET', '/api/auth/me')).status, 200);

    assert.deepEqual(phone.errors, [], 'no uncaught errors (phone)');
    assert.deepEqual(laptop.errors, [], 'no uncaught errors (laptop)');
  } finally {
    await phone.context.close();
    await laptop.context.close();
  }
});
