// Every page people use, at 390 px (a phone) and 1280 px, in zh-CN and en: no horizontal
// scrolling, no raw JSON, the page's language declared, a title, and no serious or critical
// accessibility violation found by axe-core. A screenshot of each lands in
// test-output/pages/<page>-<lang>-<width>.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { useDemoAndBrowser } from './demo_network.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const OUT = path.join(process.env.EINVOICE_TEST_OUTPUT || '.', 'pages');
const ctx = useDemoAndBrowser();
const pages = [];   // {name, url, as}: `as` names a signed-in role's storage state
const states = {};  // role -> storage state (its session cookie)

async function signIn(base, token) {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.waitForLoadState();
  const state = await context.storageState();
  return { context, page, state };
}

async function paidOrder(buyer) {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await page.goto(ctx.demo.merchant + '/');
  await page.selectOption('#product', 'latte');
  if (buyer) await page.fill('#buyer', buyer);
  await page.click('#pay');
  await page.waitForURL(/\/demo\/orders\//);
  return { context, page };
}

// The pages to visit, made once (after the demo and the browser have started).
let made = null;
async function makePages() {
  const d = ctx.demo;
  // An invoice to an individual, sealed; its check link from the merchant's API.
  const sold = await paidOrder('李四');
  const link = sold.page.locator('a.invoice-link').first();
  await link.waitFor({ timeout: 15000 });
  const invoiceUrl = new URL(await link.getAttribute('href'), d.merchant).toString();
  const no = invoiceUrl.match(/\/invoices\/(\d{20})/)[1];
  await sold.page.goto(invoiceUrl);
  await sold.page.waitForSelector('#status.sealed', { timeout: 15000 });
  const api = await fetch(`${d.merchant}/v1/invoices/${no}`, { headers: { Authorization: `Bearer ${d.tokens.merchant.merchant}` } });
  const qrUrl = (await api.json()).qr_url;
  const checkUrl = qrUrl.replace(/^https?:\/\/[^/]+/, d.authority);
  // An order whose buyer applies later.
  const open = await paidOrder('');
  const orderUrl = open.page.url();
  const applyUrl = await open.page.getAttribute('#apply-link', 'href');
  // The employee claims the invoice, so that the claims pages have a row to show.
  const employee = await signIn(d.company, d.tokens.company.employee);
  await employee.page.goto(d.company + '/scan');
  await employee.page.fill('#code', qrUrl);
  await employee.page.click('#read');
  await employee.page.waitForURL(/\/scan\?no=/);
  const scannedUrl = employee.page.url();
  await employee.page.click('#claim');
  await employee.page.waitForLoadState();
  states.employee = employee.state;
  states.finance = (await signIn(d.company, d.tokens.company.finance)).state;
  states.auditor = (await signIn(d.authority, d.tokens.authority.auditor)).state;
  states.merchant = (await signIn(d.merchant, d.tokens.merchant.merchant)).state;
  const soldOrderId = decodeURIComponent(new URL(sold.page.url()).pathname.split('/').pop());
  const merchantTaxId = '91440300MA5DQ3QP4X';
  pages.push(
    { name: 'merchant-home', url: d.merchant + '/' },
    { name: 'company-home', url: d.company + '/' },
    { name: 'authority-home', url: d.authority + '/' },
    { name: 'login', url: d.company + '/login' },
    { name: 'not-found', url: d.merchant + '/no/such/page' },
    { name: 'bad-apply-link', url: d.merchant + '/apply/0123456789abcdef0123456789abcdef' },
    { name: 'order', url: orderUrl },
    { name: 'apply', url: applyUrl },
    { name: 'invoice', url: invoiceUrl },
    { name: 'check', url: checkUrl },
    { name: 'scan', url: d.company + '/scan', as: 'employee' },
    { name: 'scan-checked', url: scannedUrl, as: 'employee' },
    { name: 'claims', url: d.company + '/claims', as: 'employee' },
    { name: 'finance-claims', url: d.company + '/claims', as: 'finance' },
    { name: 'merchant-console', url: d.merchant + '/merchant', as: 'merchant' },
    { name: 'merchant-invoices', url: d.merchant + '/merchant/invoices', as: 'merchant' },
    { name: 'merchant-order', url: `${d.merchant}/merchant/orders/${soldOrderId}`, as: 'merchant' },
    { name: 'audit', url: d.authority + '/audit', as: 'auditor' },
    { name: 'audit-invoice', url: `${d.authority}/audit/invoices/${no}`, as: 'auditor' },
    { name: 'audit-taxpayer', url: `${d.authority}/audit/taxpayers/${merchantTaxId}`, as: 'auditor' },
  );
  for (const c of [sold, open, employee]) await c.context.close();
}

async function visitAll(lang, locale) {
  made ??= makePages();
  await made;
  fs.mkdirSync(OUT, { recursive: true });
  const problems = [];
  for (const width of [390, 1280]) {
    for (const p of pages) {
      const context = await ctx.browser.newContext({
        viewport: { width, height: 844 }, locale, storageState: p.as ? states[p.as] : undefined });
      const page = await context.newPage();
      await page.goto(p.url);
      const where = `${p.name} (${lang}, ${width} px)`;
      const facts = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        lang: document.documentElement.lang,
        title: document.title,
        text: document.body ? document.body.innerText : '',
      }));
      if (facts.scrollWidth > facts.innerWidth + 1) problems.push(`${where}: ${facts.scrollWidth} px wide`);
      if (facts.lang !== lang) problems.push(`${where}: <html lang="${facts.lang}">`);
      if (!facts.title.trim()) problems.push(`${where}: empty <title>`);
      if (/^\s*[{[]/.test(facts.text) || facts.text.includes('{"')) problems.push(`${where}: raw JSON`);
      await page.addScriptTag({ content: AXE });
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
      });
      for (const v of violations) problems.push(`${where}: axe ${v}`);
      await page.screenshot({ path: path.join(OUT, `${p.name}-${lang}-${width}.png`), fullPage: true });
      await context.close();
    }
  }
  assert.deepEqual(problems, [], problems.join('\n'));
}

test('every page in Chinese fits a phone, has no raw JSON and no serious accessibility problem', async () => {
  await visitAll('zh-CN', 'zh-CN');
});

test('every page in English likewise', async () => {
  await visitAll('en', 'en-US');
});
