#!/usr/bin/env node
// Browser test of the chat page: starts the real brandchat binary, drives /ui/ in Debian's
// headless Chromium through playwright-core, and checks what a shopper sees and what goes over
// the WebSocket; then that /docs renders the API documents with nothing fetched from elsewhere.
// Never downloads a browser.
//
//   node chat.test.mjs <brandchat-binary> <resources-dir> <screenshot.png> [<mobile-screenshot.png>]
//
// Environment: BRANDCHAT_CHROMIUM (default /usr/bin/chromium), BRANDCHAT_BROWSER_TEST_TIMEOUT_MS
// (default 120000), BRANDCHAT_TEST_VERBOSE=1 to echo the server's output.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium } from 'playwright-core';

import { freePort } from '../support/free_port.mjs';

const [binaryArg, resourcesArg, screenshotArg, mobileScreenshotArg] = process.argv.slice(2);
if (!binaryArg || !resourcesArg || !screenshotArg) {
  console.error('usage: node chat.test.mjs <brandchat-binary> <resources-dir> <screenshot.png> [<mobile-screenshot.png>]');
  process.exit(2);
}
const BINARY = path.resolve(binaryArg);
const RESOURCES = path.resolve(resourcesArg);
const SCREENSHOT = path.resolve(screenshotArg);
const MOBILE_SCREENSHOT = mobileScreenshotArg ? path.resolve(mobileScreenshotArg) : null;
const CHROMIUM = process.env.BRANDCHAT_CHROMIUM || '/usr/bin/chromium';
const OVERALL_TIMEOUT_MS = Number(process.env.BRANDCHAT_BROWSER_TEST_TIMEOUT_MS || 120_000);
const VERBOSE = process.env.BRANDCHAT_TEST_VERBOSE === '1';
// The management API's key for this test's servers (they inherit the environment).
const ADMIN_KEY = 'browser-test-admin-key';
process.env.BRANDCHAT_ADMIN_KEY = ADMIN_KEY;
const WORD_DELAY_MS = 25;
const PRICE_PATTERN = /^Rp \d{1,3}(\.\d{3})+$/;

const BUSINESS_LAPTOP = 'I need a laptop for business work';

// --- bookkeeping -------------------------------------------------------------------------------

const results = [];
const serverLog = [];
const pageErrors = [];
const consoleErrors = [];
const frames = []; // {dir: 'sent'|'received', at, socket, url, msg}
let socketCount = 0;
let server = null;
let browser = null;
let finished = false;

function log(line) {
  serverLog.push(line);
  if (serverLog.length > 300) serverLog.shift();
  if (VERBOSE) console.log(line);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}`);
    throw err;
  }
  results.push({ name, ok: true });
  console.log(`ok - ${name} (${Date.now() - started} ms)`);
}

// --- the server --------------------------------------------------------------------------------

class ServerProcess {
  static count = 0;

  constructor(port) {
    this.port = port;
    this.label = `server#${++ServerProcess.count}`;
    this.exitInfo = null;
  }

  start() {
    const args = ['--port', String(this.port), '--resources', RESOURCES, '--word-delay-ms', String(WORD_DELAY_MS), '--database', ':memory:'];
    log(`[${this.label}] $ ${BINARY} ${args.join(' ')}`);
    this.child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        log(`[${this.label}] exited (code ${code}, signal ${signal})`);
        resolve();
      });
      this.child.on('error', (err) => {
        this.exitInfo = { error: err.message };
        log(`[${this.label}] could not start: ${err.message}`);
        resolve();
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop();
        for (const line of lines) log(`[${this.label}] ${line}`);
      });
    }
    return this;
  }

  async waitHealthy(timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new Error(`${this.label} exited before answering GET /health: ${JSON.stringify(this.exitInfo)}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
        lastProblem = `HTTP ${response.status}`;
      } catch (err) {
        lastProblem = err.cause?.code ?? err.message;
      }
      await sleep(100);
    }
    throw new Error(`${this.label} did not answer GET /health within ${timeoutMs} ms (last: ${lastProblem})`);
  }

  async stop() {
    if (!this.child || this.exitInfo) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
    if (!stopped) {
      log(`[${this.label}] still running 3 s after SIGTERM; sending SIGKILL`);
      console.log(`    note: ${this.label} was still running 3 s after SIGTERM; killed it with SIGKILL`);
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

// --- frames ------------------------------------------------------------------------------------

function watchSockets(page) {
  page.on('websocket', (ws) => {
    const socket = ++socketCount;
    const record = (dir) => (frame) => {
      const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8');
      let msg;
      try { msg = JSON.parse(text); } catch { msg = { unparsed: text }; }
      frames.push({ dir, at: Date.now(), socket, url: ws.url(), msg });
    };
    ws.on('framesent', record('sent'));
    ws.on('framereceived', record('received'));
  });
}

function describeFrame(f) {
  const text = JSON.stringify(f.msg);
  return `#${f.socket} ${f.dir === 'sent' ? '→' : '←'} ${text.length > 160 ? `${text.slice(0, 160)}…` : text}`;
}

/** Waits for a frame at index >= `from` that satisfies `predicate`. */
async function waitForFrame(what, predicate, { from = 0, timeout = 10_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (let i = from; i < frames.length; i += 1) {
      if (predicate(frames[i])) return { ...frames[i], index: i };
    }
    if (Date.now() > deadline) {
      const recent = frames.slice(Math.max(from, frames.length - 8)).map(describeFrame).join('\n    ');
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; frames since then:\n    ${recent || '(none)'}`);
    }
    await sleep(20);
  }
}

const sentOfType = (type) => (f) => f.dir === 'sent' && f.msg?.type === type;
const receivedOfType = (type) => (f) => f.dir === 'received' && f.msg?.type === type;

// --- page helpers ------------------------------------------------------------------------------

const BOT = '[data-testid="bot-message"]';

async function botCount(page) {
  return page.locator(BOT).count();
}

/** Records, every animation frame, the text length and state of the newest bot bubble. */
async function startSampling(page) {
  await page.evaluate(() => {
    const samples = [];
    window.__replySamples = samples;
    const tick = () => {
      const bubbles = document.querySelectorAll('[data-testid="bot-message"]');
      const last = bubbles[bubbles.length - 1];
      if (last) samples.push({ count: bubbles.length, state: last.dataset.state, length: last.textContent.length });
      window.__replySampler = requestAnimationFrame(tick);
    };
    tick();
  });
}

async function stopSampling(page) {
  return page.evaluate(() => {
    cancelAnimationFrame(window.__replySampler);
    return window.__replySamples;
  });
}

/** Types a message and presses Enter, as a keyboard user would. */
async function sendByKeyboard(page, text) {
  const input = page.getByTestId('message-input');
  await input.fill(text);
  await input.press('Enter');
}

/** Waits until bot bubble number `n` (1-based) has stopped streaming; returns its state. */
async function waitReplyDone(page, n, timeout = 20_000) {
  await page.waitForFunction((count) => {
    const bubble = document.querySelectorAll('[data-testid="bot-message"]')[count - 1];
    return bubble && bubble.dataset.state !== 'streaming';
  }, n, { timeout });
  return page.locator(BOT).nth(n - 1).getAttribute('data-state');
}

function rupiah(value) {
  return `Rp ${BigInt(Math.round(value)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
}

async function checkStatic(base) {
  const expect = [
    ['/ui/', /^text\/html/],
    ['/ui/app.js', /^(text|application)\/javascript/],
    ['/ui/chat-client.js', /^(text|application)\/javascript/],
    ['/ui/format.js', /^(text|application)\/javascript/],
    ['/ui/style.css', /^text\/css/],
  ];
  for (const [url, type] of expect) {
    const response = await fetch(base + url, { signal: AbortSignal.timeout(3000) });
    assert.equal(response.status, 200, `GET ${url} answered HTTP ${response.status}`);
    const contentType = response.headers.get('content-type') ?? '(none)';
    assert.match(contentType, type, `GET ${url} has Content-Type ${contentType}; browsers refuse ES modules and stylesheets served with the wrong type`);
  }
}

// --- the test ----------------------------------------------------------------------------------

async function run() {
  assert.ok(fs.existsSync(BINARY), `no server binary at ${BINARY} (build it first)`);
  assert.ok(fs.existsSync(path.join(RESOURCES, 'ui', 'index.html')), `no ui/index.html under ${RESOURCES}`);
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = new ServerProcess(port).start();

  await step('server starts and answers GET /health', () => server.waitHealthy());
  await step('/ui/ static files are served with the right content types', () => checkStatic(base));

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  watchSockets(page);

  let firstConversationId = null;

  await step('/ui/?brand=techpro loads and shows the welcome message', async () => {
    const mark = frames.length;
    await page.goto(`${base}/ui/?brand=techpro`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'chat', null, { timeout: 10_000 })
      .catch(() => { throw new Error(`app.js never started; page errors: ${pageErrors.join('; ') || 'none'}; console errors: ${consoleErrors.join('; ') || 'none'}`); });
    const welcome = await waitForFrame('the welcome message', receivedOfType('welcome'), { from: mark });
    assert.equal(welcome.msg.data?.brand_id, 'techpro', 'welcome.data.brand_id');
    assert.ok(welcome.msg.data?.message, 'welcome.data.message is empty');
    assert.match(welcome.url, /\/ws\/chat\/techpro$/, 'the page opened the WebSocket at /ws/chat/techpro');
    const shown = page.getByTestId('welcome');
    await shown.waitFor({ state: 'visible' });
    assert.equal((await shown.getByTestId('bot-text').textContent()).trim(), welcome.msg.data.message.trim());
    await page.waitForSelector('[data-testid="status"][data-state="connected"]');
    assert.match(await page.getByTestId('status').textContent(), /connected/i);
  });

  await step(`"${BUSINESS_LAPTOP}" gets a reply that visibly streams`, async () => {
    const before = await botCount(page);
    await startSampling(page);
    const mark = frames.length;
    await sendByKeyboard(page, BUSINESS_LAPTOP);
    const chat = await waitForFrame('the chat frame', sentOfType('chat'), { from: mark });
    assert.equal(chat.msg.data?.message, BUSINESS_LAPTOP);
    assert.equal(chat.msg.data?.voice, false, 'voice is false while the voice toggle is off');
    const complete = await waitForFrame('the complete frame', receivedOfType('complete'), { from: mark, timeout: 20_000 });
    assert.equal(await waitReplyDone(page, before + 1), 'complete');
    const samples = (await stopSampling(page)).filter((s) => s.count === before + 1 && s.state === 'streaming');

    const chunks = frames.slice(mark, complete.index).filter(receivedOfType('chunk'));
    assert.ok(chunks.length >= 3, `expected the server to stream at least 3 chunks, got ${chunks.length}`);
    for (const chunk of chunks) {
      assert.equal(chunk.msg.data?.is_final, false, 'chunk.is_final');
      assert.equal(typeof chunk.msg.data?.content, 'string', 'chunk.content');
    }
    assert.equal(complete.msg.data?.is_final, true, 'complete.is_final');
    firstConversationId = complete.msg.data?.conversation_id;
    assert.ok(typeof firstConversationId === 'string' && firstConversationId, 'complete.conversation_id is a non-empty string');

    const lengths = samples.map((s) => s.length);
    for (let i = 1; i < lengths.length; i += 1) {
      assert.ok(lengths[i] >= lengths[i - 1], `the streaming reply shrank from ${lengths[i - 1]} to ${lengths[i]} characters`);
    }
    const distinct = [...new Set(lengths)];
    assert.ok(distinct.length >= 3,
      `the reply should grow over several frames before completing; saw lengths ${JSON.stringify(distinct)} in ${samples.length} frames`);

    const expected = chunks.map((c) => c.msg.data.content).join('') + (complete.msg.data.content ?? '');
    const bubble = page.locator(BOT).nth(before);
    assert.equal(await bubble.getByTestId('bot-text').textContent(), expected, 'the bubble shows exactly the streamed text');
    console.log(`    streamed ${chunks.length} chunks; the page showed ${distinct.length} distinct lengths over ${samples.length} frames`);
  });

  await step('product cards show rupiah prices, availability, key features and specifications', async () => {
    const complete = frames.filter(receivedOfType('complete')).at(-1);
    const products = complete.msg.data.suggested_products;
    assert.ok(Array.isArray(products) && products.length > 0,
      `the server suggested no products for "${BUSINESS_LAPTOP}": ${JSON.stringify(products)}`);
    const bubble = page.locator(BOT).last();
    const cards = bubble.getByTestId('product-card');
    assert.equal(await cards.count(), products.length, 'one card per suggested product');
    for (let i = 0; i < products.length; i += 1) {
      const card = cards.nth(i);
      const product = products[i];
      assert.equal((await card.locator('.product-name').textContent()).trim(), product.name);
      const price = (await card.getByTestId('product-price').textContent()).trim();
      assert.match(price, PRICE_PATTERN, `price of ${product.name}`);
      assert.equal(price, rupiah(product.price), `price of ${product.name} (${product.price})`);
      const availability = (await card.getByTestId('availability').textContent()).trim();
      assert.equal(availability, product.availability ? 'In stock' : 'Out of stock', `availability of ${product.name}`);
      if (product.features?.length) {
        assert.ok(await card.locator('.features li').count() > 0, `key features of ${product.name}`);
      }
    }
    if (Object.keys(products[0].specifications ?? {}).length) {
      const details = cards.first().locator('details');
      assert.equal(await details.locator('dl').isVisible(), false, 'specifications start folded');
      await details.locator('summary').focus();
      await page.keyboard.press('Enter');
      await details.locator('dl').waitFor({ state: 'visible' });
      const firstKey = Object.keys(products[0].specifications)[0];
      assert.ok((await details.locator('dl').textContent()).includes(String(products[0].specifications[firstKey])),
        'the specification values are listed');
      await page.keyboard.press('Enter');
      await details.locator('dl').waitFor({ state: 'hidden' });
    }
  });

  await step('the match confidence shows as a percentage', async () => {
    const complete = frames.filter(receivedOfType('complete')).at(-1);
    const score = complete.msg.data.confidence_score;
    assert.equal(typeof score, 'number', `confidence_score should be a number when products are suggested, got ${JSON.stringify(score)}`);
    const confidence = page.locator(BOT).last().getByTestId('confidence');
    await confidence.waitFor({ state: 'visible' });
    const text = await confidence.textContent();
    assert.ok(text.includes(`${Math.round(score * 100)}%`), `confidence text "${text}" should show ${Math.round(score * 100)}% (score ${score})`);
  });

  await step('screenshots of a reply with product cards', async () => {
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.evaluate(() => { document.activeElement?.blur(); });
    await page.screenshot({ path: SCREENSHOT });
    if (MOBILE_SCREENSHOT) {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator(BOT).last().getByTestId('product-card').first().scrollIntoViewIfNeeded();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px wide`);
      fs.mkdirSync(path.dirname(MOBILE_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: MOBILE_SCREENSHOT });
      await page.setViewportSize({ width: 1280, height: 860 });
    }
    console.log(`    saved ${SCREENSHOT}${MOBILE_SCREENSHOT ? ` and ${MOBILE_SCREENSHOT}` : ''}`);
  });

  await step('at 360px wide nothing overflows and the composer stays usable', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 360px wide`);
    for (const id of ['message-input', 'send', 'voice-toggle']) {
      const box = await page.getByTestId(id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360 && box.y + box.height <= 740, `${id} is on screen at 360px: ${JSON.stringify(box)}`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await step('the voice toggle makes the next chat frame carry voice: true', async () => {
    const toggle = page.getByTestId('voice-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.focus();
    await page.keyboard.press('Space');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true', 'the toggle is pressed after Space');
    const before = await botCount(page);
    const mark = frames.length;
    await sendByKeyboard(page, 'What is your cheapest laptop?');
    const chat = await waitForFrame('the voice chat frame', sentOfType('chat'), { from: mark });
    assert.equal(chat.msg.data?.voice, true, `chat frame: ${JSON.stringify(chat.msg)}`);
    assert.equal(chat.msg.data?.conversation_id, firstConversationId, 'the second chat continues the conversation');
    const complete = await waitForFrame('the voice reply', receivedOfType('complete'), { from: mark, timeout: 20_000 });
    assert.equal(complete.msg.data?.conversation_id, firstConversationId, 'the server kept the conversation_id');
    assert.equal(await waitReplyDone(page, before + 1), 'complete');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  });

  await step('Stop sends cancel and the server ends the reply with complete', async () => {
    const before = await botCount(page);
    const mark = frames.length;
    await sendByKeyboard(page, 'Tell me about all your business laptops in detail, one by one');
    const stop = page.getByTestId('stop');
    await stop.waitFor({ state: 'visible' });
    await waitForFrame('the first chunk', receivedOfType('chunk'), { from: mark, timeout: 10_000 });
    const completedEarly = frames.slice(mark).find(receivedOfType('complete'));
    assert.ok(!completedEarly, 'the reply completed before Stop could be pressed (too short to test cancel)');
    await stop.click();
    const cancel = await waitForFrame('the cancel frame', sentOfType('cancel'), { from: mark, timeout: 2000 });
    assert.deepEqual(cancel.msg, { type: 'cancel', data: {} });
    const complete = await waitForFrame('the complete frame answering cancel', receivedOfType('complete'),
      { from: cancel.index, timeout: 5000 });
    assert.equal(await waitReplyDone(page, before + 1, 5000), 'stopped');
    await sleep(300);
    const late = frames.slice(complete.index + 1).filter(receivedOfType('chunk'));
    assert.equal(late.length, 0, `the server kept streaming after complete: ${late.map(describeFrame).join(', ')}`);
    assert.equal(await page.getByTestId('stop').isVisible(), false, 'Stop hides once the reply ended');
    assert.equal(await page.getByTestId('send').isVisible(), true, 'Send is back');
    const chunksBeforeCancel = frames.slice(mark, cancel.index).filter(receivedOfType('chunk')).length;
    const chunksAfterCancel = frames.slice(cancel.index, complete.index).filter(receivedOfType('chunk')).length;
    console.log(`    ${chunksBeforeCancel} chunks before cancel, ${chunksAfterCancel} in flight after it`);
  });

  await step('ping is answered with pong', async () => {
    const mark = frames.length;
    assert.equal(await page.evaluate(() => globalThis.brandchat.client.sendPing()), true);
    const pong = await waitForFrame('pong', receivedOfType('pong'), { from: mark, timeout: 3000 });
    assert.equal(typeof pong.msg.data?.timestamp, 'string', `pong: ${JSON.stringify(pong.msg)}`);
  });

  await step('an Indonesian conversation in the English shop gets Indonesian labels, an English one English again', async () => {
    const before = await botCount(page);
    await sendByKeyboard(page, 'Saya mau laptop gaming yang murah, ada?');
    assert.equal(await waitReplyDone(page, before + 1), 'complete');
    const bubble = page.locator(BOT).last();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'id');
    assert.equal((await page.getByTestId('send').textContent()).trim(), 'Kirim');
    assert.ok(await bubble.getByTestId('product-card').count() > 0, 'the Indonesian reply shows product cards');
    {
      assert.equal((await bubble.locator('.products-title').textContent()).trim(), 'Produk yang disarankan');
      for (const text of await bubble.getByTestId('availability').allTextContents()) {
        assert.ok(['Tersedia', 'Stok habis'].includes(text.trim()), `availability "${text}"`);
      }
      assert.match(await bubble.getByTestId('confidence').textContent(), /Tingkat kecocokan/);
    }
    await sendByKeyboard(page, 'I need a laptop for business work');
    assert.equal(await waitReplyDone(page, before + 2), 'complete');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    const english = page.locator(BOT).last();
    assert.equal((await english.locator('.products-title').textContent()).trim(), 'Suggested products');
  });

  await step('a product with a picture and a page shows both on its card', async () => {
    // A one-pixel PNG, served for the picture's address so nothing leaves the machine.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    await context.route('https://images.brandchat.test/**', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: png }));
    const product = {
      id: 'mouse-77', name: 'Logitech MX Anywhere 3S Mouse', category: 'Accessory', price: 999000,
      image_url: 'https://images.brandchat.test/mx-anywhere-3s.png', url: 'https://techpro.example/p/mouse-77',
    };
    const added = await fetch(`${base}/brands/techpro/products`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify(product),
    });
    assert.equal(added.status, 200, await added.text());
    const before = await botCount(page);
    await sendByKeyboard(page, 'Do you have the Logitech MX Anywhere 3S mouse?');
    assert.equal(await waitReplyDone(page, before + 1), 'complete');
    const card = page.locator(BOT).last().locator('[data-product-id="mouse-77"]');
    await card.waitFor();
    const image = card.getByTestId('product-image');
    assert.equal(await image.getAttribute('src'), product.image_url);
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await image.elementHandle());
    const link = card.getByTestId('product-link');
    assert.equal(await link.getAttribute('href'), product.url);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal((await link.textContent()).trim(), 'View in the shop');
    // The other cards have neither.
    const others = page.locator(BOT).last().locator('[data-testid="product-card"]:not([data-product-id="mouse-77"])');
    assert.equal(await others.locator('[data-testid="product-image"], [data-testid="product-link"]').count(), 0);
  });

  await step('the picker lists the active brands (techpro, rumahkita) and not oldmart', async () => {
    const active = await (await fetch(`${base}/brands/active`)).json();
    const pickerContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const picker = await pickerContext.newPage();
      picker.setDefaultTimeout(10_000);
      picker.on('pageerror', (err) => pageErrors.push(`picker: ${err.name}: ${err.message}`));
      await picker.goto(`${base}/ui/`);
      await picker.getByTestId('brand-picker').locator('[data-testid="brand-option"]').first().waitFor();
      const ids = await picker.getByTestId('brand-option').evaluateAll((items) => items.map((li) => li.dataset.brandId));
      assert.ok(ids.includes('techpro'), `picker lists ${JSON.stringify(ids)}`);
      assert.ok(ids.includes('rumahkita'), `picker lists ${JSON.stringify(ids)}`);
      assert.ok(!ids.includes('oldmart'), `picker lists the inactive oldmart: ${JSON.stringify(ids)}`);
      assert.deepEqual([...ids].sort(), active.map((b) => b.id).sort(), 'picker shows exactly GET /brands/active');

      // Keyboard: follow the rumahkita link and chat in Indonesian.
      await picker.locator('[data-brand-id="rumahkita"] a').focus();
      await Promise.all([picker.waitForURL(/\?brand=rumahkita$/), picker.keyboard.press('Enter')]);
      await picker.getByTestId('welcome').waitFor({ state: 'visible' });
      assert.equal(await picker.evaluate(() => document.documentElement.lang), 'id');
      assert.equal((await picker.getByTestId('send').textContent()).trim(), 'Kirim');
      const input = picker.getByTestId('message-input');
      await input.fill('Saya butuh kulkas yang hemat energi');
      await input.press('Enter');
      await waitReplyDone(picker, 1);
      const availability = await picker.locator(`${BOT} [data-testid="availability"]`).allTextContents();
      for (const text of availability) assert.ok(['Tersedia', 'Stok habis'].includes(text.trim()), `availability "${text}"`);
      for (const price of await picker.locator(`${BOT} [data-testid="product-price"]`).allTextContents()) {
        assert.match(price.trim(), PRICE_PATTERN);
      }
      console.log(`    rumahkita reply showed ${availability.length} product card(s): ${JSON.stringify(availability)}`);

      // "Change shop" leads to the picker with the shop chatted with first, marked.
      const change = picker.getByTestId('change-shop');
      assert.equal(await change.getAttribute('href'), '/ui/?from=rumahkita');
      await Promise.all([picker.waitForURL(/\?from=rumahkita$/), change.click()]);
      await picker.getByTestId('brand-option').first().waitFor();
      const order = await picker.getByTestId('brand-option').evaluateAll((items) => items.map((li) => li.dataset.brandId));
      assert.equal(order[0], 'rumahkita', `picker order ${JSON.stringify(order)}`);
      assert.equal(await picker.locator('[data-brand-id="rumahkita"] a').getAttribute('aria-current'), 'true');
      assert.equal(await picker.getByTestId('current-brand').count(), 1);
      await picker.goto(`${base}/ui/?from=techpro`);
      await picker.getByTestId('brand-option').first().waitFor();
      assert.equal(await picker.getByTestId('brand-option').first().getAttribute('data-brand-id'), 'techpro');

      await picker.goto(`${base}/ui/?brand=oldmart`);
      const error = picker.getByTestId('error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /oldmart/, 'the error names the brand');
    } finally {
      await pickerContext.close();
    }
  });

  await step('/docs renders both API documents, loading nothing but this server\'s files', async () => {
    const [openapi, asyncapi] = await Promise.all(['/openapi.json', '/asyncapi.json'].map(async (u) => (await fetch(base + u)).json()));
    const docsContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const elsewhere = [];
    const requested = [];
    const problems = [];
    await docsContext.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === base) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    try {
      const docs = await docsContext.newPage();
      docs.setDefaultTimeout(10_000);
      docs.on('request', (request) => requested.push(new URL(request.url())));
      docs.on('pageerror', (err) => problems.push(`${err.name}: ${err.message}`));
      docs.on('console', (message) => {
        if (['error', 'warning'].includes(message.type())) problems.push(`console ${message.type()}: ${message.text()}`);
      });
      const response = await docs.goto(`${base}/docs`);
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'none'/, 'the page is served with its Content-Security-Policy');
      await docs.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 10_000 });
      assert.equal(await docs.evaluate(() => document.documentElement.dataset.ready), 'docs',
        `the page did not render: ${await docs.locator('#state').textContent().catch(() => '?')}`);

      const operations = Object.values(openapi.paths).flatMap((item) => Object.keys(item)).length;
      assert.equal(await docs.getByTestId('operation').count(), operations, 'one section per documented operation');
      const bulk = docs.locator('[data-testid="operation"][data-method="post"][data-path="/brands/{brand_id}/products/bulk"]');
      await bulk.waitFor({ state: 'visible' });
      assert.equal((await bulk.locator('h4').textContent()).replace(/\s+/g, ' ').trim(), 'POST /brands/{brand_id}/products/bulk');
      const bulkText = await bulk.textContent();
      for (const expected of ['Import many products, all or nothing', 'A key of the brand it acts on', 'Request body', 'price', '422', '413']) {
        assert.ok(bulkText.includes(expected), `the bulk import's section shows "${expected}"`);
      }
      assert.ok((await docs.locator('[data-method="get"][data-path="/health"] .auth').textContent()).includes('None'), 'GET /health needs no key');

      const shown = await docs.getByTestId('message').evaluateAll((nodes) => nodes.map((n) => `${n.dataset.direction} ${n.dataset.message}`));
      assert.deepEqual(shown, ['receive chat', 'receive ping', 'receive cancel', 'send welcome', 'send chunk', 'send complete', 'send error', 'send pong']);
      const complete = docs.locator('[data-testid="message"][data-message="complete"]');
      await complete.waitFor({ state: 'visible' });
      const completeText = await complete.textContent();
      for (const field of ['is_final', 'conversation_id', 'suggested_products[].price', 'confidence_score']) {
        assert.ok(completeText.includes(field), `the complete message's fields include ${field}`);
      }
      assert.equal(await docs.locator('#channel-chat h3').textContent(), asyncapi.channels.chat.address);

      // The contents link to each operation; following one by keyboard moves there.
      await docs.locator('.contents a[href="#op-bulkimportproducts"]').focus();
      await docs.keyboard.press('Enter');
      await docs.waitForURL(/#op-bulkimportproducts$/);

      // Refused by the route above, or by the page's Content-Security-Policy before it.
      elsewhere.push(...requested.filter((url) => url.origin !== base).map(String));
      assert.deepEqual([...new Set(elsewhere)], [], 'the page asked for something from another origin');
      assert.deepEqual([...new Set(requested.map((url) => url.pathname))].sort(),
        ['/asyncapi.json', '/docs', '/docs/docs.css', '/docs/docs.js', '/openapi.json']);
      assert.deepEqual(problems, []);
    } finally {
      await docsContext.close();
    }
  });

  await step('after a server restart the page reconnects and continues the conversation', async () => {
    await page.bringToFront();
    const conversationId = await page.evaluate(() => globalThis.brandchat.client.conversationId);
    assert.equal(conversationId, firstConversationId);
    const welcomes = await page.getByTestId('welcome').count();
    const mark = frames.length;
    const t0 = Date.now();
    await server.stop();
    const tStopped = Date.now();
    await page.waitForSelector('[data-testid="status"][data-state="reconnecting"]', { timeout: 5000 });
    assert.match(await page.getByTestId('status').textContent(), /reconnecting/i);

    server = new ServerProcess(server.port).start();
    await server.waitHealthy();
    const tHealthy = Date.now();
    await page.waitForSelector('[data-testid="status"][data-state="connected"]', { timeout: 20_000 });
    console.log(`    server stopped in ${tStopped - t0} ms, healthy again after ${tHealthy - t0} ms, page reconnected after ${Date.now() - t0} ms`);
    await waitForFrame('a welcome on the new connection', receivedOfType('welcome'), { from: mark, timeout: 5000 });
    assert.equal(await page.getByTestId('welcome').count(), welcomes, 'the welcome is not shown twice');

    const before = await botCount(page);
    const sendMark = frames.length;
    await sendByKeyboard(page, 'Do you have a monitor for my office?');
    const chat = await waitForFrame('the chat frame after the restart', sentOfType('chat'), { from: sendMark });
    assert.equal(chat.msg.data?.conversation_id, firstConversationId, 'conversation_id after the restart');
    const complete = await waitForFrame('the reply after the restart', receivedOfType('complete'), { from: sendMark, timeout: 20_000 });
    const answered = complete.msg.data?.conversation_id;
    console.log(`    the restarted server answered with conversation_id ${answered} (${answered === firstConversationId ? 'the same' : 'a different one'})`);
    assert.equal(await waitReplyDone(page, before + 1), 'complete');
    const text = await page.locator(BOT).last().getByTestId('bot-text').textContent();
    assert.ok(text.trim().length > 0, 'the reply after the restart has text');
  });

  await step('no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
}

// --- driver ------------------------------------------------------------------------------------

async function cleanup() {
  const closing = [];
  if (browser) closing.push(browser.close().catch(() => {}));
  if (server) closing.push(server.stop().catch(() => {}));
  await Promise.race([Promise.all(closing), sleep(8000)]);
  if (server?.child && !server.exitInfo) server.child.kill('SIGKILL');
}

function summary(failed) {
  const passed = results.filter((r) => r.ok).length;
  console.log(`${passed} passed, ${failed} failed`);
}

function reportFailure(err) {
  console.error(`\nFAILED: ${err?.message ?? err}`);
  if (err?.stack && !(err instanceof assert.AssertionError)) console.error(err.stack.split('\n').slice(1, 6).join('\n'));
  if (pageErrors.length) console.error(`page errors:\n  ${pageErrors.join('\n  ')}`);
  if (consoleErrors.length) console.error(`console errors (connection failures while the server is down are expected):\n  ${consoleErrors.slice(-10).join('\n  ')}`);
  if (frames.length) console.error(`last WebSocket frames:\n  ${frames.slice(-12).map(describeFrame).join('\n  ')}`);
  if (serverLog.length) console.error(`server output (last lines):\n  ${serverLog.slice(-40).join('\n  ')}`);
}

process.on('exit', () => {
  if (server?.child && !server.exitInfo) server.child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    console.error(`interrupted by ${signal}`);
    await cleanup();
    process.exit(1);
  });
}

const watchdog = setTimeout(async () => {
  if (finished) return;
  finished = true;
  reportFailure(new Error(`the test did not finish within ${OVERALL_TIMEOUT_MS} ms`));
  summary(1);
  setTimeout(() => process.exit(1), 10_000).unref();
  await cleanup();
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

try {
  await run();
  if (!finished) {
    finished = true;
    clearTimeout(watchdog);
    await cleanup();
    summary(0);
    process.exit(0);
  }
} catch (err) {
  if (!finished) {
    finished = true;
    clearTimeout(watchdog);
    reportFailure(err);
    await cleanup();
    summary(1);
    process.exit(1);
  }
}
