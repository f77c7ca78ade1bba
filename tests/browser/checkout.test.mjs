// The merchant's checkout simulator in a real browser: order -> signed WeChat Pay
// notification -> sealed invoice page with the amount in words and a QR code; a buyer name
// that is a script renders as text; the buyer application link issues on submit (a
// company's tax id may be typed in lower case).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { useDemoAndBrowser } from './demo_network.mjs';

const OUT = process.env.EINVOICE_TEST_OUTPUT || '.';
const ctx = useDemoAndBrowser();

// A page that records (and dismisses) every dialog: none may open.
async function newPage() {
  const page = await ctx.browser.newPage();
  page.dialogs = [];
  page.on('dialog', async (d) => { page.dialogs.push(d.message()); await d.dismiss(); });
  return page;
}

test('checkout simulator to invoice page, hostile buyer name rendered as text', async () => {
  const page = await newPage();
  await page.goto(ctx.demo.merchant + '/');
  await page.selectOption('#product', 'latte');
  await page.fill('#quantity', '2');
  await page.fill('#buyer', '<script>alert(1)</script>');
  await page.click('#pay');
  await page.waitForURL(/\/demo\/orders\//);
  const link = page.locator('a.invoice-link').first();
  await link.waitFor({ timeout: 15000 });
  await link.click();
  await page.waitForURL(/\/invoices\/\d{20}\?k=/);
  await page.waitForSelector('#status.sealed', { timeout: 15000 });
  assert.equal(await page.textContent('#amount-in-words'), '陆拾肆元整');
  assert.equal(await page.textContent('#amount'), '¥64.00');
  // The national layout: the unit price without tax (56.64 / 2), the drawer and the bureau.
  assert.equal((await page.textContent('#lines td.unit-price')).trim(), '28.32');
  assert.equal(await page.textContent('#drawer'), '王芳');
  assert.equal(await page.textContent('#tax-bureau'), '国家税务总局深圳市税务局（演示）');
  assert.equal(await page.textContent('#buyer-name'), '<script>alert(1)</script>');
  assert.equal(await page.locator('#qr svg path').count(), 1, 'the QR code is drawn');
  assert.deepEqual(page.dialogs, [], 'the buyer name must not run as script');
  fs.mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, 'invoice-page.png'), fullPage: true });
  await page.close();
});

test('buyer without a title applies through the link', async () => {
  const page = await newPage();
  await page.goto(ctx.demo.merchant + '/');
  await page.selectOption('#product', 'book');
  await page.click('#pay');
  await page.waitForURL(/\/demo\/orders\//);
  await page.click('#apply-link');
  await page.waitForURL(/\/apply\/[0-9a-f]{32}/);
  await page.check('#kind-company');
  await page.fill('#title', '北京海淀科技有限公司');
  await page.fill('#tax_id', '91110108MA01G7GK9N');  // one character off: refused, form kept
  await page.click('#submit');
  assert.match(await page.textContent('#error'), /校验码/);
  assert.equal(await page.inputValue('#title'), '北京海淀科技有限公司');
  assert.equal(await page.isChecked('#kind-company'), true);
  await page.fill('#tax_id', '91110108ma01g7gk9m');  // typed in lower case: taken in upper case
  await page.click('#submit');
  await page.click('#link');
  await page.waitForSelector('#status.sealed', { timeout: 15000 });
  assert.equal(await page.textContent('#buyer-name'), '北京海淀科技有限公司');
  assert.equal(await page.textContent('#buyer-tax-id'), '91110108MA01G7GK9M');
  assert.equal(await page.textContent('#amount-in-words'), '肆拾捌元整');
  assert.deepEqual(page.dialogs, []);
  await page.screenshot({ path: path.join(OUT, 'applied-invoice.png'), fullPage: true });
  await page.close();
});

test('the checkout simulator pays with Alipay too', async () => {
  const page = await newPage();
  await page.goto(ctx.demo.merchant + '/');
  await page.selectOption('#product', 'milk');
  await page.fill('#buyer', '张三');
  await page.check('#provider-alipay');
  await page.click('#pay');
  await page.waitForURL(/\/demo\/orders\//);
  const link = page.locator('a.invoice-link').first();
  await link.waitFor({ timeout: 15000 });
  await link.click();
  await page.waitForSelector('#status.sealed', { timeout: 15000 });
  assert.equal(await page.textContent('#amount'), '¥13.80');
  assert.deepEqual(page.dialogs, []);
  await page.close();
});
