// Unit tests of the user registry (users.js): seed constants, sign-up validation,
// credentials and role/permission changes. Node runs each test file in its own process,
// so the registry changes made here stay here.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  LIMITS, SEED_USERS, SIGNUP_MESSAGES, SignupError, accessListError, allPermissions,
  findUserBySub, findUserByUsername, listUsers, registerUser, setUserAccess, userClaims,
  validateSignup, verifyCredentials,
} from '../users.js';

const valid = Object.freeze({
  username: 'henry', name: 'Henry Ford', email: 'henry@example.com', password: 'model-t-1908',
});

describe('users.js', () => {
  test('the seed users are deep-frozen constants', () => {
    assert.deepEqual(SEED_USERS.map((u) => u.username), ['alice', 'bob', 'carol']);
    assert.ok(Object.isFrozen(SEED_USERS));
    for (const user of SEED_USERS) {
      assert.ok(Object.isFrozen(user));
      assert.ok(Object.isFrozen(user.roles));
      assert.ok(Object.isFrozen(user.permissions));
    }
    assert.throws(() => { SEED_USERS[0].roles.push('x'); }, TypeError);
  });

  test('setUserAccess changes the registry record, never the seed constants', () => {
    const alice = findUserByUsername('alice');
    assert.notEqual(alice, SEED_USERS[0]);
    const updated = setUserAccess('Alice', { roles: ['auditor', 'auditor'] });
    assert.equal(updated, alice);
    assert.deepEqual(alice.roles, ['auditor']);
    assert.deepEqual(alice.permissions, ['read:messages', 'write:messages', 'admin:sessions']);
    assert.deepEqual(SEED_USERS[0].roles, ['admin']);
    assert.deepEqual(userClaims(findUserBySub('user-alice'), 'http://idp.test').roles, ['auditor']);
    assert.ok(Object.isFrozen(alice.roles), 'lists are replaced as a whole');
    assert.throws(() => { alice.extra = 1; }, TypeError, 'records are sealed');

    setUserAccess('alice', { permissions: ['read:messages', 'export:reports'] });
    assert.ok(allPermissions().includes('export:reports'));
    assert.ok(!allPermissions().includes('admin:sessions'));
    assert.equal(setUserAccess('nobody', { roles: [] }), undefined);
    setUserAccess('alice', { roles: SEED_USERS[0].roles, permissions: SEED_USERS[0].permissions });
  });

  test('seed credentials still work, case-insensitively for the username', () => {
    assert.equal(verifyCredentials(' ALICE ', 'alice')?.sub, 'user-alice');
    assert.equal(verifyCredentials('alice', 'Alice'), undefined);
    assert.equal(verifyCredentials('nobody', 'nobody'), undefined);
    assert.equal(verifyCredentials('bob', undefined), undefined);
  });

  test('validateSignup accepts a valid form and normalises it', () => {
    const { values, errors } = validateSignup({ ...valid, username: ' Henry ', name: '  Henry Ford ', email: ' henry@example.com ' });
    assert.deepEqual(errors, {});
    assert.deepEqual(values, { username: 'henry', name: 'Henry Ford', email: 'henry@example.com' });
    assert.ok(!('password' in values));
    for (const username of ['abc', 'a_b-c', '123', 'x'.repeat(32)]) {
      assert.deepEqual(validateSignup({ ...valid, username }).errors, {}, username);
    }
    for (const name of ['É', 'Zoë Ñandú', '山田 太郎', 'n'.repeat(64), '😀'.repeat(64)]) {
      assert.deepEqual(validateSignup({ ...valid, name }).errors, {}, name);
    }
    assert.deepEqual(validateSignup({ ...valid, password: '12345678' }).errors, {});
  });

  test('validateSignup rejects each invalid field with its message', () => {
    for (const [field, value, message] of [
      ['username', 'ab', SIGNUP_MESSAGES.username],
      ['username', 'x'.repeat(33), SIGNUP_MESSAGES.username],
      ['username', 'hé', SIGNUP_MESSAGES.username],
      ['username', 'a.b', SIGNUP_MESSAGES.username],
      ['username', 'a b', SIGNUP_MESSAGES.username],
      ['username', 'bob', SIGNUP_MESSAGES.usernameTaken],
      ['username', 'CAROL', SIGNUP_MESSAGES.usernameTaken],
      ['name', '', SIGNUP_MESSAGES.name],
      ['name', ' \t ', SIGNUP_MESSAGES.name],
      ['name', 'n'.repeat(65), SIGNUP_MESSAGES.name],
      ['name', 'new\nline', SIGNUP_MESSAGES.name],
      ['name', 'zero\u200Bwidth', SIGNUP_MESSAGES.name],
      ['email', '', SIGNUP_MESSAGES.email],
      ['email', 'henry', SIGNUP_MESSAGES.email],
      ['email', 'henry@', SIGNUP_MESSAGES.email],
      ['email', '@example.com', SIGNUP_MESSAGES.email],
      ['email', 'henry@example', SIGNUP_MESSAGES.email],
      ['email', 'hen ry@example.com', SIGNUP_MESSAGES.email],
      ['email', 'henry@exa_mple.com', SIGNUP_MESSAGES.email],
      ['email', `${'a'.repeat(250)}@example.com`, SIGNUP_MESSAGES.email],
      ['password', '', SIGNUP_MESSAGES.passwordShort],
      ['password', '1234567', SIGNUP_MESSAGES.passwordShort],
      ['password', 'p'.repeat(LIMITS.passwordMax + 1), SIGNUP_MESSAGES.passwordLong],
    ]) {
      const { errors } = validateSignup({ ...valid, [field]: value });
      assert.deepEqual(errors, { [field]: message }, `${field}=${JSON.stringify(value)}`);
    }
    assert.deepEqual(Object.keys(validateSignup({}).errors), ['username', 'name', 'email', 'password']);
  });

  test('registerUser creates a user with no roles and read:messages, then the username is taken', () => {
    const before = listUsers().length;
    const user = registerUser({ ...valid, username: 'Henry' }, { now: 1_750_000_000_000 });
    assert.equal(listUsers().length, before + 1);
    assert.equal(user.username, 'henry');
    assert.equal(user.sub, 'user-henry');
    assert.deepEqual(user.roles, []);
    assert.deepEqual(user.permissions, ['read:messages']);
    assert.equal(user.emailVerified, false);
    assert.equal(user.updatedAt, 1_750_000_000);
    assert.equal(user.origin, 'signup');
    assert.ok(!Object.values(user).includes(valid.password), 'no plain-text password kept');
    assert.equal(findUserBySub('user-henry'), user);
    assert.equal(verifyCredentials('HENRY', valid.password), user);
    assert.equal(verifyCredentials('henry', 'model-t-1909'), undefined);

    assert.throws(() => registerUser(valid), (err) => err instanceof SignupError
      && err.errors.username === SIGNUP_MESSAGES.usernameTaken);
    assert.throws(() => registerUser({ ...valid, username: 'ivy', email: 'nope' }), SignupError);
    assert.equal(findUserByUsername('ivy'), undefined);
  });

  test('accessListError bounds roles and permissions', () => {
    assert.equal(accessListError('roles', []), undefined);
    assert.equal(accessListError('permissions', ['read:messages', 'a/b', 'x'.repeat(128)]), undefined);
    assert.match(accessListError('roles', 'admin'), /must be an array/);
    assert.match(accessListError('roles', {}), /must be an array/);
    for (const bad of [[''], [' '], ['a b'], ['a"b'], ['a\\b'], ['é'], [1], [null], ['x'.repeat(129)]]) {
      assert.ok(accessListError('roles', bad), JSON.stringify(bad));
    }
    assert.match(accessListError('roles', Array.from({ length: 65 }, (_, i) => `r${i}`)), /at most 64/);
  });
});
