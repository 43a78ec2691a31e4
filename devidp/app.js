// HTTP front of the dev identity provider: its own routes (sign-in and sign-up
// interaction, avatars, stylesheet, health, the test-only admin API) in front of
// oidc-provider's request handler.

import { errors } from 'oidc-provider';

import { handleAdminRequest, isAdminPath } from './admin.js';
import {
  SEED_USERS, SignupError, findUserByUsername, pictureUrl, registerUser, verifyCredentials,
} from './users.js';
import {
  PAGE_CSP, STYLESHEET, STYLESHEET_PATH, SVG_CSP, avatarSvg, loginPage, messagePage, signupPage,
} from './views.js';

const MAX_FORM_BYTES = 16 * 1024;
/** Characters of `login_hint` used to prefill a form. */
export const LOGIN_HINT_MAX = 64;
export const INVALID_CREDENTIALS = 'Invalid username or password';
export const CANCELLED_DESCRIPTION = 'The user cancelled the sign-in';

class HttpError extends Error {
  constructor(status, title, message) {
    super(message);
    this.status = status;
    this.title = title;
  }
}

function send(res, status, headers, body) {
  const buffer = Buffer.from(body ?? '', 'utf8');
  res.writeHead(status, { ...headers, 'Content-Length': buffer.length });
  res.end(res.req.method === 'HEAD' ? undefined : buffer);
}

function sendPage(res, status, html) {
  send(res, status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': PAGE_CSP,
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  }, html);
}

// oidc-provider's own limit for request bodies.
const MAX_PUSHED_BYTES = 56 * 1024;

async function readForm(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'Unsupported request', 'Expected a submitted HTML form.');
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new HttpError(413, 'Request too large', 'The submitted form is too large.');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * oidc-provider drops `offline_access` from an authorization request unless it carries
 * prompt=consent. This provider never shows a consent screen (consent is granted
 * automatically), so a request for `offline_access` gets `consent` added to its prompt;
 * prompt=none is left alone (offline access then stays unavailable, as OIDC requires).
 * @returns {string} the possibly rewritten request URL
 */
export function withOfflineAccessConsent(requestUrl) {
  const url = new URL(requestUrl, 'http://devidp.invalid');
  const scopes = (url.searchParams.get('scope') ?? '').split(' ');
  if (!scopes.includes('offline_access') || url.searchParams.getAll('prompt').length > 1) {
    return requestUrl;
  }
  const prompts = (url.searchParams.get('prompt') ?? '').split(' ').filter(Boolean);
  if (prompts.includes('consent') || prompts.includes('none')) return requestUrl;
  url.searchParams.set('prompt', [...prompts, 'consent'].join(' '));
  return `${url.pathname}${url.search}`;
}

/**
 * The same for a pushed authorization request's form body (RFC 9126): the pushed parameters
 * are what the authorization endpoint will use.
 * @returns {string} the possibly rewritten form body
 */
export function withOfflineAccessConsentForm(body) {
  const rewritten = withOfflineAccessConsent(`/?${body}`);
  return rewritten.startsWith('/?') ? rewritten.slice(2) : body;
}

/** The raw body of a pushed authorization request, bounded as oidc-provider bounds it. */
async function readPushedBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_PUSHED_BYTES) {
      throw new HttpError(413, 'Request too large', 'The pushed authorization request is too large.');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The authorization request's `login_hint`, bounded to LOGIN_HINT_MAX characters. */
export function loginHint(params) {
  const hint = params?.login_hint;
  return typeof hint === 'string' ? [...hint.trim()].slice(0, LOGIN_HINT_MAX).join('') : '';
}

/** Whether the authorization request asked for the sign-up form (Auth0's screen_hint). */
export function wantsSignup(params) {
  return params?.screen_hint === 'signup';
}

/**
 * @param {object} options
 * @param {import('oidc-provider').default} options.provider
 * @param {string} options.issuer
 * @param {(message: string) => void} options.log
 * @param {boolean} [options.enableAdminApi] serve the test-only admin API (admin.js)
 */
export function createRequestHandler({
  provider, issuer, log, enableAdminApi = false,
}) {
  const providerCallback = provider.callback();
  const authorizationPath = provider.pathFor('authorization');
  // Only when DEVIDP_PUSHED_AUTHORIZATION_REQUESTS turns the endpoint on.
  const pushedPath = (() => {
    try {
      return provider.pathFor('pushed_authorization_request');
    } catch {
      return undefined;
    }
  })();
  const issuerHost = new URL(issuer).host;

  // The seed users listed on the sign-in page, with their current roles.
  function hintUsers() {
    return SEED_USERS.map((seed) => {
      const user = findUserByUsername(seed.username) ?? seed;
      return {
        username: seed.username,
        password: seed.password,
        name: user.name,
        roles: user.roles,
        picture: pictureUrl(issuer, user),
      };
    });
  }

  function interactionUrls(interaction) {
    const base = `/interaction/${encodeURIComponent(interaction.uid)}`;
    return {
      login: `${base}/login`,
      signup: `${base}/signup`,
      abort: `${base}/abort`,
    };
  }

  async function interactionFor(req, res, uid) {
    let interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) interaction = undefined;
      else throw err;
    }
    if (!interaction || interaction.uid !== uid) {
      throw new HttpError(
        400,
        'Sign-in request expired',
        'This sign-in request has expired or was already completed. Go back to the application and sign in again.',
      );
    }
    return interaction;
  }

  async function renderLogin(res, interaction, { status = 200, username, error } = {}) {
    const client = await provider.Client.find(interaction.params.client_id);
    const urls = interactionUrls(interaction);
    sendPage(res, status, loginPage({
      action: urls.login,
      abortAction: urls.abort,
      signupHref: urls.signup,
      clientName: client?.clientName,
      username: username ?? loginHint(interaction.params),
      error,
      users: hintUsers(),
    }));
  }

  async function renderSignup(res, interaction, { status = 200, values, errors: fieldErrors } = {}) {
    const client = await provider.Client.find(interaction.params.client_id);
    const urls = interactionUrls(interaction);
    let prefill = values;
    if (!prefill) {
      // As on Auth0's sign-up screen, login_hint prefills the email (or the username).
      const hint = loginHint(interaction.params);
      prefill = hint.includes('@') ? { email: hint } : { username: hint };
    }
    sendPage(res, status, signupPage({
      action: urls.signup,
      abortAction: urls.abort,
      signinHref: urls.login,
      clientName: client?.clientName,
      values: prefill,
      errors: fieldErrors,
    }));
  }

  /**
   * Shows the interaction's page. `screen` is "login" or "signup" when the user chose a
   * form (the links between the two); otherwise `screen_hint=signup` picks sign-up.
   */
  async function showInteraction(req, res, uid, screen) {
    const interaction = await interactionFor(req, res, uid);
    switch (interaction.prompt.name) {
      case 'login': {
        const signup = screen ? screen === 'signup' : wantsSignup(interaction.params);
        return signup ? renderSignup(res, interaction) : renderLogin(res, interaction);
      }
      case 'consent':
        // First-party client: consent is implied. The grant itself is assembled by the
        // provider's loadExistingGrant when the authorization resumes.
        return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
      default:
        throw new HttpError(400, 'Unsupported request', `Unsupported interaction prompt "${interaction.prompt.name}".`);
    }
  }

  async function submitLogin(req, res, uid) {
    const interaction = await interactionFor(req, res, uid);
    if (interaction.prompt.name !== 'login') {
      throw new HttpError(400, 'Unsupported request', 'This sign-in request does not expect a login.');
    }
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = verifyCredentials(username, form.get('password'));
    if (!user) {
      log(`login failed for username ${JSON.stringify(username.slice(0, 64))}`);
      return renderLogin(res, interaction, { username, error: INVALID_CREDENTIALS });
    }
    log(`login: ${user.username} (${user.sub})`);
    return finishLogin(req, res, user);
  }

  function finishLogin(req, res, user) {
    return provider.interactionFinished(req, res, {
      login: { accountId: user.sub, amr: ['pwd'] },
      consent: {},
    }, { mergeWithLastSubmission: false });
  }

  async function submitSignup(req, res, uid) {
    const interaction = await interactionFor(req, res, uid);
    if (interaction.prompt.name !== 'login') {
      throw new HttpError(400, 'Unsupported request', 'This sign-in request does not expect a sign-up.');
    }
    const form = await readForm(req);
    const input = {
      username: form.get('username') ?? '',
      name: form.get('name') ?? '',
      email: form.get('email') ?? '',
      password: form.get('password') ?? '',
    };
    let user;
    try {
      user = registerUser(input);
    } catch (err) {
      if (!(err instanceof SignupError)) throw err;
      log(`sign-up refused for username ${JSON.stringify(input.username.slice(0, 64))}: ${Object.keys(err.errors).join(', ')}`);
      // Re-render with what was typed (bounded; the password is never echoed).
      const bounded = (value) => [...value].slice(0, 256).join('');
      return renderSignup(res, interaction, {
        values: { username: bounded(input.username), name: bounded(input.name), email: bounded(input.email) },
        errors: err.errors,
      });
    }
    log(`sign-up: ${user.username} (${user.sub})`);
    return finishLogin(req, res, user);
  }

  async function abortInteraction(req, res, uid) {
    await interactionFor(req, res, uid);
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: CANCELLED_DESCRIPTION,
    }, { mergeWithLastSubmission: false });
  }

  function serveAvatar(res, name) {
    const user = findUserByUsername(name);
    if (!user) throw new HttpError(404, 'Not found', 'No such avatar.');
    send(res, 200, {
      'Content-Type': 'image/svg+xml',
      'Content-Security-Policy': SVG_CSP,
      'Cache-Control': 'public, max-age=3600',
      'X-Content-Type-Options': 'nosniff',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    }, avatarSvg(user));
  }

  function serveHome(res) {
    sendPage(res, 200, messagePage({
      title: 'Dev Identity Provider',
      message: 'An OpenID provider for local development and tests. Applications start sign-in here; there is nothing to do on this page.',
      details: {
        Issuer: issuer,
        Discovery: new URL('/.well-known/openid-configuration', issuer).href,
        'Dev users': SEED_USERS.map((u) => `${u.username} / ${u.password}`).join(', '),
      },
    }));
  }

  async function route(req, res) {
    // oidc-provider builds absolute URLs (discovery endpoints, redirects back to the
    // authorization endpoint) from the request's Host. Anchor them all to the issuer, as
    // a hosted provider would, whichever address the request reached us on.
    req.headers.host = issuerHost;
    const { pathname } = new URL(req.url, 'http://devidp.invalid');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    let match;

    if (method === 'GET' && pathname === STYLESHEET_PATH) {
      return send(res, 200, {
        'Content-Type': 'text/css; charset=utf-8',
        'Cache-Control': 'public, max-age=300',
        'X-Content-Type-Options': 'nosniff',
      }, STYLESHEET);
    }
    if (method === 'GET' && (match = /^\/avatars\/([a-z0-9_-]+)\.svg$/.exec(pathname))) {
      return serveAvatar(res, match[1]);
    }
    if (method === 'GET' && pathname === '/healthz') {
      return send(res, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, '{"status":"ok"}');
    }
    if (method === 'GET' && pathname === '/') {
      return serveHome(res);
    }
    if ((match = /^\/interaction\/([\w-]+)(?:\/(login|signup|abort))?$/.exec(pathname))) {
      const [, uid, action] = match;
      if (method === 'GET' && action !== 'abort') return showInteraction(req, res, uid, action);
      if (action === 'login' && method === 'POST') return submitLogin(req, res, uid);
      if (action === 'signup' && method === 'POST') return submitSignup(req, res, uid);
      if (action === 'abort' && method === 'POST') return abortInteraction(req, res, uid);
      throw new HttpError(405, 'Method not allowed', 'This address does not accept that request method.');
    }
    if (isAdminPath(pathname)) {
      return handleAdminRequest(req, res, { enabled: enableAdminApi, pathname, log });
    }

    if (method === 'GET' && pathname === authorizationPath) {
      req.url = withOfflineAccessConsent(req.url);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (pushedPath && method === 'POST' && pathname === pushedPath && type === 'application/x-www-form-urlencoded') {
      // oidc-provider reads an already-read body from req.body.
      req.body = withOfflineAccessConsentForm(await readPushedBody(req));
    }
    return providerCallback(req, res);
  }

  return async function handleRequest(req, res) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const path = req.url.split('?')[0];
      log(`${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    try {
      await route(req, res);
    } catch (err) {
      if (!(err instanceof HttpError)) {
        log(`unexpected error on ${req.method} ${req.url.split('?')[0]}: ${err?.stack ?? err}`);
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = err instanceof HttpError ? err.status : 500;
      const title = err instanceof HttpError ? err.title : 'Something went wrong';
      const message = err instanceof HttpError ? err.message : 'An unexpected error occurred; see the provider log.';
      sendPage(res, status, messagePage({ title, message }));
    }
  };
}
