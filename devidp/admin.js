// Test-only admin API of the dev identity provider, enabled by DEVIDP_ENABLE_ADMIN_API=1
// (off by default). It has no authentication at all: anyone who reaches the port can
// change users' roles and permissions, so it exists for automated tests only.
//
//   GET /dev-admin/users/:username   -> 200 {"username","sub","roles","permissions"}
//   PUT /dev-admin/users/:username   {"roles": [...], "permissions": [...]} (each optional)
//                                    -> 200 with the user's new values
//
// Errors are JSON {"error", "error_description"}: 404 for an unknown user or path (and for
// the whole /dev-admin/ prefix while the API is disabled), 400 for a bad body, 405, 413,
// 415. PUT requires `Content-Type: application/json`, which an HTML form cannot send
// cross-site without a CORS preflight (the API answers no CORS).
//
// A change applies to tokens issued afterwards (ID token `roles`, API access token
// `permissions`, e.g. at the next refresh_token grant); tokens already issued keep their
// claims.

import { LIMITS, accessListError, findUserByUsername, setUserAccess } from './users.js';

export const ADMIN_PREFIX = '/dev-admin';
const MAX_BODY_BYTES = 16 * 1024;
const USER_PATH = /^\/dev-admin\/users\/([^/]+)$/;
const ALLOWED_KEYS = new Set(['roles', 'permissions']);

class AdminError extends Error {
  constructor(status, error, description, headers = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

function sendJson(res, status, body, headers = {}) {
  const buffer = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': buffer.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : buffer);
}

/** Whether a request path belongs to the admin API's prefix. */
export function isAdminPath(pathname) {
  return pathname === ADMIN_PREFIX || pathname.startsWith(`${ADMIN_PREFIX}/`);
}

async function readJsonBody(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AdminError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    throw new AdminError(413, 'payload_too_large', `the body is limited to ${MAX_BODY_BYTES} bytes`);
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new AdminError(413, 'payload_too_large', `the body is limited to ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses and validates a PUT body; returns `{ roles?, permissions? }`. */
export function parseAccessUpdate(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AdminError(400, 'invalid_request', 'the body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AdminError(400, 'invalid_request', 'the body must be a JSON object such as {"roles": [], "permissions": ["read:messages"]}');
  }
  const unknown = Object.keys(body).filter((key) => !ALLOWED_KEYS.has(key));
  if (unknown.length) {
    throw new AdminError(400, 'invalid_request', `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; only "roles" and "permissions" may be set`);
  }
  const update = {};
  for (const field of ALLOWED_KEYS) {
    if (body[field] === undefined) continue;
    const problem = accessListError(field, body[field]);
    if (problem) throw new AdminError(400, 'invalid_request', problem);
    update[field] = body[field];
  }
  return update;
}

function describe(user) {
  return {
    username: user.username,
    sub: user.sub,
    roles: [...user.roles],
    permissions: [...user.permissions],
  };
}

/**
 * Answers a request whose path is under the admin prefix (see isAdminPath).
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {{enabled: boolean, pathname: string, log: (message: string) => void}} options
 */
export async function handleAdminRequest(req, res, { enabled, pathname, log }) {
  try {
    if (!enabled) {
      throw new AdminError(404, 'not_found', 'the admin API is disabled (set DEVIDP_ENABLE_ADMIN_API=1 to enable it, in tests only)');
    }
    const match = USER_PATH.exec(pathname);
    let username;
    try {
      username = match ? decodeURIComponent(match[1]) : undefined;
    } catch {
      username = undefined;
    }
    if (username === undefined) {
      throw new AdminError(404, 'not_found', 'unknown admin API path; use /dev-admin/users/:username');
    }

    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== 'GET' && method !== 'PUT') {
      throw new AdminError(405, 'method_not_allowed', 'use GET or PUT', { Allow: 'GET, HEAD, PUT' });
    }
    const text = method === 'PUT' ? await readJsonBody(req) : undefined;

    const user = findUserByUsername(username);
    if (!user || user.username !== username.toLowerCase()) {
      throw new AdminError(404, 'not_found', `no user named ${JSON.stringify(username.slice(0, LIMITS.usernameMax + 1))}`);
    }
    if (method === 'GET') return sendJson(res, 200, describe(user));

    const update = parseAccessUpdate(text);
    setUserAccess(user.username, update);
    log(`admin API: ${user.username} now has roles ${JSON.stringify(user.roles)} and permissions ${JSON.stringify(user.permissions)}`);
    return sendJson(res, 200, describe(user));
  } catch (err) {
    if (!(err instanceof AdminError)) throw err;
    return sendJson(res, err.status, { error: err.error, error_description: err.message }, err.headers);
  }
}
