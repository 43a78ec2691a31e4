// Test helpers: start the provider as a child process and drive it with fetch.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const SERVER_JS = fileURLToPath(new URL('../server.js', import.meta.url));

/** A currently free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * What Linux says each thread of a process is doing (state, CPU ticks, wait channel), to tell
 * a busy process from a blocked one when a start is stuck.
 */
function processState(pid) {
  const read = (path) => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };
  let tasks = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return `pid ${pid}: gone`; }
  return tasks.map((task) => {
    const stat = read(`/proc/${pid}/task/${task}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const wchan = read(`/proc/${pid}/task/${task}/wchan`).trim();
    return `task ${task} state ${fields[0]} utime ${fields[11]} stime ${fields[12]} wchan ${wchan}`;
  }).join('; ');
}

/** Every thread's stack, when gdb is installed (to find out where a stuck start waits). */
function stacks(pid) {
  try {
    return execFileSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 20'], {
      encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    return err.stdout ? String(err.stdout) : '(no gdb)';
  }
}

/**
 * Spawns `node server.js` with the given environment and resolves once it printed its
 * ready line. A start takes well under a second; one that has not reported ready within
 * `timeoutMs` is stuck (seen once in CI, under load, never reproduced in hundreds of starts):
 * it is killed, described on stderr, and tried again, up to `attempts` times.
 */
export function startProvider(env, { timeoutMs = 15000, attempts = 3 } = {}) {
  let attempt = startOnce(env, timeoutMs);
  const ready = (async () => {
    for (let tried = 1; ; tried += 1) {
      try {
        return await attempt.ready;
      } catch (err) {
        if (!err.stuck || tried >= attempts) throw err;
        process.stderr.write(`devidp start attempt ${tried} stuck: ${err.message}\n`);
        attempt = startOnce(env, timeoutMs);
      }
    }
  })();
  return {
    get child() { return attempt.child; },
    ready,
    get stdout() { return attempt.stdout; },
    get stderr() { return attempt.stderr; },
    stop() { return attempt.stop(); },
  };
}

function startOnce(env, timeoutMs) {
  const child = spawn(process.execPath, [SERVER_JS], {
    env: { ...process.env, DEVIDP_EXIT_ON_STDIN_CLOSE: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const state = `${processState(child.pid)}\n${stacks(child.pid)}`;
      child.kill('SIGKILL');
      const err = new Error(`provider not ready after ${timeoutMs}ms (${state})\n${stderr}`);
      err.stuck = true;
      reject(err);
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('DEVIDP_READY '));
      if (line) {
        clearTimeout(timer);
        resolve({ line, ...JSON.parse(line.slice('DEVIDP_READY '.length)) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`provider exited with ${code} before ready\n${stderr}`));
    });
  });

  return {
    child,
    ready,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end(); // DEVIDP_EXIT_ON_STDIN_CLOSE=1
      await exited;
    },
  };
}

/** Runs server.js to completion (for configuration errors). */
export function runProvider(env, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_JS], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { child.kill(); reject(new Error('timed out')); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export function decodeJwtPayload(jwt) {
  const [, payload] = jwt.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

export function decodeJwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

/** A minimal browser: a path-aware cookie jar and manual redirects. */
export class Browser {
  constructor() {
    /** @type {Map<string, {name: string, value: string, path: string, origin: string}>} */
    this.cookies = new Map();
  }

  cookieHeader(url) {
    const { origin, pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => c.origin === origin && (pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  storeCookies(url, response) {
    const { origin } = new URL(url);
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.toLowerCase();
        if (key === 'path') path = v || '/';
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${origin} ${path} ${name}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path, origin });
    }
  }

  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const init = { method, redirect: 'manual', headers: { ...headers } };
    const cookie = this.cookieHeader(url);
    if (cookie) init.headers.cookie = cookie;
    if (form) {
      init.body = new URLSearchParams(form).toString();
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, init);
    this.storeCookies(url, response);
    return response;
  }

  /**
   * Follows redirects (GET) from `response` until one leaves for `stopPrefix` (returned
   * as a URL, not fetched) or a non-redirect response arrives (returned).
   */
  async follow(response, baseUrl, stopPrefix, maxHops = 10) {
    let current = response;
    let currentUrl = baseUrl;
    for (let hop = 0; hop < maxHops; hop += 1) {
      if (current.status < 300 || current.status >= 400) return { response: current, url: currentUrl };
      await current.arrayBuffer();
      const next = new URL(current.headers.get('location'), currentUrl).href;
      if (stopPrefix && next.startsWith(stopPrefix)) return { redirectedTo: new URL(next) };
      currentUrl = next;
      current = await this.request(next);
    }
    throw new Error('too many redirects');
  }
}

/** The `action` of the first form in `html` whose action ends with `suffix`. */
export function formAction(html, suffix) {
  const actions = [...html.matchAll(/<form[^>]*\saction="([^"]+)"/g)].map((m) => m[1].replaceAll('&amp;', '&'));
  const action = actions.find((a) => a.endsWith(suffix));
  if (!action) throw new Error(`no form posting to *${suffix} in:\n${html}`);
  return action;
}

/** The text of the page's <title>, <h1>, and the attributes of the input with `id`. */
export function pageTitle(html) {
  return /<title>([^<]*)<\/title>/.exec(html)?.[1];
}

export function pageHeading(html) {
  return /<h1>([^<]*)<\/h1>/.exec(html)?.[1];
}

/** The opening tag of the element with the given id (undefined if absent). */
export function elementById(html, id) {
  return new RegExp(`<[a-z]+\\b[^>]*\\sid="${id}"[^>]*>`).exec(html)?.[0];
}

/** The (still HTML-escaped) value of an attribute of a tag, or undefined. */
export function attribute(tag, name) {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag ?? '')?.[1];
}

/** The href of the link with the given id. */
export function linkHref(html, id) {
  const href = attribute(elementById(html, id), 'href');
  if (href === undefined) throw new Error(`no link #${id} in:\n${html}`);
  return href.replaceAll('&amp;', '&');
}

/** Calls the test-only admin API (DEVIDP_ENABLE_ADMIN_API=1). */
export async function adminRequest(issuer, method, username, body, { contentType = 'application/json', raw } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined || raw !== undefined) {
    init.body = raw ?? JSON.stringify(body);
    init.headers['content-type'] = contentType;
  }
  const response = await fetch(new URL(`/dev-admin/users/${encodeURIComponent(username)}`, issuer), init);
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: text ? JSON.parse(text) : undefined,
  };
}

/** Receives back-channel logout POSTs the way the BFF would (answers 200). */
export async function startBackchannelReceiver() {
  const calls = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => {
      calls.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    calls,
    port: server.address().port,
    logoutTokens: () => calls.map((c) => decodeJwtPayload(new URLSearchParams(c.body).get('logout_token'))),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The relying party's side of the protocol, as the BFF does it (code flow + PKCE). */
export class RelyingParty {
  constructor({ issuer, clientId, clientSecret, redirectUri }) {
    Object.assign(this, { issuer, clientId, clientSecret, redirectUri });
  }

  authorizeUrl(params) {
    const url = new URL('/auth', this.issuer);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.href;
  }

  /** Starts an authorization request; returns its PKCE verifier, state, nonce and first response. */
  async startAuthorization(browser, { scope = 'openid profile email offline_access', ...extra } = {}) {
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(12).toString('base64url');
    const nonce = randomBytes(12).toString('base64url');
    const url = this.authorizeUrl({
      client_id: this.clientId,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope,
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    const response = await browser.request(url);
    return { verifier, state, nonce, response, url };
  }

  /** Follows an authorization request to the sign-in page; returns its URL and HTML. */
  async openLoginPage(browser, start) {
    const { response, url } = await browser.follow(start.response, start.url, this.redirectUri);
    assert.equal(response?.status, 200, 'sign-in page expected');
    assert.match(url, /\/interaction\/[\w-]+$/);
    return { url, html: await response.text() };
  }

  /** Follows an authorization request to the sign-up page (screen_hint=signup). */
  async openSignupPage(browser, start) {
    const page = await this.openLoginPage(browser, start);
    assert.equal(pageHeading(page.html), 'Create your account', 'sign-up page expected');
    return page;
  }

  /** Opens a page of the interaction by a link (href) on `page`. */
  async openLink(browser, page, linkId) {
    const url = new URL(linkHref(page.html, linkId), page.url).href;
    const response = await browser.request(url);
    assert.equal(response.status, 200, `GET ${url}`);
    return { url, html: await response.text() };
  }

  /** Submits the sign-up form of `page` ({username, name, email, password}). */
  async submitSignup(browser, page, fields) {
    const action = new URL(formAction(page.html, '/signup'), page.url).href;
    const response = await browser.request(action, { method: 'POST', form: fields });
    return { response, action };
  }

  /** Signs up through screen_hint=signup; returns the authorization request and `callback`. */
  async signUp(browser, { fields, ...params }) {
    const start = await this.startAuthorization(browser, { screen_hint: 'signup', ...params });
    const page = await this.openSignupPage(browser, start);
    const { response, action } = await this.submitSignup(browser, page, fields);
    assert.equal(response.status, 303, `sign-up should redirect, got ${response.status}`);
    const { redirectedTo } = await browser.follow(response, action, this.redirectUri);
    assert.ok(redirectedTo, 'expected a redirect to the redirect_uri');
    return { ...start, callback: redirectedTo };
  }

  async submitLogin(browser, page, username, password) {
    const action = new URL(formAction(page.html, '/login'), page.url).href;
    const response = await browser.request(action, { method: 'POST', form: { username, password } });
    return { response, action };
  }

  /** Signs in; returns the authorization request's details and `callback`, the redirect URI reached. */
  async signIn(browser, { username = 'alice', password = username, ...params } = {}) {
    const start = await this.startAuthorization(browser, params);
    const page = await this.openLoginPage(browser, start);
    const { response, action } = await this.submitLogin(browser, page, username, password);
    assert.equal(response.status, 303, `login should redirect, got ${response.status}`);
    const { redirectedTo } = await browser.follow(response, action, this.redirectUri);
    assert.ok(redirectedTo, 'expected a redirect to the redirect_uri');
    return { ...start, callback: redirectedTo };
  }

  /** POSTs to an endpoint with client authentication (`basic` or `post`). */
  async clientRequest(path, form, { auth = 'basic' } = {}) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams(form);
    if (auth === 'basic') {
      const credentials = `${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    } else {
      body.set('client_id', this.clientId);
      body.set('client_secret', this.clientSecret);
    }
    const response = await fetch(new URL(path, this.issuer), { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  tokenRequest(form, options) {
    return this.clientRequest('/token', form, options);
  }

  exchangeCode(flow, options) {
    const code = flow.callback.searchParams.get('code');
    assert.ok(code, `no code in ${flow.callback}`);
    return this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      code_verifier: flow.verifier,
    }, options);
  }

  /** RP-initiated logout, confirming on the provider's page; returns the final response. */
  async logout(browser, { idToken, postLogoutRedirectUri, state }) {
    const endSession = new URL('/session/end', this.issuer);
    endSession.searchParams.set('id_token_hint', idToken);
    if (postLogoutRedirectUri) endSession.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
    if (state) endSession.searchParams.set('state', state);
    const page = await browser.request(endSession.href);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<button[^>]*name="logout"/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)[1];
    const confirm = new URL(formAction(html, '/confirm'), endSession).href;
    return browser.request(confirm, { method: 'POST', form: { xsrf, logout: 'yes' } });
  }
}
