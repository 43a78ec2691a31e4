// Messages, the worked example of permissions: alice (read + write) posts; bob (read only)
// sees it, has no form and is told why; carol (read + write) cannot delete alice's message;
// alice's Delete asks first. A draft survives leaving the page and is gone after logout.
// (Every seed user may read; the forbidden page for a page's missing permission is covered by
// the admin test.)

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  expectFocusOnHeading,
  expectNoAxeViolations,
  freshPage,
  launchBrowser,
  logOut,
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

const messagesLink = (page) => page.locator('.nav-links a[href="/messages"]');

test('alice writes a message; bob reads it without a form; carol cannot delete it', { timeout: 120_000 }, async () => {
  const alice = await freshPage(browser);
  const bob = await freshPage(browser);
  const carol = await freshPage(browser);
  try {
    const text = `Hello from alice at ${new Date().toISOString()} <b>not bold</b>`;

    // Alice: the link, the form, the counter, the post.
    await signIn(alice.page, 'alice');
    await messagesLink(alice.page).click();
    assert.equal(await expectFocusOnHeading(alice.page), 'Messages');
    assert.equal(await alice.page.title(), 'Messages · Ferris Login');
    assert.equal(await messagesLink(alice.page).getAttribute('aria-current'), 'page');
    const box = alice.page.locator('textarea#message-body');
    assert.equal((await alice.page.locator('label[for="message-body"]').textContent()).trim(), 'Your message');
    await alice.page.locator('#message-list, #no-messages').first().waitFor();

    // An empty post is refused with a reason, and the focus stays in the box.
    await alice.page.locator('#post-message').click();
    await alice.page.locator('#message-problem', { hasText: 'Write something' }).waitFor();
    assert.equal(await box.getAttribute('aria-invalid'), 'true');

    await box.fill(text);
    await alice.page.locator('#message-count', { hasText: `${text.length} / 500` }).waitFor();
    await expectNoAxeViolations(alice.page, 'messages (alice, writing)');
    await alice.page.locator('#post-message').click();
    await alice.page.locator('#messages-notice[data-code="posted"]').waitFor();
    const mine = alice.page.locator('li.message[data-mine="true"]', { hasText: 'Hello from alice' }).first();
    await mine.waitFor();
    assert.equal((await mine.locator('.message-body').textContent()).trim(), text, 'the body is text');
    assert.equal(await mine.locator('.message-body b').count(), 0, 'never markup');
    assert.equal((await mine.locator('.message-author').textContent()).trim(), 'Alice Admin');
    await mine.locator('button.delete-message').waitFor();
    assert.equal(await box.inputValue(), '', 'the box is empty again');
    await expectNoAxeViolations(alice.page, 'messages (alice, posted)');
    await screenshots(alice.page, 'messages-alice');

    // Bob: reads it, no form, one plain sentence, no Delete.
    await signIn(bob.page, 'bob');
    await messagesLink(bob.page).waitFor();
    await bob.page.goto(`${APP}/messages`);
    const seen = bob.page.locator('li.message', { hasText: text }).first();
    await seen.waitFor();
    assert.equal(await bob.page.locator('#message-form').count(), 0, 'no form for bob');
    // Told what he can't do and how to get it, in words, not permission names.
    const readOnly = (await bob.page.locator('#read-only').textContent()).trim();
    assert.match(readOnly, /^You can read messages but not write them\. To post, ask an administrator/);
    assert.doesNotMatch(readOnly, /write:messages/);
    assert.equal(await bob.page.locator('button.delete-message').count(), 0);
    assert.equal(await seen.getAttribute('data-mine'), 'false');
    await expectNoAxeViolations(bob.page, 'messages (bob, read only)');
    await screenshots(bob.page, 'messages-bob');

    // Carol may write too, but Delete is only on one's own messages.
    await signIn(carol.page, 'carol');
    await carol.page.goto(`${APP}/messages`);
    await carol.page.locator('#message-form').waitFor();
    const alices = carol.page.locator('li.message', { hasText: text }).first();
    await alices.waitFor();
    assert.equal(await alices.locator('button.delete-message').count(), 0, 'not carol\'s to delete');

    // Each Delete says which message (not a list of identical "Delete" buttons).
    const deleteMine = mine.locator('button.delete-message');
    const name = await deleteMine.evaluate((b) => b.getAttribute('aria-label'));
    assert.match(name, /^Delete message “Hello from alice at /, 'the button names its message');
    const names = await alice.page.locator('button.delete-message').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    assert.equal(new Set(names).size, names.length, `one name per message: ${JSON.stringify(names)}`);

    // Alice deletes hers: Delete asks first (the focus on Cancel); Cancel keeps the message
    // and gives the focus back; confirming deletes it and the focus goes to the list heading.
    await deleteMine.click();
    const cancel = mine.locator('button.delete-cancel');
    await cancel.waitFor();
    assert.ok(await cancel.evaluate((b) => b === document.activeElement), 'the focus is on Cancel');
    assert.match(await mine.locator('.confirmation-question').textContent(), /cannot be undone/);
    await expectNoAxeViolations(alice.page, 'messages (alice, confirming a delete)');
    await cancel.click();
    await deleteMine.waitFor();
    assert.ok(await deleteMine.evaluate((b) => b === document.activeElement), 'the focus is back on Delete');
    await alice.page.locator('#messages-notice[data-code="deleted"]').waitFor({ state: 'detached', timeout: 1_000 });
    assert.equal(await mine.count(), 1, 'cancel deleted nothing');
    await deleteMine.click();
    await mine.locator('button.delete-confirm').click();
    await alice.page.locator('#messages-notice[data-code="deleted"]').waitFor();
    await alice.page.locator('li.message', { hasText: text }).waitFor({ state: 'detached' });
    assert.equal(await alice.page.evaluate(() => document.activeElement?.id), 'messages-list-heading');

    // A draft is kept in this tab: away and back, it is still there; after logout it is gone.
    await alice.page.locator('textarea#message-body').fill('half a thought');
    await alice.page.goto(`${APP}/`);
    await alice.page.goto(`${APP}/messages`);
    assert.equal(await alice.page.locator('textarea#message-body').inputValue(), 'half a thought', 'the draft came back');
    await logOut(alice.page);
    assert.equal(
      await alice.page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('ferris-demo-draft')).length),
      0,
      'logout cleared the draft',
    );

    for (const who of [alice, bob, carol]) {
      assert.deepEqual(who.errors, [], 'no uncaught errors');
    }
  } finally {
    await alice.context.close();
    await bob.context.close();
    await carol.context.close();
  }
});
