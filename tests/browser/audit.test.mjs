// The bureau's dashboard and the standalone report in a real browser: an auditor signs in
// on the authority, sees the charts and the anomalies, follows an anomaly's links to the
// invoice's lifecycle and inclusion proof and to the taxpayer's drill-down; then the same
// figures as `einvoice audit report` writes them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { useDemoAndBrowser } from './demo_network.mjs';

const OUT = process.env.EINVOICE_TEST_OUTPUT || '.';
const BIN = process.env.EINVOICE_BIN_DIR;
const ctx = useDemoAndBrowser();

async function api(base, token, method, uri, body) {
  const r = await fetch(base + uri, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

test('dashboard: charts, anomalies and their links; the report file', async () => {
  const { demo, browser } = ctx;
  fs.mkdirSync(OUT, { recursive: true });
  // Two sales through the checkout simulator.
  const page = await browser.newPage();
  for (const product of ['latte', 'book']) {
    await page.goto(demo.merchant + '/');
    await page.selectOption('#product', product);
    await page.fill('#buyer', '王五');
    await page.click('#pay');
    await page.waitForURL(/\/demo\/orders\//);
    await page.locator('a.invoice-link').first().waitFor({ timeout: 15000 });
  }
  let invoices = [];
  for (let i = 0; i < 50 && invoices.filter((x) => x.status === 'sealed').length < 2; i++) {
    invoices = (await api(demo.merchant, demo.tokens.merchant.merchant, 'GET', '/v1/invoices')).json.invoices;
    await new Promise((r) => setTimeout(r, 200));
  }
  const inv = invoices[0];
  // The payment platform's report: one payment with another amount, one never invoiced.
  const threeDaysAgo = new Date(Date.now() - 3 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  const reported = await api(demo.authority, demo.tokens.authority.auditor, 'POST', '/v1/audit/payments', {
    payments: [
      { seller: inv.seller.tax_id, payment_id: inv.payment_id, amount_fen: inv.total_fen + 100, paid_at: threeDaysAgo },
      { seller: inv.seller.tax_id, payment_id: 'T-NEVER-INVOICED', amount_fen: 4200, paid_at: threeDaysAgo },
    ],
  });
  assert.equal(reported.status, 200);

  const auditor = await browser.newContext().then((c) => c.newPage());
  await auditor.goto(demo.authority + '/audit');
  await auditor.waitForURL(/\/login/);
  await auditor.fill('#token', demo.tokens.authority.auditor);
  await auditor.click('#sign-in');
  await auditor.waitForURL(/\/audit$/);
  await auditor.click('#verify');
  await auditor.waitForURL(/\/audit$/);
  assert.match(await auditor.textContent('#verify-result'), /^校验通过/);
  assert.equal(await auditor.locator('figure.chart svg').count(), 2, 'two charts');
  assert.ok(await auditor.locator('figure.chart svg rect.bar').count() >= 2, 'bars drawn from the data');
  assert.equal(await auditor.locator('tr.rule-payment_amount_differs').count(), 1);
  assert.equal(await auditor.locator('tr.rule-payment_without_invoice').count(), 1);
  await auditor.screenshot({ path: path.join(OUT, 'audit-dashboard.png'), fullPage: true });
  // On a phone the dashboard fits: the tables of records become cards.
  await auditor.setViewportSize({ width: 390, height: 844 });
  assert.ok(await auditor.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no horizontal scrolling at 390 px');
  await auditor.screenshot({ path: path.join(OUT, 'audit-dashboard-phone.png'), fullPage: true });
  await auditor.setViewportSize({ width: 1280, height: 800 });

  // The anomaly's invoice link: its lifecycle and inclusion proof.
  await auditor.click('tr.rule-payment_amount_differs a.invoice-link');
  await auditor.waitForURL(/\/audit\/invoices\/\d{20}$/);
  assert.equal(await auditor.textContent('#invoice'), `蓝字发票 ${inv.invoice_no}`);
  assert.match(await auditor.textContent('#proof-verdict'), /^✔/);
  assert.equal(await auditor.locator('#lifecycle tr.step-issued').count(), 1);
  await auditor.screenshot({ path: path.join(OUT, 'audit-invoice.png'), fullPage: true });
  // And the taxpayer's drill-down.
  await auditor.goBack();
  await auditor.click('tr.rule-payment_without_invoice a.taxpayer-link');
  await auditor.waitForURL(/\/audit\/taxpayers\//);
  assert.match(await auditor.textContent('#taxpayer'), new RegExp(inv.seller.tax_id));
  assert.ok(await auditor.locator('#invoices tr').count() >= 3);
  // The invoices as CSV, with a byte order mark so that Excel reads the Chinese.
  const csv = await auditor.request.get(demo.authority + `/audit/taxpayers/${inv.seller.tax_id}/invoices.csv`);
  assert.equal(csv.headers()['content-type'], 'text/csv; charset=utf-8');
  const csvBytes = await csv.body();
  assert.deepEqual([...csvBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.ok(csvBytes.toString('utf8').includes(`${inv.invoice_no},蓝字发票,`));

  // The search: an invoice number goes to its page; anything else is explained.
  await auditor.goto(demo.authority + '/audit');
  await auditor.fill('#q', inv.invoice_no);
  await auditor.click('#search-submit');
  await auditor.waitForURL(new RegExp(`/audit/invoices/${inv.invoice_no}$`));
  await auditor.goto(demo.authority + '/audit');
  await auditor.fill('#q', 'hello');
  await auditor.click('#search-submit');
  await auditor.locator('#search-error').waitFor();

  // The standalone report from the authority's database.
  const report = path.join(OUT, 'audit-report.html');
  execFileSync(path.join(BIN, 'einvoice'), ['audit', 'report', '--node-db', path.join(demo.dir, 'var/authority/node.db'),
                                           '--out', report]);
  const file = await browser.newPage();
  await file.goto('file://' + report);
  assert.match(await file.textContent('#verify-result'), /^校验通过/);
  assert.equal(await file.locator('figure.chart svg').count(), 2);
  assert.ok(await file.locator('figure.chart svg rect.bar').count() >= 2);
  assert.equal(await file.locator('tr.rule-payment_without_invoice').count(), 1);
  assert.equal(await file.locator('a').count(), 0, 'the report stands alone: no links out');
  await file.screenshot({ path: path.join(OUT, 'audit-report.png'), fullPage: true });
});
