// Values the server's configuration and the tests must agree on.

/** The first-run setup token the server is given; the test types it as an operator would. */
export const SETUP_TOKEN = 'e2e-setup-token-7731';
