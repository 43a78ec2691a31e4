// HTML and SVG rendering for the dev identity provider's own pages.
//
// Pages use one external stylesheet (STYLESHEET_PATH) and no scripts, so they work under
// the strict Content-Security-Policy in PAGE_CSP. Every dynamic value goes through
// `escapeHtml` / `escapeXml`.

import { initials } from './users.js';

export const STYLESHEET_PATH = '/assets/devidp.css';

export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const HTML_ESCAPES = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;',
};

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"'`]/g, (ch) => HTML_ESCAPES[ch]);
}

export const escapeXml = escapeHtml;

export const STYLESHEET = `
:root {
  color-scheme: light;
  --bg: #f3f4f6;
  --card: #ffffff;
  --text: #111827;
  --muted: #6b7280;
  --border: #d1d5db;
  --accent: #4f46e5;
  --accent-hover: #4338ca;
  --danger-bg: #fef2f2;
  --danger-border: #fecaca;
  --danger-text: #991b1b;
}
* { box-sizing: border-box; }
html, body { margin: 0; min-height: 100%; }
body {
  min-height: 100vh;
  display: flex;
  align-items: center;
  justify-content: center;
  padding: 24px 16px;
  background: var(--bg);
  color: var(--text);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  font-size: 15px;
  line-height: 1.5;
}
main.card {
  width: 100%;
  max-width: 400px;
  background: var(--card);
  border-radius: 12px;
  box-shadow: 0 1px 3px rgba(0, 0, 0, .08), 0 8px 24px rgba(0, 0, 0, .06);
  padding: 32px 28px 24px;
}
.brand {
  display: flex;
  align-items: center;
  gap: 8px;
  margin: 0 0 20px;
  color: var(--muted);
  font-size: 13px;
  font-weight: 600;
  letter-spacing: .04em;
  text-transform: uppercase;
}
.brand .dot { width: 10px; height: 10px; border-radius: 50%; background: var(--accent); }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 6px; }
p.lead { margin: 0 0 20px; color: var(--muted); }
label { display: block; font-weight: 600; font-size: 14px; margin: 14px 0 6px; }
input[type=text], input[type=email], input[type=password] {
  width: 100%;
  padding: 10px 12px;
  font: inherit;
  color: inherit;
  border: 1px solid var(--border);
  border-radius: 8px;
  background: #fff;
}
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: var(--accent); }
input[aria-invalid=true] { border-color: var(--danger-text); }
.field-hint { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
a { color: var(--accent); }
a:hover, a:focus-visible { color: var(--accent-hover); }
p.switch { margin: 16px 0 0; text-align: center; font-size: 14px; }
.alert ul { margin: 0; padding-left: 18px; }
button {
  font: inherit;
  font-weight: 600;
  cursor: pointer;
  border-radius: 8px;
  padding: 10px 14px;
  width: 100%;
}
button.primary { margin-top: 20px; border: 0; background: var(--accent); color: #fff; }
button.primary:hover, button.primary:focus-visible { background: var(--accent-hover); }
button.secondary { margin-top: 10px; border: 1px solid var(--border); background: #fff; color: var(--text); }
button.secondary:hover, button.secondary:focus-visible { background: #f9fafb; }
form { margin: 0; }
.alert {
  margin: 0 0 16px;
  padding: 10px 12px;
  border: 1px solid var(--danger-border);
  border-radius: 8px;
  background: var(--danger-bg);
  color: var(--danger-text);
  font-size: 14px;
}
.hint { margin-top: 24px; padding-top: 16px; border-top: 1px solid #e5e7eb; }
.hint h2 { font-size: 13px; font-weight: 600; color: var(--muted); margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; }
.users { list-style: none; margin: 0; padding: 0; }
.users li { display: flex; align-items: center; gap: 10px; padding: 6px 0; font-size: 14px; }
.users img { width: 28px; height: 28px; border-radius: 50%; flex: none; }
.users .who { flex: 1; min-width: 0; }
.users .who small { display: block; color: var(--muted); font-size: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; background: #f3f4f6; padding: 1px 5px; border-radius: 4px; }
dl.details { margin: 16px 0 0; font-size: 13px; color: var(--muted); }
dl.details dt { font-weight: 600; color: var(--text); }
dl.details dd { margin: 0 0 8px; word-break: break-word; }
footer { margin-top: 20px; text-align: center; color: var(--muted); font-size: 12px; }
`.trimStart();

function layout({ title, body }) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Dev Identity Provider</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main class="card">
<div class="brand"><span class="dot" aria-hidden="true"></span>Dev Identity Provider</div>
${body}
<footer>For development and tests only.</footer>
</main>
</body>
</html>
`;
}

function leadFor(clientName) {
  return `<p class="lead">${clientName ? `to continue to <strong>${escapeHtml(clientName)}</strong>` : 'to continue'}</p>`;
}

/** The "Cancel" button: a separate form that ends the interaction with access_denied. */
function cancelForm(abortAction) {
  return `<form method="post" action="${escapeHtml(abortAction)}">
<button type="submit" id="cancel" class="secondary">Cancel</button>
</form>`;
}

/**
 * The sign-in form of an interaction.
 * @param {object} opts
 * @param {string} opts.action          URL the form posts to
 * @param {string} opts.abortAction     URL of the "Cancel" form
 * @param {string} opts.signupHref      URL of the sign-up form of the same interaction
 * @param {string} [opts.clientName]    display name of the relying party
 * @param {string} [opts.username]      value to prefill (escaped)
 * @param {string} [opts.error]         message shown above the form (escaped)
 * @param {Array<{username: string, password: string, name: string, roles: readonly string[], picture: string}>} opts.users
 */
export function loginPage({
  action, abortAction, signupHref, clientName, username = '', error, users,
}) {
  const focusPassword = username !== '';
  const userItems = users.map((user) => `<li>
<img src="${escapeHtml(user.picture)}" alt="" width="28" height="28">
<span class="who">${escapeHtml(user.name)}<small>${user.roles.length ? `roles: ${escapeHtml(user.roles.join(', '))}` : 'no roles'}</small></span>
<code>${escapeHtml(user.username)}</code> / <code>${escapeHtml(user.password)}</code>
</li>`).join('\n');

  return layout({
    title: 'Sign in',
    body: `<h1>Sign in to Dev Identity Provider</h1>
${leadFor(clientName)}
${error ? `<div class="alert" role="alert" id="error">${escapeHtml(error)}</div>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off" novalidate>
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(username)}" autocapitalize="none" autocorrect="off" spellcheck="false" required${focusPassword ? '' : ' autofocus'}>
<label for="password">Password</label>
<input type="password" id="password" name="password" required${focusPassword ? ' autofocus' : ''}>
<button type="submit" id="sign-in" class="primary">Sign in</button>
</form>
${cancelForm(abortAction)}
<p class="switch">New here? <a href="${escapeHtml(signupHref)}" id="create-account">Create an account</a></p>
<section class="hint" aria-labelledby="dev-users">
<h2 id="dev-users">Dev users (username / password)</h2>
<ul class="users">
${userItems}
</ul>
</section>`,
  });
}

const SIGNUP_FIELDS = Object.freeze([
  {
    field: 'username',
    id: 'signup-username',
    label: 'Username',
    type: 'text',
    autocomplete: 'username',
    extra: ' autocapitalize="none" autocorrect="off" spellcheck="false" minlength="3" maxlength="32"',
    hint: '3 to 32 characters: lowercase letters, digits, _ or -.',
  },
  {
    field: 'name', id: 'signup-name', label: 'Name', type: 'text', autocomplete: 'name', extra: ' maxlength="64"',
  },
  {
    field: 'email', id: 'signup-email', label: 'Email', type: 'email', autocomplete: 'email', extra: ' maxlength="254" spellcheck="false"',
  },
  {
    field: 'password',
    id: 'signup-password',
    label: 'Password',
    type: 'password',
    autocomplete: 'new-password',
    extra: ' minlength="8"',
    hint: 'At least 8 characters.',
  },
]);

/**
 * The sign-up form of an interaction (`screen_hint=signup`, or "Create an account").
 * @param {object} opts
 * @param {string} opts.action          URL the form posts to
 * @param {string} opts.abortAction     URL of the "Cancel" form
 * @param {string} opts.signinHref      URL of the sign-in form of the same interaction
 * @param {string} [opts.clientName]    display name of the relying party
 * @param {{username?: string, name?: string, email?: string}} [opts.values] values to
 *   prefill (escaped); a password is never echoed
 * @param {Record<string, string>} [opts.errors] messages by field (escaped); `form` for
 *   errors not tied to a field
 */
export function signupPage({
  action, abortAction, signinHref, clientName, values = {}, errors = {},
}) {
  const messages = Object.values(errors);
  const firstInvalid = SIGNUP_FIELDS.find(({ field }) => errors[field]);
  const focus = firstInvalid?.field ?? SIGNUP_FIELDS.find(({ field }) => !values[field])?.field ?? 'username';
  const inputs = SIGNUP_FIELDS.map(({
    field, id, label, type, autocomplete, extra, hint,
  }) => {
    // An invalid field points at the error summary (the alert) as well as its hint.
    const described = [hint && `${id}-hint`, errors[field] && 'error'].filter(Boolean).join(' ');
    const value = field === 'password' ? '' : ` value="${escapeHtml(values[field] ?? '')}"`;
    return `<label for="${id}">${escapeHtml(label)}</label>
<input type="${type}" id="${id}" name="${field}"${value} autocomplete="${autocomplete}"${extra} required${described ? ` aria-describedby="${described}"` : ''}${errors[field] ? ' aria-invalid="true"' : ''}${focus === field ? ' autofocus' : ''}>
${hint ? `<p class="field-hint" id="${id}-hint">${escapeHtml(hint)}</p>\n` : ''}`;
  }).join('');
  let alert = '';
  if (messages.length === 1) {
    alert = `<div class="alert" role="alert" id="error">${escapeHtml(messages[0])}</div>`;
  } else if (messages.length > 1) {
    alert = `<div class="alert" role="alert" id="error"><ul>${messages.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul></div>`;
  }

  return layout({
    title: 'Create your account',
    body: `<h1>Create your account</h1>
${leadFor(clientName)}
${alert}
<form method="post" action="${escapeHtml(action)}" novalidate>
${inputs}<button type="submit" id="sign-up" class="primary">Sign up</button>
</form>
${cancelForm(abortAction)}
<p class="switch">Already have an account? <a href="${escapeHtml(signinHref)}" id="back-to-sign-in">Sign in</a></p>`,
  });
}

/** A generic message page (errors, expired interactions, sign-out success). */
export function messagePage({ title, message, details }) {
  const detailItems = details
    ? Object.entries(details)
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
      .join('')
    : '';
  return layout({
    title,
    body: `<h1>${escapeHtml(title)}</h1>
<p class="lead">${escapeHtml(message)}</p>
${detailItems ? `<dl class="details">${detailItems}</dl>` : ''}`,
  });
}

/**
 * The RP-initiated logout confirmation. `form` is oidc-provider's hidden form
 * (`id="op.logoutForm"`, carrying the xsrf token); the buttons submit it, and the one
 * named `logout` signs the user out of the provider entirely.
 */
export function logoutPage({ form, clientName }) {
  return layout({
    title: 'Sign out',
    body: `<h1>Sign out?</h1>
<p class="lead">${clientName ? `<strong>${escapeHtml(clientName)}</strong> asked to sign you out. ` : ''}Do you want to sign out of the Dev Identity Provider?</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" id="logout" class="primary">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" id="stay" class="secondary">No, stay signed in</button>`,
  });
}

export function signedOutPage({ clientName }) {
  return messagePage({
    title: 'Signed out',
    message: clientName
      ? `You have been signed out of ${clientName}.`
      : 'You have been signed out of the Dev Identity Provider.',
  });
}

/** A round avatar with the user's initials on their colour. */
export function avatarSvg(user) {
  const text = escapeXml(initials(user));
  const color = escapeXml(user.color);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img" aria-label="${escapeXml(user.name)}">
<title>${escapeXml(user.name)}</title>
<defs>
<linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="${color}" stop-opacity="0.85"/>
<stop offset="1" stop-color="${color}"/>
</linearGradient>
</defs>
<circle cx="64" cy="64" r="64" fill="url(#g)"/>
<text x="64" y="64" dy=".35em" text-anchor="middle" fill="#ffffff" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" font-size="52" font-weight="600" letter-spacing="1">${text}</text>
</svg>
`;
}
