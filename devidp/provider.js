// oidc-provider 9.13 configuration of the dev identity provider.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

import { allPermissions, findUserBySub, userClaims } from './users.js';
import {
  PAGE_CSP, logoutPage, messagePage, signedOutPage,
} from './views.js';

const OIDC_SCOPES = Object.freeze(['openid', 'offline_access', 'profile', 'email']);

/**
 * Authorization request parameters oidc-provider accepts besides the standard ones
 * (which include login_hint, ui_locales, max_age and acr_values). Auth0's `audience`
 * names the API (see defaultResource); `screen_hint=signup` opens the sign-up form
 * (app.js); `organization`, `invitation` and `connection` are accepted and ignored.
 */
export const EXTRA_PARAMS = Object.freeze(['audience', 'screen_hint', 'organization', 'invitation', 'connection']);

export const TTL = Object.freeze({
  AccessToken: 600,
  AuthorizationCode: 60,
  IdToken: 600,
  RefreshToken: 24 * 60 * 60,
  Session: 24 * 60 * 60,
  Grant: 24 * 60 * 60,
  Interaction: 10 * 60,
});

/** A fresh RS256 signing key, held in memory only. */
function generateSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomUUID(),
    alg: 'RS256',
    use: 'sig',
  };
}

function setPageHeaders(ctx) {
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
}

/**
 * Grants the first-party client everything the authorization request asks for, so that
 * no consent screen is ever shown. For the API, the requested OpenID scopes are granted
 * too (as Auth0 lists them in an API token's scope) and permission names only when the
 * user holds that permission; other permissions are rejected.
 */
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const { accountId } = oidc.account;
  const clientId = oidc.client.clientId;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);

  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
    grant = new oidc.provider.Grant({ accountId, clientId });
  }

  grant.addOIDCScope([...oidc.requestParamOIDCScopes]);
  if (oidc.requestParamClaims.size) {
    grant.addOIDCClaims([...oidc.requestParamClaims]);
  }

  const permissions = new Set(findUserBySub(accountId)?.permissions ?? []);
  const allowed = (scope) => OIDC_SCOPES.includes(scope) || permissions.has(scope);
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers)) {
    const requested = [...oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s));
    const granted = requested.filter(allowed);
    const denied = requested.filter((s) => !allowed(s));
    grant.addResourceScope(indicator, granted.join(' '));
    if (denied.length) grant.rejectResourceScope(indicator, denied.join(' '));
  }

  await grant.save();
  return grant;
}

/**
 * @param {object} options
 * @param {string} options.issuer
 * @param {ReturnType<import('./config.js').loadConfig>} options.config
 * @param {(message: string) => void} options.log
 */
export function createProvider({ issuer, config, log }) {
  const { client, apiAudience } = config;

  /**
   * The API resource. Its scopes are the OpenID scopes (which appear in its tokens' scope
   * as they do in Auth0's) and its permission names (an Auth0 API's "permissions"). At the
   * token endpoint, where the user is known, only the permissions the user holds *now*
   * count, so a token issued after the user lost a permission (admin API) no longer lists
   * it in `scope`, even though the grant made at sign-in still does. Elsewhere every
   * permission any user holds counts (loadExistingGrant then checks the user's own).
   */
  function apiResourceServer(ctx) {
    const account = ctx.oidc?.route === 'token' ? ctx.oidc.account : undefined;
    const permissions = account
      ? (findUserBySub(account.accountId)?.permissions ?? [])
      : allPermissions();
    return {
      audience: apiAudience,
      scope: [...new Set([...OIDC_SCOPES, ...permissions])].join(' '),
      accessTokenFormat: 'jwt',
      accessTokenTTL: TTL.AccessToken,
      jwt: { sign: { alg: 'RS256' } },
    };
  }

  const webClient = {
    client_name: 'BFF (development)',
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    backchannel_logout_uri: client.backchannelLogoutUri,
    backchannel_logout_session_required: true,
    id_token_signed_response_alg: 'RS256',
  };
  const clients = [{
    ...webClient,
    client_id: client.clientId,
    client_secret: client.clientSecret,
    // client_secret_post is accepted as well: oidc-provider treats the two alike.
    token_endpoint_auth_method: 'client_secret_basic',
  }];
  if (config.jwtClient) {
    // The same app, authenticating with a signed assertion (RFC 7523) instead of a secret.
    clients.push({
      ...webClient,
      client_id: config.jwtClient.clientId,
      client_name: 'BFF (development, private_key_jwt)',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: config.jwtClient.jwks,
    });
  }

  const configuration = {
    clients,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    responseTypes: ['code'],
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports

    jwks: { keys: [generateSigningKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },

    scopes: [...OIDC_SCOPES],
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub'],
      profile: ['name', 'nickname', 'picture', 'updated_at', 'roles'],
      email: ['email', 'email_verified'],
    },
    // Put the scope-derived claims (name, email, picture, roles...) in the ID token too.
    conformIdTokenClaims: false,
    extraParams: [...EXTRA_PARAMS],

    features: {
      devInteractions: { enabled: false },
      // RFC 9126, when DEVIDP_PUSHED_AUTHORIZATION_REQUESTS asks for it (see app.js for
      // offline_access, which applies to pushed requests too).
      pushedAuthorizationRequests: {
        enabled: config.pushedAuthorizationRequests.enabled,
        requirePushedAuthorizationRequests: config.pushedAuthorizationRequests.required,
      },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          setPageHeaders(ctx);
          ctx.body = logoutPage({ form, clientName: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          setPageHeaders(ctx);
          ctx.body = signedOutPage({ clientName: ctx.oidc.client?.clientName });
        },
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          // `audience=<api>` on the authorization request stands for `resource=<api>`.
          const audience = ctx.oidc.params?.audience;
          return typeof audience === 'string' && audience !== '' ? audience : undefined;
        },
        // Without a `resource` at the token endpoint, keep issuing tokens for the API
        // the authorization was for (as Auth0 does with `audience`).
        async useGrantedResource() {
          return true;
        },
        async getResourceServerInfo(ctx, resourceIndicator) {
          if (apiAudience && resourceIndicator === apiAudience) {
            return apiResourceServer(ctx);
          }
          throw new errors.InvalidTarget(apiAudience
            ? `unknown audience/resource; this provider only knows ${apiAudience}`
            : 'this provider has no API audience configured (DEVIDP_API_AUDIENCE is empty)');
        },
      },
    },

    // Claims are read from the user's current record whenever a token or a userinfo
    // response is produced (roles changed by the admin API show in the next ID token).
    async findAccount(_ctx, sub) {
      const user = findUserBySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          return userClaims(user, issuer);
        },
      };
    },

    // The user's permissions in access tokens for the API (Auth0 RBAC style), read from
    // the user's record when the token is issued (a refresh picks up admin API changes).
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !apiAudience) return undefined;
      if (token.resourceServer?.audience !== apiAudience) return undefined;
      const user = findUserBySub(token.accountId);
      return { permissions: user ? [...user.permissions] : [] };
    },

    loadExistingGrant,

    // A refresh token whenever the client may use one and `offline_access` was granted.
    // (oidc-provider only keeps `offline_access` when the request has prompt=consent;
    // app.js adds that prompt, which this provider resolves without a consent screen.)
    async issueRefreshToken(_ctx, tokenClient, code) {
      return tokenClient.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
    rotateRefreshToken: true,

    ttl: { ...TTL },

    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },

    async renderError(ctx, out, error) {
      setPageHeaders(ctx);
      ctx.body = messagePage({
        title: 'Something went wrong',
        message: out.error_description || 'The request could not be processed.',
        details: { error: out.error, state: out.state },
      });
      if (!(error instanceof errors.OIDCProviderError) || error.statusCode >= 500) {
        log(`error page for ${ctx.method} ${ctx.path}: ${error?.stack ?? error}`);
      }
    },
  };

  if (config.allowLoopbackBackchannel) {
    // oidc-provider's fetch passes an undici dispatcher that refuses loopback and other
    // special-use addresses (SSRF protection). The only outgoing requests this
    // configuration makes are back-channel logout POSTs to the configured URI, so when
    // explicitly allowed, send them without that dispatcher.
    configuration.fetch = (url, { dispatcher, ...options }) => globalThis.fetch(url, options);
  }

  const provider = new Provider(issuer, configuration);

  provider.on('server_error', (ctx, err) => {
    log(`server error on ${ctx.method} ${ctx.path}: ${err?.stack ?? err}`);
  });
  for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'userinfo.error',
    'introspection.error', 'revocation.error']) {
    provider.on(event, (ctx, err) => {
      const detail = err.error_description ? ` (${err.error_description})` : '';
      log(`${event}: ${err.error ?? err.message}${detail}`);
    });
  }
  provider.on('backchannel.success', (_ctx, logoutClient, accountId, sid) => {
    log(`back-channel logout delivered to ${logoutClient.backchannelLogoutUri} (sub=${accountId}, sid=${sid})`);
  });
  provider.on('backchannel.error', (_ctx, err, logoutClient, accountId, sid) => {
    const cause = err.cause ? `: ${err.cause.message ?? err.cause}` : '';
    const hint = config.allowLoopbackBackchannel ? ''
      : ' (to reach a loopback or private address, set DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL=1)';
    log(`back-channel logout to ${logoutClient.backchannelLogoutUri} failed (sub=${accountId}, sid=${sid}): ${err.message}${cause}${hint}`);
  });

  return provider;
}
