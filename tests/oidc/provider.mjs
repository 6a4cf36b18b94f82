// A real OpenID Connect provider for the tests (issue 25): node-oidc-provider, configured by the
// JSON file the tests write (tests/oidc/fixtures.py) and given as the only argument.
// Dev interactions are on: its own login page takes any login name, which is the subject; the
// accounts in the configuration give each subject its claims.
import { setDefaultResultOrder } from 'node:dns';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

// The broker's test server listens on localhost's IPv4 address (Werkzeug): reach it there.
setDefaultResultOrder('ipv4first');

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  // `vot`: the vector of trust achieved, in the ID token as GOV.UK One Login gives it; each
  // account in the configuration has its own (or none), so a test can sign in at a low level.
  claims: {
    openid: ['sub', 'vot'],
    email: ['email', 'email_verified'],
    profile: ['name', config.role_claim],
  },
  scopes: ['openid', 'email', 'profile'],
  // The staff provider puts the role in the ID token, as Entra ID does.
  conformIdTokenClaims: false,
  extraParams: ['vtr'],
  features: {
    devInteractions: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  // The provider refuses to call loopback addresses (SSRF protection); the broker under test
  // is on one, so its back-channel logout requests go out without that check, here only.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  cookies: { keys: ['tests-only-cookie-key'] },
  ttl: { IdToken: 3600, AccessToken: 3600, Session: 3600, Interaction: 3600, Grant: 3600 },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, ...(config.accounts[sub] || {}) };
      },
    };
  },
  // First-party clients: no consent screen, every scope asked for is granted.
  async loadExistingGrant(ctx) {
    const existing = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) {
      const found = await ctx.oidc.provider.Grant.find(existing);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
// In the provider's log (tests/oidc/fixtures.py keeps it beside the configuration).
provider.on('backchannel.success', (ctx, client) => {
  process.stdout.write(`backchannel logout delivered to ${client.clientId}\n`);
});
provider.on('backchannel.error', (ctx, err, client) => {
  process.stdout.write(`backchannel logout to ${client.clientId} failed: ${err}\n`);
});
provider.listen(config.port, 'localhost', () => {
  process.stdout.write(`listening ${config.issuer}\n`);
});
