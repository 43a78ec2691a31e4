// The expiry warning, against the backend started with a 20-second idle timeout
// (E2E_SHORT_IDLE_URL): the warning window is half of it (10 s: long enough to read and answer).
// The dialog appears before the idle deadline with the focus on "Stay signed in"; that (and
// Escape) extends the session; typing in /messages is activity and keeps the dialog away; left
// alone, the session expires and the page says so once, with the focus on what it says, and
// "Log in again" back to the page, where the unsent draft is waiting.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ISSUER,
  SHORT_IDLE_APP,
  api,
  expectNoAxeViolations,
  freshPage,
  launchBrowser,
  screenshots,
  signIn,
  signInAtProvider,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const skip = SHORT_IDLE_APP ? false : 'E2E_SHORT_IDLE_URL is not set (run through `cargo xtask e2e`)';

async function idleDeadline(page) {
  const status = await api(page, 'GET', '/api/auth/session');
  assert.equal(status.status, 200, `GET /api/auth/session: ${JSON.stringify(status.body)}`);
  return Date.parse(status.body.idle_expires_at);
}

test('the expiry warning: Stay signed in, Escape, then expiry', { skip, timeout: 150_000 }, async () => {
  const { context, page, errors } = await freshPage(browser, { app: SHORT_IDLE_APP });
  try {
    await signIn(page, 'alice', SHORT_IDLE_APP);
    await page.goto(`${SHORT_IDLE_APP}/profile`);
    await page.locator('#welcome').waitFor();

    // 1. The dialog comes shortly before the idle deadline, modal, with the focus inside.
    const dialog = page.locator('dialog#expiry-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    const before = await idleDeadline(page);
    const left = before - Date.now();
    assert.ok(left > 5_000 && left <= 11_000, `warned ${left} ms before the deadline (window: 10 s)`);
    assert.equal(await dialog.getAttribute('role'), 'dialog');
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    assert.ok(await dialog.evaluate((d) => d.open && d.matches(':modal')), 'opened as a modal');
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'stay-signed-in',
      'the focus moved into the dialog',
    );
    await expectNoAxeViolations(page, 'the expiry dialog');
    await screenshots(page, 'expiry-dialog');

    // 2. "Stay signed in" extends the session and closes the dialog.
    await page.locator('#stay-signed-in').click();
    await dialog.waitFor({ state: 'detached' });
    const after1 = await idleDeadline(page);
    assert.ok(after1 > before + 3_000, 'the idle deadline moved');
    assert.notEqual(
      await page.evaluate(() => document.activeElement?.tagName),
      'BODY',
      'the focus went back somewhere, not to <body>',
    );

    // 3. Next warning: Escape means "stay" too.
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const after2 = await idleDeadline(page);
    assert.ok(after2 > after1, 'Escape extended the session');

    // 4. Left alone: the session expires; the page says so and offers to come back here.
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    const ended = page.locator('#session-ended', { hasText: 'Your session has expired' });
    await ended.waitFor({ timeout: 15_000 });
    await dialog.waitFor({ state: 'detached' });
    // The focus is on what happened (never dropped to <body>), said once: the card's heading
    // takes the focus and the banner above is not a second alert.
    await page.waitForFunction(() => document.activeElement?.matches('#session-ended h1'), null, { timeout: 5_000 });
    assert.equal(await page.locator('[role="alert"]').count(), 0, 'no alert besides the focused heading');
    assert.equal((await page.locator('#notice .notice-message').textContent()).trim(), 'Your session has expired.');
    const relogin = page.locator('#relogin', { hasText: 'Log in again' });
    assert.equal(await relogin.getAttribute('href'), '/api/auth/login?returnTo=%2Fprofile');
    await page.locator('#notice[data-code="session_expired"]').waitFor();
    assert.equal(await page.title(), 'Session expired · Ferris Login');
    assert.equal((await api(page, 'GET', '/api/auth/me')).status, 401);
    await expectNoAxeViolations(page, 'the expired state');
    await screenshots(page, 'expired');

    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});

test('typing is activity; a draft survives the expiry and the new sign-in', { skip, timeout: 150_000 }, async () => {
  const { context, page, errors } = await freshPage(browser, { app: SHORT_IDLE_APP });
  try {
    await signIn(page, 'alice', SHORT_IDLE_APP);
    await page.goto(`${SHORT_IDLE_APP}/messages`);
    const box = page.locator('textarea#message-body');
    await box.waitFor();
    const dialog = page.locator('dialog#expiry-dialog');

    // Typing a few characters a second for 25 s (longer than the 20-second timeout): the
    // dialog never opens in the middle of it.
    const started = Date.now();
    while (Date.now() - started < 25_000) {
      await box.pressSequentially('typing ', { delay: 60 });
      assert.equal(await dialog.count(), 0, `the dialog opened ${Date.now() - started} ms into typing`);
    }
    await box.fill('An unsent thought');

    // Left alone: the session expires; the draft is kept in this tab.
    await page.locator('#session-ended').waitFor({ timeout: 40_000 });
    await page.locator('#relogin').click();
    // The provider still knows alice: it may come straight back, or ask again.
    const username = page.locator('#username');
    await username.or(page.locator('#messages-heading')).first().waitFor({ timeout: 20_000 });
    if (new URL(page.url()).origin === new URL(ISSUER).origin) {
      await signInAtProvider(page, 'alice', 'alice', new URL(SHORT_IDLE_APP).origin);
    }
    await page.waitForURL((url) => url.pathname === '/messages');
    await box.waitFor();
    assert.equal(await box.inputValue(), 'An unsent thought', 'the draft came back after signing in again');
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});
