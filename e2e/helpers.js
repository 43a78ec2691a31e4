// Shared set-up for the end-to-end tests: the system Chromium (never a downloaded one),
// a fresh browser context per test, sign-in on the dev provider, screenshots, axe.
//
// Environment (set by `cargo xtask e2e`):
//   E2E_BASE_URL           the app's origin, e.g. http://localhost:8080
//   E2E_ISSUER             the dev provider's issuer, e.g. http://127.0.0.1:4000
//   E2E_SHORT_IDLE_URL     the same app with a 20-second idle timeout (expiry tests; optional)
//   E2E_PROVIDER_DOWN_URL  the same app with an unreachable provider (optional)
//   E2E_EXAMPLE_URL        the minimal example app (examples/minimal), on ferris-login
//   E2E_EXISTING_APP_URL   the existing-app example (examples/existing-app; optional)
//   E2E_CHROMIUM           the browser executable (default /usr/bin/chromium)
//   E2E_ARTIFACTS          where screenshots go (default e2e/artifacts)

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the end-to-end tests with \`cargo xtask e2e\``);
  }
  return value.replace(/\/$/, '');
}

function optional(name) {
  return process.env[name]?.replace(/\/$/, '') || null;
}

export const APP = required('E2E_BASE_URL');
export const ISSUER = required('E2E_ISSUER');
export const APP_ORIGIN = new URL(APP).origin;
export const ISSUER_ORIGIN = new URL(ISSUER).origin;
/** The app with a 20-second idle timeout, if this run has one. */
export const SHORT_IDLE_APP = optional('E2E_SHORT_IDLE_URL');
/** The app with an unreachable provider, if this run has one. */
export const PROVIDER_DOWN_APP = optional('E2E_PROVIDER_DOWN_URL');
/** The minimal example app: someone else's Actix + Yew app with login added. */
export const EXAMPLE_APP = required('E2E_EXAMPLE_URL');
/** The existing-app example: an app with its own server, pool and server-rendered pages. */
export const EXISTING_APP = optional('E2E_EXISTING_APP_URL');

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.E2E_ARTIFACTS || path.join(here, 'artifacts');

/** Desktop and phone widths of the screenshots. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// As root in a container: no sandbox; no GPU, QUIC or background traffic.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The system Chromium; Playwright never downloads a browser here. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Collects uncaught errors of the app's pages (the tests assert there are none). */
export function watchErrors(page, origins = [APP_ORIGIN]) {
  const errors = [];
  page.on('pageerror', (err) => {
    if (origins.includes(new URL(page.url()).origin)) errors.push(err);
  });
  return errors;
}

/**
 * A fresh context (no cookies, no provider session) and a page in it. Uncaught errors in
 * the app's pages are collected in `errors` (the tests assert there are none).
 */
export async function freshPage(browser, options = {}) {
  const { app = APP, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: DESKTOP, ...contextOptions });
  const page = await newPage(context, app);
  return { context, page, errors: page.errors };
}

/** Another page (tab) in `context`, with its error collector as `page.errors`. */
export async function newPage(context, app = APP) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(20_000);
  page.errors = watchErrors(page, [new URL(app).origin]);
  return page;
}

/** Waits until the browser shows a page of the given origin. */
export async function waitForOrigin(page, origin) {
  await page.waitForURL((url) => url.origin === origin);
}

/** Fills the dev provider's sign-in form (the page must be showing it). */
export async function signInAtProvider(page, username, password = username, appOrigin = APP_ORIGIN) {
  await waitForOrigin(page, ISSUER_ORIGIN);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#sign-in').click();
  await waitForOrigin(page, appOrigin);
}

/** Home page → Log in → provider → back on the app, signed in (the user menu shows). */
export async function signIn(page, username, app = APP) {
  await page.goto(`${app}/`);
  await page.locator('#login').click();
  await signInAtProvider(page, username, username, new URL(app).origin);
  await page.locator('#user-menu-button').waitFor();
}

/** Opens the user menu in the bar (unless open) and returns its Log out button. */
export async function openUserMenu(page) {
  const button = page.locator('#user-menu-button');
  if ((await button.getAttribute('aria-expanded')) !== 'true') {
    await button.click();
  }
  await page.locator('#user-menu').waitFor();
  return page.locator('#logout');
}

/** The user menu's Log out → the provider's confirmation (if it asks) → back on the app. */
export async function logOut(page, app = APP) {
  await (await openUserMenu(page)).click();
  const confirm = page.locator('button[name=logout]');
  const login = page.locator('#login');
  await confirm.or(login).first().waitFor();
  if (await confirm.isVisible()) {
    await confirm.click();
  }
  await waitForOrigin(page, new URL(app).origin);
  await login.waitFor();
}

/** The profile heading once it reads `Welcome, <name>`. */
export async function expectWelcome(page, name) {
  const heading = page.locator('#welcome');
  await heading.filter({ hasText: `Welcome, ${name}` }).waitFor();
  return (await heading.textContent()).trim();
}

/** A full-page PNG in the artifacts folder; prints and returns its path. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  // Let web fonts and images settle (the provider's font may fail to resolve: harmless).
  await page.waitForLoadState('load');
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

/**
 * Screenshots at desktop width (`<name>-desktop.png`) and phone width (`<name>-phone.png`);
 * the viewport is the desktop one again afterwards.
 */
export async function screenshots(page, name) {
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.0–2.2 A and AA rules) on the page as it is now and fails with a
 * readable list if anything is found. The page's CSP forbids inline scripts, so axe is not
 * added as a `<script>`: it is evaluated through the DevTools protocol (`page.evaluate`),
 * which the CSP does not govern, and the page keeps its CSP.
 */
export async function expectNoAxeViolations(page, label) {
  const hasAxe = await page.evaluate(() => typeof window.axe === 'object');
  if (!hasAxe) {
    await page.evaluate(await axeSource);
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  assert.deepEqual(
    violations,
    [],
    `axe found problems on ${label}:\n${JSON.stringify(violations, null, 2)}`,
  );
}

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`. */
export async function tabTo(page, selector, { backwards = false, max = 40 } = {}) {
  for (let i = 0; i < max; i += 1) {
    const hit = await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
    if (hit) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  const focused = await describeFocus(page);
  throw new Error(`${max} presses of ${backwards ? 'Shift+Tab' : 'Tab'} never reached ${selector} (focus: ${focused})`);
}

/** `tag#id.class "text"` of the focused element, for messages and assertions. */
export async function describeFocus(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return 'nothing';
    const id = el.id ? `#${el.id}` : '';
    const cls = el.classList.length ? `.${[...el.classList].join('.')}` : '';
    return `${el.tagName.toLowerCase()}${id}${cls} "${(el.textContent || '').trim().slice(0, 40)}"`;
  });
}

/** Waits until the focus is on the page's heading (`main h1`) and returns its text. */
export async function expectFocusOnHeading(page) {
  await page.waitForFunction(() => document.activeElement?.matches('#main h1'), null, {
    timeout: 5_000,
  });
  return page.evaluate(() => document.activeElement.textContent.trim());
}

/** A `fetch` of the app's API from the page (the session cookie, `X-CSRF: 1`). */
export async function api(page, method, pathname) {
  return page.evaluate(
    async ({ method, pathname }) => {
      const res = await fetch(pathname, { method, headers: { 'X-CSRF': '1' } });
      const text = await res.text();
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: res.status, body };
    },
    { method, pathname },
  );
}
