// Development users of the dev identity provider. Passwords are intentionally public:
// this provider exists for local development and automated tests only.

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * @typedef {object} DevUser
 * @property {string} username     login name (also the nickname claim)
 * @property {string} password     plain-text dev password
 * @property {string} sub          stable subject identifier
 * @property {string} name
 * @property {string} email
 * @property {boolean} emailVerified
 * @property {string[]} roles       `roles` claim of the ID token (scope `profile`)
 * @property {string[]} permissions `permissions` claim of API access tokens
 * @property {string} color         avatar background colour
 * @property {number} updatedAt     `updated_at` claim (seconds since the epoch)
 */

/** @type {readonly DevUser[]} */
export const USERS = Object.freeze([
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
].map((user) => Object.freeze({
  ...user,
  roles: Object.freeze(user.roles),
  permissions: Object.freeze(user.permissions),
})));

/** Every permission any dev user holds: the scopes the API resource knows about. */
export const ALL_PERMISSIONS = Object.freeze([...new Set(USERS.flatMap((u) => u.permissions))]);

/** @returns {DevUser | undefined} */
export function findUserByUsername(username) {
  return USERS.find((user) => user.username === username);
}

/** @returns {DevUser | undefined} */
export function findUserBySub(sub) {
  return USERS.find((user) => user.sub === sub);
}

function digest(value) {
  return createHash('sha256').update(String(value), 'utf8').digest();
}

/**
 * Checks a username/password pair; returns the user or undefined. The username is
 * matched case-insensitively after trimming, the password exactly (in constant time).
 * @returns {DevUser | undefined}
 */
export function verifyCredentials(username, password) {
  const user = findUserByUsername(String(username ?? '').trim().toLowerCase());
  // Compare against a dummy digest when the user is unknown so both paths do the same work.
  const expected = digest(user ? user.password : '\0no-such-user');
  const matches = timingSafeEqual(expected, digest(password ?? ''));
  return user && matches ? user : undefined;
}

/** Initials for the avatar: the first letter of the first and last word of the name. */
export function initials(user) {
  const words = user.name.split(/\s+/).filter(Boolean);
  const first = [...words[0]][0] ?? '';
  const last = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return `${first}${last}`.toUpperCase();
}

/** Absolute URL of the avatar the provider serves for a user. */
export function pictureUrl(issuer, user) {
  return new URL(`/avatars/${encodeURIComponent(user.username)}.svg`, issuer).href;
}

/**
 * All standard claims of a user; the provider filters them by the granted scopes
 * (openid: sub; profile: name, nickname, picture, updated_at, roles; email: email,
 * email_verified).
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
