// A real OpenID Connect provider for StudyHub's single sign-on tests: panva's
// oidc-provider (OpenID Certified), configured from the environment by
// tests/sso/conftest.py and listening on loopback only.
//
//   PORT           the port to listen on (127.0.0.1)
//   CLIENT         JSON: {client_id, client_secret, redirect_uris}
//   ACCOUNTS       JSON: {login: {name, preferred_username, email, email_verified}}
//
// Its development log-in and consent pages take any of ACCOUNTS' logins with any
// password. PKCE (S256) is required of every client; a log-in without it is refused.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const client = JSON.parse(process.env.CLIENT);
const accounts = JSON.parse(process.env.ACCOUNTS);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  // Put the scopes' claims in the ID token: StudyHub reads the ID token, not userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['studyhub-tests-only'] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
