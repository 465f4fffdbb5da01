// Playwright drives Debian's Chromium (no browser download is possible here) against the real
// release server binary built by `.ci/build-site.sh`, started with its own scratch database.
import { defineConfig } from '@playwright/test';
import * as path from 'path';
import { SETUP_TOKEN } from './shared';

const port = Number(process.env.E2E_PORT ?? 3107);
const root = path.resolve(__dirname, '..');
const serverBin = process.env.RAPPORT_SERVER_BIN ?? path.join(root, 'target', 'release', 'server');
const scratch = process.env.E2E_SCRATCH ?? path.join(root, 'target', 'e2e');

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: serverBin,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEPTOS_OUTPUT_NAME: 'rapport',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_ENV: 'PROD',
      DATABASE_URL: `sqlite://${scratch}/e2e.db?mode=rwc`,
      RAPPORT_BASE_URL: `http://127.0.0.1:${port}`,
      RAPPORT_OUTBOX_INTERVAL_SECONDS: '1',
      RAPPORT_SETUP_TOKEN: SETUP_TOKEN,
      ...(process.env.E2E_SMTP_URL ? { RAPPORT_SMTP_URL: process.env.E2E_SMTP_URL } : {}),
      RUST_LOG: 'warn',
    },
  },
});
