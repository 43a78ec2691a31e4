// Users of the dev identity provider. The three seed users' passwords are intentionally
// public: this provider exists for local development and automated tests only.
//
// SEED_USERS holds the seed users' initial values and never changes. The users the
// provider actually signs in live in a mutable in-memory registry: it starts with a copy
// of the seed users, gains the users created through the sign-up form, and the test-only
// admin API (admin.js) replaces users' roles and permissions in it. The `roles` claim of
// ID tokens and the `permissions` claim of API access tokens are read from the registry
// whenever a token is issued, so a change shows in the next token (e.g. after a refresh).
// Nothing is persisted: the registry lives until the process exits.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * @typedef {object} SeedUser
 * @property {string} username     login name (also the nickname claim)
 * @property {string} password     plain-text dev password (public on purpose)
 * @property {string} sub          stable subject identifier
 * @property {string} name
 * @property {string} email
 * @property {boolean} emailVerified
 * @property {readonly string[]} roles       initial `roles` claim of the ID token (scope `profile`)
 * @property {readonly string[]} permissions initial `permissions` claim of API access tokens
 * @property {string} color         avatar background colour
 * @property {number} updatedAt     `updated_at` claim (seconds since the epoch)
 */

/**
 * @typedef {object} DevUser  a registry record (sealed; roles/permissions are frozen
 *   arrays, replaced as a whole by setUserAccess)
 * @property {string} username
 * @property {string} sub
 * @property {string} name
 * @property {string} email
 * @property {boolean} emailVerified
 * @property {readonly string[]} roles
 * @property {readonly string[]} permissions
 * @property {string} color
 * @property {number} updatedAt
 * @property {'seed' | 'signup'} origin
 * @property {Buffer} passwordSalt
 * @property {Buffer} passwordDigest  SHA-256 of salt and password (no plain text kept)
 */

function deepFreeze(user) {
  return Object.freeze({
    ...user,
    roles: Object.freeze([...user.roles]),
    permissions: Object.freeze([...user.permissions]),
  });
}

/** The seed users' initial values (deep-frozen constants). @type {readonly SeedUser[]} */
export const SEED_USERS = Object.freeze([
  {
    username: 'alice',
    password: 'alice',
    sub: 'user-alice',
    name: 'Alice Admin',
    email: 'alice@example.com',
    emailVerified: true,
    roles: ['admin'],
    permissions: ['read:messages', 'write:messages', 'admin:sessions'],
    color: '#6d28d9',
    updatedAt: 1735689600, // 2025-01-01T00:00:00Z
  },
  {
    username: 'bob',
    password: 'bob',
    sub: 'user-bob',
    name: 'Bob Builder',
    email: 'bob@example.com',
    emailVerified: true,
    roles: [],
    permissions: ['read:messages'],
    color: '#0f766e',
    updatedAt: 1735689600,
  },
  {
    username: 'carol',
    password: 'carol',
    sub: 'user-carol',
    name: 'Carol Émilie',
    email: 'carol@example.com',
    emailVerified: false,
    roles: ['editor'],
    permissions: ['read:messages', 'write:messages'],
    color: '#c2410c',
    updatedAt: 1735689600,
  },
].map(deepFreeze));

/** What a user created by the sign-up form gets. */
export const SIGNUP_ROLES = Object.freeze([]);
export const SIGNUP_PERMISSIONS = Object.freeze(['read:messages']);

/** Limits of the sign-up form and of the admin API. */
export const LIMITS = Object.freeze({
  usernameMin: 3,
  usernameMax: 32,
  nameMax: 64,
  emailMax: 254,
  passwordMin: 8,
  passwordMax: 1024,
  /** Users the sign-up form may create per process. */
  signupUsers: 10_000,
  /** Entries of a roles or permissions list (admin API). */
  accessEntries: 64,
  /** Characters of one role or permission name (admin API). */
  accessEntryLength: 128,
});

const AVATAR_COLORS = Object.freeze([
  '#1d4ed8', '#047857', '#b45309', '#be123c', '#7c3aed', '#0e7490', '#4d7c0f', '#a21caf',
]);

/** @type {Map<string, DevUser>} by username (always lower case) */
const byUsername = new Map();
/** @type {Map<string, DevUser>} by sub */
const bySub = new Map();

function passwordDigest(salt, password) {
  return createHash('sha256').update(salt).update(String(password ?? ''), 'utf8').digest();
}

function addRecord({ password, ...fields }, origin) {
  const salt = randomBytes(16);
  const record = Object.seal({
    username: fields.username,
    sub: fields.sub,
    name: fields.name,
    email: fields.email,
    emailVerified: fields.emailVerified,
    roles: Object.freeze([...fields.roles]),
    permissions: Object.freeze([...fields.permissions]),
    color: fields.color,
    updatedAt: fields.updatedAt,
    origin,
    passwordSalt: salt,
    passwordDigest: passwordDigest(salt, password),
  });
  byUsername.set(record.username, record);
  bySub.set(record.sub, record);
  return record;
}

for (const seed of SEED_USERS) addRecord(seed, 'seed');

function normalizeUsername(username) {
  return String(username ?? '').trim().toLowerCase();
}

/** @returns {DevUser | undefined} (case-insensitive, surrounding spaces ignored) */
export function findUserByUsername(username) {
  return byUsername.get(normalizeUsername(username));
}

/** @returns {DevUser | undefined} */
export function findUserBySub(sub) {
  return bySub.get(String(sub));
}

/** Every user in the registry, seed users first, then sign-ups in creation order. */
export function listUsers() {
  return [...byUsername.values()];
}

/** Every permission any user currently holds: the scopes the API resource knows about. */
export function allPermissions() {
  return [...new Set(listUsers().flatMap((user) => user.permissions))];
}

const DUMMY_SALT = randomBytes(16);
const DUMMY_DIGEST = passwordDigest(DUMMY_SALT, '\0no-such-user');

/**
 * Checks a username/password pair; returns the user or undefined. The username is
 * matched case-insensitively after trimming, the password exactly (in constant time).
 * @returns {DevUser | undefined}
 */
export function verifyCredentials(username, password) {
  const user = findUserByUsername(username);
  // Hash against a dummy record when the user is unknown so both paths do the same work.
  const expected = user ? user.passwordDigest : DUMMY_DIGEST;
  const actual = passwordDigest(user ? user.passwordSalt : DUMMY_SALT, password);
  const matches = timingSafeEqual(expected, actual);
  return user && matches ? user : undefined;
}

// ---------------------------------------------------------------------------------------
// Sign-up

const USERNAME_RE = /^[a-z0-9_-]+$/;
// No control, format, private-use, surrogate or unassigned code points.
const PRINTABLE_RE = /^[^\p{C}]+$/u;
// A plausible address: a dot-atom local part, a domain of at least two labels.
const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export const SIGNUP_MESSAGES = Object.freeze({
  username: `Choose a username of ${LIMITS.usernameMin} to ${LIMITS.usernameMax} characters: lowercase letters, digits, "_" or "-".`,
  usernameTaken: 'That username is already taken. Choose another one, or sign in instead.',
  name: `Enter your name (1 to ${LIMITS.nameMax} printable characters).`,
  email: 'Enter a valid email address, such as dana@example.com.',
  passwordShort: `Choose a password of at least ${LIMITS.passwordMin} characters.`,
  passwordLong: `Passwords are limited to ${LIMITS.passwordMax} characters.`,
  full: 'No more accounts can be created on this provider; restart it.',
});

function codePoints(value) {
  return [...value].length;
}

/**
 * Validates a sign-up form. Returns the normalised `values` (username lower-cased, name
 * and email trimmed; never the password) and `errors` by field name (empty when valid).
 * @param {{username?: unknown, name?: unknown, email?: unknown, password?: unknown}} input
 */
export function validateSignup(input) {
  const username = normalizeUsername(input.username);
  const name = String(input.name ?? '').trim();
  const email = String(input.email ?? '').trim();
  const password = String(input.password ?? '');
  /** @type {Record<string, string>} */
  const errors = {};

  if (username.length < LIMITS.usernameMin || username.length > LIMITS.usernameMax
    || !USERNAME_RE.test(username)) {
    errors.username = SIGNUP_MESSAGES.username;
  } else if (byUsername.has(username)) {
    errors.username = SIGNUP_MESSAGES.usernameTaken;
  }
  if (name === '' || codePoints(name) > LIMITS.nameMax || !PRINTABLE_RE.test(name)) {
    errors.name = SIGNUP_MESSAGES.name;
  }
  if (email.length > LIMITS.emailMax || !EMAIL_RE.test(email)) {
    errors.email = SIGNUP_MESSAGES.email;
  }
  if (codePoints(password) < LIMITS.passwordMin) {
    errors.password = SIGNUP_MESSAGES.passwordShort;
  } else if (codePoints(password) > LIMITS.passwordMax) {
    errors.password = SIGNUP_MESSAGES.passwordLong;
  }
  return { values: { username, name, email }, errors };
}

export class SignupError extends Error {
  /** @param {Record<string, string>} errors by field */
  constructor(errors) {
    super(Object.values(errors).join(' '));
    this.name = 'SignupError';
    this.errors = errors;
  }
}

function avatarColor(username) {
  return AVATAR_COLORS[createHash('sha256').update(username).digest()[0] % AVATAR_COLORS.length];
}

/**
 * Creates a user from the sign-up form (validated as in validateSignup) with no roles and
 * the `read:messages` permission; its email is not verified. Throws a SignupError.
 * @returns {DevUser}
 */
export function registerUser(input, { now = Date.now() } = {}) {
  const { values, errors } = validateSignup(input);
  if (Object.keys(errors).length) throw new SignupError(errors);
  if (byUsername.size - SEED_USERS.length >= LIMITS.signupUsers) {
    throw new SignupError({ form: SIGNUP_MESSAGES.full });
  }
  let sub = `user-${values.username}`;
  // Usernames are unique, so this only guards against a sub chosen some other way.
  while (bySub.has(sub)) sub = `user-${values.username}-${randomBytes(4).toString('hex')}`;
  return addRecord({
    username: values.username,
    password: input.password,
    sub,
    name: values.name,
    email: values.email,
    emailVerified: false,
    roles: SIGNUP_ROLES,
    permissions: SIGNUP_PERMISSIONS,
    color: avatarColor(values.username),
    updatedAt: Math.floor(now / 1000),
  }, 'signup');
}

// ---------------------------------------------------------------------------------------
// Roles and permissions (test-only admin API)

// An RFC 6749 scope-token (printable ASCII without space, '"' and '\'), since a
// permission doubles as an API scope; roles follow the same rule.
const ACCESS_ENTRY_RE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Checks a roles or permissions list: an array of at most LIMITS.accessEntries names,
 * each 1 to LIMITS.accessEntryLength characters of a scope token. Returns an error
 * message, or undefined when valid.
 */
export function accessListError(field, value) {
  if (!Array.isArray(value)) return `"${field}" must be an array of strings`;
  if (value.length > LIMITS.accessEntries) {
    return `"${field}" may list at most ${LIMITS.accessEntries} entries`;
  }
  for (const entry of value) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > LIMITS.accessEntryLength
      || !ACCESS_ENTRY_RE.test(entry)) {
      return `every entry of "${field}" must be a string of 1 to ${LIMITS.accessEntryLength} printable ASCII characters without spaces, quotes or backslashes`;
    }
  }
  return undefined;
}

/**
 * Replaces a user's roles and/or permissions (each list optional; duplicates dropped,
 * order kept). Validate the lists with accessListError first.
 * @returns {DevUser | undefined} the updated user, or undefined when unknown
 */
export function setUserAccess(username, { roles, permissions } = {}) {
  const user = findUserByUsername(username);
  if (!user) return undefined;
  if (roles !== undefined) user.roles = Object.freeze([...new Set(roles)]);
  if (permissions !== undefined) user.permissions = Object.freeze([...new Set(permissions)]);
  return user;
}

// ---------------------------------------------------------------------------------------
// Claims

/** Initials for the avatar: the first letter of the first and last word of the name. */
export function initials(user) {
  const words = user.name.split(/\s+/).filter(Boolean);
  const first = words.length ? [...words[0]][0] : '';
  const last = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return `${first}${last}`.toUpperCase();
}

/** Absolute URL of the avatar the provider serves for a user. */
export function pictureUrl(issuer, user) {
  return new URL(`/avatars/${encodeURIComponent(user.username)}.svg`, issuer).href;
}

/**
 * All standard claims of a user, read from its current record; the provider filters them
 * by the granted scopes (openid: sub; profile: name, nickname, picture, updated_at, roles;
 * email: email, email_verified).
 */
export function userClaims(user, issuer) {
  return {
    sub: user.sub,
    name: user.name,
    nickname: user.username,
    picture: pictureUrl(issuer, user),
    updated_at: user.updatedAt,
    roles: [...user.roles],
    email: user.email,
    email_verified: user.emailVerified,
  };
}
