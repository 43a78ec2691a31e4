// Configuration of the development OpenID provider, read only from environment variables.
//
// Every variable is optional; `loadConfig` validates them all and throws a ConfigError
// naming the offending variable, so that start-up fails with one clear line.

export class ConfigError extends Error {
  constructor(variable, message) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export const DEFAULTS = Object.freeze({
  DEVIDP_PORT: '4000',
  DEVIDP_HOST: '127.0.0.1',
  DEVIDP_CLIENT_ID: 'bff-dev',
  // A development-only value, published in the README on purpose.
  DEVIDP_CLIENT_SECRET: 'dev-client-secret-change-me',
  DEVIDP_REDIRECT_URIS: 'http://localhost:8080/api/auth/callback',
  DEVIDP_POST_LOGOUT_REDIRECT_URIS: 'http://localhost:8080/',
  DEVIDP_BACKCHANNEL_LOGOUT_URI: 'http://localhost:8080/api/auth/backchannel-logout',
  DEVIDP_API_AUDIENCE: 'http://localhost:8080/api',
});

function read(env, name) {
  const value = env[name];
  return value === undefined ? DEFAULTS[name] : value;
}

function parsePort(env) {
  const raw = read(env, 'DEVIDP_PORT').trim();
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError('DEVIDP_PORT', `expected a TCP port number between 0 and 65535, got "${raw}"`);
  }
  return Number(raw);
}

function parseFlag(env, name) {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(name, `expected "1" or "0" (or unset), got "${raw}"`);
}

function parseNonEmpty(env, name) {
  const value = read(env, name);
  if (value.trim() === '' || value !== value.trim()) {
    throw new ConfigError(name, 'must be a non-empty value without surrounding whitespace');
  }
  return value;
}

// An absolute http(s) URL without a fragment, returned exactly as given.
function parseHttpUrl(name, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `"${value}" must use http or https`);
  }
  if (url.hash || value.includes('#')) {
    throw new ConfigError(name, `"${value}" must not contain a fragment`);
  }
  return value;
}

function parseUrlList(env, name) {
  const items = read(env, name).split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) {
    throw new ConfigError(name, 'must list at least one URL (comma-separated)');
  }
  return items.map((item) => parseHttpUrl(name, item));
}

// The issuer identifier is used byte for byte; only a bare origin (optionally with a
// trailing "/", as Auth0 issuers have) is supported because the provider is not mounted
// under a path prefix.
export function parseIssuer(value, name = 'DEVIDP_ISSUER') {
  parseHttpUrl(name, value);
  const url = new URL(value);
  if (url.pathname !== '/' || url.search || url.username || url.password) {
    throw new ConfigError(name, `"${value}" must be a bare origin such as http://127.0.0.1:4000 (no path, query or credentials)`);
  }
  return value;
}

// DEVIDP_PUSHED_AUTHORIZATION_REQUESTS: off (default), on (advertised, optional) or
// required (every authorization request must be pushed, RFC 9126).
function parsePar(env) {
  const raw = env.DEVIDP_PUSHED_AUTHORIZATION_REQUESTS;
  if (raw === undefined || raw === '' || raw === 'off') return { enabled: false, required: false };
  if (raw === 'on') return { enabled: true, required: false };
  if (raw === 'required') return { enabled: true, required: true };
  throw new ConfigError('DEVIDP_PUSHED_AUTHORIZATION_REQUESTS', `expected off, on or required, got "${raw}"`);
}

// DEVIDP_JWT_CLIENT_JWKS: the public JWKS of a second client that authenticates with
// private_key_jwt (RFC 7523). Public keys only: the test that starts the provider keeps the
// private key (generated at its start).
function parseJwks(env) {
  const raw = env.DEVIDP_JWT_CLIENT_JWKS;
  if (raw === undefined || raw === '') return undefined;
  let jwks;
  try {
    jwks = JSON.parse(raw);
  } catch {
    throw new ConfigError('DEVIDP_JWT_CLIENT_JWKS', 'is not JSON');
  }
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new ConfigError('DEVIDP_JWT_CLIENT_JWKS', 'must be a JWKS: {"keys": [...]} with at least one key');
  }
  for (const key of jwks.keys) {
    if (!key || typeof key !== 'object' || typeof key.kty !== 'string') {
      throw new ConfigError('DEVIDP_JWT_CLIENT_JWKS', 'every key must be a JWK object with "kty"');
    }
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in key)) {
      throw new ConfigError('DEVIDP_JWT_CLIENT_JWKS', 'must hold public keys only (no private or symmetric members)');
    }
  }
  return jwks;
}

/**
 * @param {Record<string, string | undefined>} env usually process.env
 */
export function loadConfig(env = process.env) {
  const port = parsePort(env);
  const host = parseNonEmpty(env, 'DEVIDP_HOST');
  // With DEVIDP_PORT=0 the OS picks a free port; the default issuer is then derived from
  // the port actually bound (see server.js), so it is left undefined here.
  const issuer = env.DEVIDP_ISSUER !== undefined
    ? parseIssuer(env.DEVIDP_ISSUER)
    : (port === 0 ? undefined : `http://127.0.0.1:${port}`);

  const apiAudienceRaw = read(env, 'DEVIDP_API_AUDIENCE').trim();
  const apiAudience = apiAudienceRaw === ''
    ? undefined // an empty value disables the API resource
    : parseHttpUrl('DEVIDP_API_AUDIENCE', apiAudienceRaw);

  return {
    port,
    host,
    issuer,
    client: {
      clientId: parseNonEmpty(env, 'DEVIDP_CLIENT_ID'),
      clientSecret: parseNonEmpty(env, 'DEVIDP_CLIENT_SECRET'),
      redirectUris: parseUrlList(env, 'DEVIDP_REDIRECT_URIS'),
      postLogoutRedirectUris: parseUrlList(env, 'DEVIDP_POST_LOGOUT_REDIRECT_URIS'),
      backchannelLogoutUri: parseHttpUrl(
        'DEVIDP_BACKCHANNEL_LOGOUT_URI',
        parseNonEmpty(env, 'DEVIDP_BACKCHANNEL_LOGOUT_URI'),
      ),
    },
    // A second client, authenticating with private_key_jwt, when its public keys are given.
    jwtClient: (() => {
      const jwks = parseJwks(env);
      if (!jwks) return undefined;
      return {
        clientId: env.DEVIDP_JWT_CLIENT_ID === undefined
          ? 'bff-dev-jwt' : parseNonEmpty(env, 'DEVIDP_JWT_CLIENT_ID'),
        jwks,
      };
    })(),
    pushedAuthorizationRequests: parsePar(env),
    apiAudience,
    exitOnStdinClose: parseFlag(env, 'DEVIDP_EXIT_ON_STDIN_CLOSE'),
    allowLoopbackBackchannel: parseFlag(env, 'DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL'),
    // DEVIDP_ENABLE_ADMIN_API=1 turns on the test-only admin API (admin.js:
    // PUT /dev-admin/users/:username changes a user's roles and permissions, without any
    // authentication). Off by default; for automated tests only.
    enableAdminApi: parseFlag(env, 'DEVIDP_ENABLE_ADMIN_API'),
  };
}
