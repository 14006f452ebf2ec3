#!/usr/bin/env node
// Checks the API documents the server serves (resources/api/openapi.json, asyncapi.json):
//   - each is valid by a real validator: @apidevtools/swagger-parser (OpenAPI 3.1) and
//     @asyncapi/parser (AsyncAPI 3.0, its Spectral rules included); any error or warning fails;
//   - openapi.json names exactly the routes of the C++ route tables (source/api/*.cpp,
//     `constexpr Route routes[]`), with the same access (open, brand key, admin key), plus GET /
//     GET /health, GET /ready and GET /metrics; the AsyncAPI messages are chat, ping, cancel one way and welcome, chunk,
//     complete, error, pong the other; both documents carry the project's version and one Product;
//   - every example in them matches its schema (ajv, JSON Schema 2020-12);
//   - with a server binary: a real server's answer to every operation has a documented status and
//     matches its documented schema and headers.
//
//   node validate.mjs <project-root> [<brandchat-binary>]
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser as AsyncApiParser } from '@asyncapi/parser';
import Ajv2020 from 'ajv/dist/2020.js';

import { freePort } from '../support/free_port.mjs';

const [rootArg, binaryArg] = process.argv.slice(2);
if (!rootArg) {
  console.error('usage: node validate.mjs <project-root> [<brandchat-binary>]');
  process.exit(2);
}
const ROOT = path.resolve(rootArg);
const BINARY = binaryArg ? path.resolve(binaryArg) : null;
const OPENAPI_FILE = path.join(ROOT, 'resources/api/openapi.json');
const ASYNCAPI_FILE = path.join(ROOT, 'resources/api/asyncapi.json');
const ADMIN_KEY = 'docs-check-admin-key';

const openapi = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
const asyncapi = JSON.parse(fs.readFileSync(ASYNCAPI_FILE, 'utf8'));

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}\n    ${String(err?.message ?? err).split('\n').join('\n    ')}`);
  }
}

// --- the documents' own references -------------------------------------------------------------

function pointer(doc, ref) {
  assert.ok(ref.startsWith('#/'), `only local references are used: ${ref}`);
  return ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, part) => {
      assert.ok(node && part in node, `unresolved reference ${ref}`);
      return node[part];
    }, doc);
}

// A copy with every {"$ref": "#/..."} replaced by what it names (the documents have no cycles).
function resolved(doc, node = doc, depth = 0) {
  assert.ok(depth < 64, 'references nest too deep (a cycle?)');
  if (Array.isArray(node)) return node.map((item) => resolved(doc, item, depth + 1));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') return resolved(doc, pointer(doc, node.$ref), depth + 1);
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolved(doc, v, depth + 1)]));
}

const ajv = new Ajv2020({
  strict: true,
  allowUnionTypes: true,
  allErrors: true,
  formats: { 'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/ },
});
// OpenAPI's own keyword beside JSON Schema's.
ajv.addKeyword({ keyword: 'example' });

function schemaErrors(schema, value) {
  const validate = ajv.compile(schema);
  if (validate(value)) return null;
  return ajv.errorsText(validate.errors, { dataVar: 'value' });
}

// --- the C++ route tables ----------------------------------------------------------------------

function cppRoutes() {
  const routes = [];
  const dir = path.join(ROOT, 'source/api');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpp')).sort()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const table of text.matchAll(/constexpr Route routes\[\] = \{([\s\S]*?)\n\};/g)) {
      for (const [, method, pattern, access] of table[1].matchAll(/\{\s*"([A-Z]+)",\s*"([^"]+)",\s*Access::(\w+),/g)) {
        routes.push({ method: method.toLowerCase(), pattern, access, file });
      }
    }
  }
  return routes;
}

const shape = (p) => p.replace(/\{[^}]+\}/g, '{}'); // /brands/{id} and /brands/{brand_id} are one path
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function documentedOperations() {
  const ops = [];
  for (const [p, item] of Object.entries(openapi.paths)) {
    for (const method of HTTP_METHODS) if (item[method]) ops.push({ method, path: p, op: item[method] });
  }
  return ops;
}

// --- the checks --------------------------------------------------------------------------------

await check('openapi.json is valid OpenAPI 3.1 (@apidevtools/swagger-parser)', async () => {
  assert.equal(openapi.openapi, '3.1.0');
  await SwaggerParser.validate(structuredClone(openapi));
});

await check('asyncapi.json is valid AsyncAPI 3.0 with no error or warning (@asyncapi/parser)', async () => {
  assert.equal(asyncapi.asyncapi, '3.0.0');
  const { document, diagnostics } = await new AsyncApiParser().parse(fs.readFileSync(ASYNCAPI_FILE, 'utf8'), { source: ASYNCAPI_FILE });
  const serious = diagnostics.filter((d) => d.severity <= 1); // 0 error, 1 warning; 2 information, 3 hint
  for (const d of diagnostics.filter((d) => d.severity > 1)) console.log(`    note: ${d.code}: ${d.message} at ${d.path.join('.')}`);
  assert.deepEqual(serious.map((d) => `${d.severity === 0 ? 'error' : 'warning'} ${d.code}: ${d.message} at ${d.path.join('.')}`), []);
  assert.ok(document, 'the parser gave no document');
});

await check('openapi.json documents every route of source/api/*.cpp with its access, and nothing else but GET /, GET /health, GET /ready and GET /metrics', () => {
  const routes = cppRoutes();
  assert.ok(routes.length >= 30, `found only ${routes.length} routes in source/api/*.cpp: has the table's form changed?`);
  const documented = documentedOperations();
  const problems = [];
  for (const r of routes) {
    const found = documented.find((d) => d.method === r.method && shape(d.path) === shape(r.pattern));
    if (!found) { problems.push(`${r.method.toUpperCase()} ${r.pattern} (${r.file}) is not in openapi.json`); continue; }
    if (found.path !== r.pattern) problems.push(`${found.path} is ${r.pattern} in ${r.file}: name the parameters alike`);
    if (found.op['x-brandchat-access'] !== r.access) {
      problems.push(`${r.method.toUpperCase()} ${r.pattern}: x-brandchat-access is ${found.op['x-brandchat-access']}, the route's Access::${r.access}`);
    }
  }
  const extra = [['get', '/'], ['get', '/health'], ['get', '/ready'], ['get', '/metrics']];
  for (const d of documented) {
    const real = routes.some((r) => r.method === d.method && shape(r.pattern) === shape(d.path)) ||
      extra.some(([m, p]) => m === d.method && p === d.path);
    if (!real) problems.push(`${d.method.toUpperCase()} ${d.path} is documented but no route answers it`);
  }
  assert.deepEqual(problems, []);
});

await check('each operation\'s security matches its access; keyed ones document 401 and 403', () => {
  const problems = [];
  for (const { method, path: p, op } of documentedOperations()) {
    const where = `${method.toUpperCase()} ${p}`;
    const access = op['x-brandchat-access'];
    if (!['open', 'brand', 'admin'].includes(access)) problems.push(`${where}: x-brandchat-access ${access}`);
    if (access === 'open' && !(Array.isArray(op.security) && op.security.length === 0)) problems.push(`${where}: an open route has security []`);
    if (access !== 'open') {
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s)).sort();
      if (schemes.join() !== 'apiKey,bearer') problems.push(`${where}: security should offer bearer and apiKey, has ${schemes.join() || 'none'}`);
      for (const status of ['401', '403']) if (!op.responses[status]) problems.push(`${where}: no ${status}`);
    }
    if (!op.operationId || !op.summary) problems.push(`${where}: needs an operationId and a summary`);
  }
  assert.deepEqual(problems, []);
});

await check('the AsyncAPI channels carry the protocol\'s messages both ways', () => {
  const expected = { receive: ['cancel', 'chat', 'ping'], send: ['chunk', 'complete', 'error', 'pong', 'welcome'] };
  const addresses = Object.values(asyncapi.channels).map((c) => c.address).sort();
  assert.deepEqual(addresses, ['/ws/chat/{brand_id}', '/ws/voice/{brand_id}']);
  for (const [channelName, channel] of Object.entries(asyncapi.channels)) {
    for (const action of ['receive', 'send']) {
      const names = Object.values(asyncapi.operations)
        .filter((o) => o.action === action && o.channel.$ref === `#/channels/${channelName}`)
        .flatMap((o) => o.messages.map((m) => pointer(asyncapi, m.$ref)))
        .map((m) => resolved(asyncapi, m).payload.properties.type.const).sort();
      assert.deepEqual(names, expected[action], `${channel.address}: what the server ${action}s`);
    }
  }
});

await check('both documents carry the project\'s version, and the same Product', () => {
  const cmake = fs.readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
  const version = cmake.match(/project\(brandchat VERSION ([0-9.]+)/)?.[1];
  assert.ok(version, 'no version in CMakeLists.txt');
  assert.equal(openapi.info.version, version, 'openapi.json info.version');
  assert.equal(asyncapi.info.version, version, 'asyncapi.json info.version');
  assert.deepEqual(asyncapi.components.schemas.Product, openapi.components.schemas.Product,
    'asyncapi.json\'s Product must be openapi.json\'s (the complete message carries what the HTTP API answers)');
});

await check('every example matches its schema', () => {
  const problems = [];
  const api = resolved(openapi);
  for (const [p, item] of Object.entries(api.paths)) {
    for (const method of HTTP_METHODS.filter((m) => item[m])) {
      const op = item[method];
      const where = `${method.toUpperCase()} ${p}`;
      for (const param of op.parameters ?? []) {
        if ('example' in param) {
          const e = schemaErrors(param.schema, param.example);
          if (e) problems.push(`${where} parameter ${param.name}: ${e}`);
        }
      }
      const media = [['request', op.requestBody?.content?.['application/json']],
        ...Object.entries(op.responses).map(([status, r]) => [status, r.content?.['application/json']])];
      for (const [what, m] of media) {
        if (m && 'example' in m) {
          const e = schemaErrors(m.schema, m.example);
          if (e) problems.push(`${where} ${what} example: ${e}`);
        }
      }
    }
  }
  for (const [name, schema] of Object.entries(api.components.schemas)) {
    for (const [i, example] of (schema.examples ?? []).entries()) {
      const e = schemaErrors(schema, example);
      if (e) problems.push(`schema ${name} example ${i}: ${e}`);
    }
  }
  const events = resolved(asyncapi);
  for (const [name, message] of Object.entries(events.components.messages)) {
    for (const example of message.examples ?? []) {
      const e = schemaErrors(message.payload, example.payload);
      if (e) problems.push(`message ${name} example ${example.name}: ${e}`);
    }
  }
  assert.deepEqual(problems, []);
});

// --- a real server's answers -------------------------------------------------------------------

async function startServer() {
  const port = await freePort();
  const output = [];
  const child = spawn(BINARY, ['--host', '127.0.0.1', '--port', String(port), '--resources', path.join(ROOT, 'resources'),
    '--database', ':memory:', '--word-delay-ms', '0', '--log-level', 'warn'],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BRANDCHAT_ADMIN_KEY: ADMIN_KEY } });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => output.push(String(d)));
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    assert.ok(!exited, `the server exited: ${JSON.stringify(exited)}\n${output.join('')}`);
    try {
      if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) })).ok) return { child, base, output };
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not answer GET /health within 15 s\n${output.join('')}`);
}

// The documented operation for a request path ("/brands/techpro/products" → "/brands/{brand_id}/products").
function operationFor(method, target) {
  const pathname = target.split('?')[0];
  const segments = pathname.split('/');
  const candidates = Object.keys(openapi.paths).filter((p) => {
    const parts = p.split('/');
    return parts.length === segments.length && parts.every((part, i) => part.startsWith('{') || part === segments[i]);
  });
  // A literal segment wins over a parameter (/brands/active before /brands/{brand_id}), as the route tables order them.
  candidates.sort((a, b) => (b.match(/\{/g)?.length ?? 0) < (a.match(/\{/g)?.length ?? 0) ? 1 : -1);
  const p = candidates.find((c) => openapi.paths[c][method]);
  return p ? { path: p, op: resolved(openapi, openapi.paths[p][method]) } : null;
}

const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const covered = new Set();

// Sends one request and checks the answer against the document; returns the parsed body.
async function exchange(base, problems, method, target, { body, headers = {}, expect } = {}) {
  const where = `${method} ${target}`;
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(10_000) };
  if (body instanceof FormData) {
    init.body = body; // fetch writes the multipart/form-data Content-Type with its boundary
  } else if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(base + target, init);
  const text = await response.text();
  let value = null;
  try { value = JSON.parse(text); } catch { /* checked below */ }
  if (expect !== undefined && response.status !== expect) problems.push(`${where}: expected ${expect}, got ${response.status}: ${text.slice(0, 200)}`);
  const found = operationFor(method.toLowerCase(), target);
  if (!found) { problems.push(`${where}: no documented operation`); return value; }
  const documented = found.op.responses[String(response.status)];
  if (!documented) { problems.push(`${where}: status ${response.status} is not documented for ${found.path} (${text.slice(0, 200)})`); return value; }
  if (response.status < 300) covered.add(`${method.toLowerCase()} ${found.path}`);
  const media = documented.content?.['application/json'];
  const textType = Object.keys(documented.content ?? {}).find((t) => t.startsWith('text/'));
  if (textType && response.headers.get('content-type') !== textType) problems.push(`${where}: Content-Type ${response.headers.get('content-type')}, documented ${textType}`);
  if (media) {
    if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) problems.push(`${where}: Content-Type ${response.headers.get('content-type')}`);
    const e = value === null ? 'not JSON' : schemaErrors(media.schema, value);
    if (e) problems.push(`${where} → ${response.status}: ${e}`);
  }
  for (const name of Object.keys(documented.headers ?? {})) {
    if (!response.headers.has(name)) problems.push(`${where} → ${response.status}: no ${name} header`);
  }
  return value;
}

async function exerciseEveryOperation(base) {
  const problems = [];
  const call = (method, target, options) => exchange(base, problems, method, target, options);
  const product = { id: 'docs-mouse-1', name: 'Logitech MX Master 3S', category: 'Accessory', price: 1649000, features: ['8K DPI'] };

  await call('GET', '/', { expect: 200 });
  await call('GET', '/health', { expect: 200 });
  await call('GET', '/ready', { expect: 200 });
  await call('GET', '/metrics', { expect: 200 });
  await call('GET', '/brands', { expect: 200 });
  await call('GET', '/brands/active', { expect: 200 });
  await call('GET', '/brands/techpro', { expect: 200 });
  await call('GET', '/brands/nosuch', { expect: 404 });
  await call('GET', '/brands/techpro/products?category=laptop&offset=1&limit=2', { expect: 200 });
  await call('GET', '/brands/techpro/products?limit=many', { expect: 422 });
  await call('GET', '/brands/techpro/categories', { expect: 200 });
  await call('POST', '/brands/techpro/products/search', { body: { query: 'gaming laptop under 25 juta', price_range: [10000000, 30000000] }, expect: 200 });
  await call('POST', '/brands/techpro/products/search', { body: { query: 'laptop', limit: 0 }, expect: 422 });
  await call('POST', '/brands/oldmart/products/search', { body: { query: 'radio' }, expect: 404 });
  await call('POST', '/brands/techpro/recommendations?query=business%20laptop&limit=2', { expect: 200 });
  await call('POST', '/brands/techpro/recommendations', { expect: 422 });
  await call('GET', '/products?limit=1', { expect: 200 });
  await call('POST', '/products/search', { body: { query: 'phone' }, expect: 200 });
  await call('POST', '/recommendations?query=monitor', { expect: 200 });
  await call('GET', '/categories', { expect: 200 });

  const chat = await call('POST', '/chat/techpro', { body: { message: 'I need a laptop for business work', user_id: 'u-1' }, expect: 200 });
  await call('POST', '/chat/techpro', { body: { message: '   ' }, expect: 422 });
  await call('POST', '/chat/oldmart', { body: { message: 'hello' }, expect: 404 });
  await call('POST', '/chat', { body: { message: 'How long is the warranty?', voice: true }, expect: 200 });
  const conversation = chat?.conversation_id ?? 'conv-none';
  await call('GET', `/chat/techpro/history/${conversation}`, { expect: 401 });
  await call('GET', `/chat/techpro/history/${conversation}`, { headers: admin, expect: 200 });
  await call('DELETE', `/chat/techpro/${conversation}`, { headers: { 'X-API-Key': ADMIN_KEY }, expect: 200 });
  await call('DELETE', `/chat/techpro/${conversation}`, { headers: admin, expect: 404 });

  await call('GET', '/brands/techpro/config', { expect: 401 });
  await call('GET', '/brands/techpro/config', { headers: admin, expect: 200 });
  await call('PUT', '/brands/techpro/config', { headers: admin, body: { welcome_message: 'Selamat datang di TechPro!' }, expect: 200 });
  await call('PUT', '/brands/techpro/config', { headers: admin, body: { language: 'fr' }, expect: 422 });
  await call('GET', '/brands/techpro/system-prompt', { headers: admin, expect: 200 });
  await call('PUT', '/brands/techpro/system-prompt', { headers: admin, body: { system_prompt: 'Be brief.' }, expect: 200 });
  await call('GET', '/brands/techpro/stats', { headers: admin, expect: 200 });
  await call('GET', '/stats', { headers: admin, expect: 200 });

  const key = await call('POST', '/keys', { headers: admin, body: { brand_id: 'rumahkita', label: 'docs check' }, expect: 201 });
  await call('GET', '/keys', { headers: admin, expect: 200 });
  await call('GET', '/brands/techpro/config', { headers: { Authorization: `Bearer ${key?.key}` }, expect: 403 });
  await call('GET', '/keys', { headers: { Authorization: 'Bearer bck_unknown' }, expect: 401 });
  await call('DELETE', `/keys/${key?.id}`, { headers: admin, expect: 200 });
  await call('DELETE', `/keys/${key?.id}`, { headers: admin, expect: 404 });

  await call('POST', '/brands', { headers: admin, body: { name: 'Docs Check', brand_id: 'docs-check', language: 'id' }, expect: 200 });
  await call('POST', '/brands?description=no%20name', { headers: admin, expect: 422 });
  await call('PUT', '/brands/docs-check?is_active=false', { headers: admin, expect: 200 });
  await call('POST', '/brands/docs-check/products', { headers: admin, body: product, expect: 200 });
  await call('POST', '/brands/docs-check/products', { headers: admin, body: { ...product, price: -1 }, expect: 422 });
  await call('POST', '/brands/docs-check/products/bulk', { headers: admin, body: [{ ...product, id: 'docs-mouse-2' }, { ...product, id: 'docs-mouse-3' }], expect: 200 });
  await call('PUT', '/brands/docs-check/products/docs-mouse-1', { headers: admin, body: { ...product, availability: false }, expect: 200 });
  await call('PUT', '/brands/docs-check/products/docs-mouse-1', { headers: admin, body: { ...product, id: 'other' }, expect: 400 });
  await call('DELETE', '/brands/docs-check/products/docs-mouse-1', { headers: admin, expect: 200 });
  await call('DELETE', '/brands/docs-check/products/docs-mouse-1', { headers: admin, expect: 404 });
  await call('POST', '/products', { headers: admin, body: { ...product, id: 'docs-mouse-4' }, expect: 200 });
  await call('DELETE', '/brands/docs-check', { headers: admin, expect: 200 });
  await call('DELETE', '/brands/docs-check', { headers: admin, expect: 404 });
  await call('POST', '/brands/techpro/products', { headers: admin, body: 'x'.repeat(70 * 1024), expect: 413 });

  // A product file, as curl -F file=@NAME sends it.
  const form = (name, text) => {
    const data = new FormData();
    data.append('file', new Blob([text], { type: 'application/octet-stream' }), name);
    return data;
  };
  const csv = 'id,name,category,price,features,specifications,availability\r\n' +
    'docs-cable-1,USB-C Cable,Accessory,99000,"1 m, braided","{""length"": ""1 m""}",yes\r\n';
  const uploaded = await call('POST', '/brands/techpro/upload/products', { headers: admin, body: form('docs-products.csv', csv), expect: 200 });
  if (uploaded?.products_added !== 1) problems.push(`the CSV upload added ${uploaded?.products_added} products, not 1`);
  await call('POST', '/brands/techpro/upload/products', { headers: admin, body: form('docs-bad.csv', 'name,category,price\r\nCable,Accessory,abc\r\n'), expect: 422 });
  await call('POST', '/brands/techpro/upload/products', { headers: admin, body: form('notes.txt', 'hello'), expect: 400 });
  await call('POST', '/brands/techpro/upload/products', { headers: admin, body: { file: 'not a form' }, expect: 400 });
  await call('POST', '/brands/techpro/upload/products', { body: form('docs-products.csv', csv), expect: 401 });
  await call('POST', '/brands/nosuch/upload/products', { headers: admin, body: form('docs-products.csv', csv), expect: 404 });
  await call('GET', '/uploads', { expect: 401 });
  const uploads = await call('GET', '/uploads', { headers: admin, expect: 200 });
  if (!uploads?.some?.((u) => u.upload_id === uploaded?.upload_id && u.status === 'success')) problems.push('GET /uploads does not list the CSV upload');
  const one = await call('GET', `/uploads/${encodeURIComponent('docs-products.csv')}`, { headers: admin, expect: 200 });
  if (one?.upload_id !== uploaded?.upload_id) problems.push(`GET /uploads/docs-products.csv is ${one?.upload_id}, not the upload ${uploaded?.upload_id}`);
  await call('GET', '/uploads/nothing.csv', { headers: admin, expect: 404 });

  for (const { method, path: p } of documentedOperations()) {
    if (!covered.has(`${method} ${p}`)) problems.push(`${method.toUpperCase()} ${p}: no successful answer was checked (add a request for it here)`);
  }
  assert.deepEqual(problems, []);
}

if (BINARY) {
  await check('a real server answers every operation as documented (statuses, schemas, headers)', async () => {
    assert.ok(fs.existsSync(BINARY), `no server binary at ${BINARY}`);
    const server = await startServer();
    try {
      await exerciseEveryOperation(server.base);
    } finally {
      server.child.kill('SIGTERM');
      await Promise.race([new Promise((resolve) => server.child.on('exit', resolve)), sleep(3000)]);
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
  });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
