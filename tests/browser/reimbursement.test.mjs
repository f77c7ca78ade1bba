// Reimbursement in a real browser: a customer checks out on the merchant's node; an employee
// of the company uploads the invoice's QR code picture on the company node's /scan page,
// sees it verified and claims it; finance settles it (confirming the dialog); the merchant's
// invoice page then says "settled". Pages read Chinese (no Accept-Language).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { useDemoAndBrowser } from './demo_network.mjs';

const OUT = process.env.EINVOICE_TEST_OUTPUT || '.';
const ctx = useDemoAndBrowser();

async function signIn(page, token) {
  await page.goto(ctx.demo.company + '/login?next=/scan');
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.waitForURL(/\/scan$/);
}

test('scan the QR picture, claim, settle; the merchant sees it settled', async () => {
  fs.mkdirSync(OUT, { recursive: true });
  const customer = await ctx.browser.newPage();
  await customer.goto(ctx.demo.merchant + '/');
  await customer.selectOption('#product', 'service');
  await customer.fill('#quantity', '3');
  await customer.fill('#buyer', '李四');
  await customer.click('#pay');
  await customer.waitForURL(/\/demo\/orders\//);
  const link = customer.locator('a.invoice-link').first();
  await link.waitFor({ timeout: 15000 });
  await link.click();
  await customer.waitForURL(/\/invoices\/\d{20}\?k=/);
  await customer.waitForSelector('#status.sealed', { timeout: 15000 });
  const invoiceUrl = customer.url();
  const [, no, k] = invoiceUrl.match(/\/invoices\/(\d{20})\?k=([0-9a-f]{16})/);
  // The picture the employee has: the invoice's QR code as a PNG file.
  const png = Buffer.from(await (await fetch(`${ctx.demo.merchant}/invoices/${no}.png?k=${k}`)).arrayBuffer());
  const pngPath = path.join(OUT, 'invoice-qr.png');
  fs.writeFileSync(pngPath, png);

  const employee = await ctx.browser.newContext().then((c) => c.newPage());
  await signIn(employee, ctx.demo.tokens.company.employee);
  await employee.setInputFiles('#photo', pngPath);
  await employee.click('#read');
  await employee.waitForURL(/\/scan\?no=/);
  assert.match(await employee.textContent('#verdict'), /真票/);
  assert.equal(await employee.textContent('#invoice-no'), no);
  assert.equal(await employee.textContent('#total'), '¥31.80');
  assert.equal(await employee.textContent('#reimbursement'), '未报销');
  await employee.screenshot({ path: path.join(OUT, 'scan-verified.png'), fullPage: true });
  await employee.click('#claim');
  await employee.waitForURL(/\/claims\?done=claimed$/);
  assert.match(await employee.textContent('#notice'), /已提交报销/);
  assert.equal((await employee.textContent(`#claim-${no} .status-cell`)).trim(), '待审核');

  // Scanning it again (the next invoice, as it were) shows it locked, with no claim button.
  await employee.click('#scan-another');
  await employee.waitForURL(/\/scan$/);
  await employee.setInputFiles('#photo', pngPath);
  await employee.click('#read');
  await employee.waitForURL(/\/scan\?no=/);
  assert.equal(await employee.textContent('#reimbursement'), '报销中（已锁定）');
  assert.equal(await employee.locator('#claim').count(), 0);

  const finance = await ctx.browser.newContext().then((c) => c.newPage());
  await signIn(finance, ctx.demo.tokens.company.finance);
  await finance.goto(ctx.demo.company + '/claims');
  // Settling asks first: the dialog names the invoice; accepting it posts the form.
  const asked = [];
  finance.on('dialog', async (d) => { asked.push(d.message()); await d.accept(); });
  await finance.click(`#claim-${no} button.settle`);
  await finance.waitForURL(/\/claims\?done=settled$/);
  await finance.waitForSelector('#notice');
  assert.equal(asked.length, 1);
  assert.match(asked[0], new RegExp(no));
  assert.equal((await finance.textContent(`#claim-${no} .status-cell`)).trim(), '已付款');
  await finance.screenshot({ path: path.join(OUT, 'claims-settled.png'), fullPage: true });

  // The merchant's invoice page, from its own replica: settled, with the trace.
  let state = '';
  for (let i = 0; i < 50 && state !== 'settled'; i++) {
    await customer.goto(invoiceUrl);
    state = await customer.getAttribute('#reimbursement', 'data-state');
    if (state !== 'settled') await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(state, 'settled');
  assert.equal(await customer.locator('#lifecycle tr.step-claimed').count(), 1);
  assert.equal(await customer.locator('#lifecycle tr.step-settled').count(), 1);
  await customer.screenshot({ path: path.join(OUT, 'invoice-settled.png'), fullPage: true });
});

test('a picture without a code, and a forged link, are explained', async () => {
  const page = await ctx.browser.newContext().then((c) => c.newPage());
  await signIn(page, ctx.demo.tokens.company.employee);
  const blank = path.join(OUT, 'blank.png');
  // A white picture with some text, drawn by the browser itself: no code in it.
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 320; c.height = 200;
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 320, 200);
    g.fillStyle = '#000'; g.font = '24px sans-serif'; g.fillText('收据 receipt', 40, 100);
    return c.toDataURL('image/png');
  });
  fs.writeFileSync(blank, Buffer.from(dataUrl.split(',')[1], 'base64'));
  await page.setInputFiles('#photo', blank);
  await page.click('#read');
  assert.match(await page.textContent('#error'), /未识别到二维码/);
  await page.fill('#code', 'https://evil.example/r/26441000000000000001?h=0000000000000000&a=1.00');
  await page.click('#read');
  assert.match(await page.textContent('#error'), /不是本网络的发票二维码/);
});
