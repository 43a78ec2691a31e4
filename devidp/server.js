#!/usr/bin/env node
// Entry point of the dev identity provider: `node devidp/server.js` (from any directory).
//
// stdout carries exactly one line, `DEVIDP_READY {"issuer":"...","port":N}`, once the
// server listens; everything else goes to stderr.

import { createServer } from 'node:http';

import { ConfigError, loadConfig } from './config.js';

// oidc-provider prints its notices with console.info (stdout); keep stdout for the
// ready line only.
console.log = console.error;
console.info = console.error;

function log(message) {
  process.stderr.write(`[devidp] ${message}\n`);
}

function fail(message, code = 1) {
  process.stderr.write(`devidp: ${message}\n`);
  process.exit(code);
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function installShutdown(server, config) {
  let closing = false;
  const shutdown = (reason) => {
    if (closing) return;
    closing = true;
    log(`shutting down (${reason})`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  if (config.exitOnStdinClose) {
    // The parent (e.g. a test harness) holds our stdin; when it goes away, so do we.
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.on('error', () => shutdown('stdin error'));
    process.stdin.resume();
  }
}

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`, 2);
    throw err;
  }

  // The provider is created once the port is known (DEVIDP_PORT=0 picks a free one and
  // the default issuer follows it); requests cannot arrive before that anyway.
  let handler = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' });
    res.end('starting\n');
  };
  const server = createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 5000;

  let port;
  try {
    port = await listen(server, config.port, config.host);
  } catch (err) {
    const reason = err.code === 'EADDRINUSE' ? 'the address is already in use'
      : err.code === 'EADDRNOTAVAIL' ? 'the address is not available on this machine'
        : err.code === 'EACCES' ? 'permission denied' : err.message;
    fail(`cannot listen on ${config.host}:${config.port} (DEVIDP_HOST/DEVIDP_PORT): ${reason}`);
  }

  const issuer = config.issuer ?? `http://127.0.0.1:${port}`;

  // Imported lazily so that a configuration error is reported before oidc-provider's
  // own start-up notices.
  const [{ createProvider }, { createRequestHandler }] = await Promise.all([
    import('./provider.js'),
    import('./app.js'),
  ]);
  const provider = createProvider({ issuer, config, log });
  try {
    // Validates the client metadata (redirect URIs etc.) now rather than on first use.
    await provider.Client.find(config.client.clientId);
  } catch (err) {
    fail(`invalid client configuration: ${err.error_description ?? err.message}`, 2);
  }
  handler = createRequestHandler({
    provider, issuer, log, enableAdminApi: config.enableAdminApi,
  });

  installShutdown(server, config);
  log(`listening on http://${config.host}:${port}, issuer ${issuer}, client ${config.client.clientId}`);
  if (config.allowLoopbackBackchannel) {
    log('back-channel logout may reach loopback/private addresses (DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL=1)');
  }
  if (config.enableAdminApi) {
    log('test-only admin API enabled at /dev-admin/ (DEVIDP_ENABLE_ADMIN_API=1): anyone reaching this port can change users\' roles and permissions');
  }
  process.stdout.write(`DEVIDP_READY ${JSON.stringify({ issuer, port })}\n`);
}

main().catch((err) => fail(`start-up failed: ${err?.stack ?? err}`));
