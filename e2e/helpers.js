// Shared set-up for the end-to-end tests: the system Chromium (never a downloaded one),
// a fresh browser context per test, sign-in on the dev provider, screenshots.
//
// Environment (set by `cargo xtask e2e`):
//   E2E_BASE_URL   the app's origin, e.g. http://localhost:8080
//   E2E_ISSUER     the dev provider's issuer, e.g. http://127.0.0.1:4000
//   E2E_CHROMIUM   the browser executable (default /usr/bin/chromium)
//   E2E_ARTIFACTS  where screenshots go (default e2e/artifacts)

import { mkdir } from 'node:fs/promises';
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

export const APP = required('E2E_BASE_URL');
export const ISSUER = required('E2E_ISSUER');
export const APP_ORIGIN = new URL(APP).origin;
export const ISSUER_ORIGIN = new URL(ISSUER).origin;

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.E2E_ARTIFACTS || path.join(here, 'artifacts');

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

/**
 * A fresh context (no cookies, no provider session) and a page in it. Uncaught errors in
 * the app's pages are collected in `errors` (the tests assert there are none).
 */
export async function freshPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(20_000);
  const errors = [];
  page.on('pageerror', (err) => {
    if (new URL(page.url()).origin === APP_ORIGIN) errors.push(err);
  });
  return { context, page, errors };
}

/** Waits until the browser shows a page of the given origin. */
export async function waitForOrigin(page, origin) {
  await page.waitForURL((url) => url.origin === origin);
}

/** Fills the dev provider's sign-in form (the page must be showing it). */
export async function signInAtProvider(page, username, password = username) {
  await waitForOrigin(page, ISSUER_ORIGIN);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#sign-in').click();
  await waitForOrigin(page, APP_ORIGIN);
}

/** Home page → Login → provider → back on the app, signed in. */
export async function signIn(page, username) {
  await page.goto(`${APP}/`);
  await page.locator('#login').click();
  await signInAtProvider(page, username);
  await page.locator('#logout').waitFor();
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
