// Starts the real demo network (`einvoice demo`) on free loopback ports, from properties
// written to a temp folder, and stops it again. For the browser tests.
import { spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SRC = process.env.EINVOICE_SOURCE_DIR;
const BIN = process.env.EINVOICE_BIN_DIR;

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function rewrite(file, ports, dir) {
  let text = fs.readFileSync(path.join(SRC, 'fixtures/demo', file), 'utf8');
  text = text.replaceAll('127.0.0.1:8700', `127.0.0.1:${ports[0]}`)
             .replaceAll('127.0.0.1:8701', `127.0.0.1:${ports[1]}`)
             .replaceAll('127.0.0.1:8702', `127.0.0.1:${ports[2]}`)
             .replaceAll('fixtures/keys/', path.join(SRC, 'fixtures/keys') + '/')
             .replaceAll('var/demo/', path.join(dir, 'var') + '/');
  fs.writeFileSync(path.join(dir, file), text);
}

export async function startDemo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'einvoice-browser-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  for (const f of ['authority.properties', 'merchant.properties', 'company.properties']) rewrite(f, ports, dir);
  const child = spawn(path.join(BIN, 'einvoice'), ['demo', '--fixtures', dir, '--data', path.join(dir, 'var')],
                      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 30000;
  while (!output.includes('The demo network is running')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('demo did not start:\n' + output);
    await new Promise((r) => setTimeout(r, 100));
  }
  const tokens = JSON.parse(fs.readFileSync(path.join(dir, 'var/tokens.json'), 'utf8'));
  return {
    dir, tokens, output: () => output,
    authority: `http://127.0.0.1:${ports[0]}`, merchant: `http://127.0.0.1:${ports[1]}`, company: `http://127.0.0.1:${ports[2]}`,
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launchOptions() {
  return {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  };
}

// The people who use the pages read Chinese: every context and page reads zh-CN (its
// Accept-Language) unless a test asks for another locale.
function inChinese(browser) {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = (options = {}) => newContext({ locale: 'zh-CN', ...options });
  browser.newPage = async (options = {}) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.on('close', () => { context.close().catch(() => {}); });
    return page;
  };
  return browser;
}

// For a test file: starts the demo network and a headless Chromium before its tests and
// stops both after. The returned object's `demo` and `browser` are set once started.
export function useDemoAndBrowser() {
  const ctx = { demo: null, browser: null };
  before(async () => {
    ctx.demo = await startDemo();
    ctx.browser = inChinese(await chromium.launch(launchOptions()));
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.demo?.stop();
  });
  return ctx;
}
