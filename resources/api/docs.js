// Renders /openapi.json and /asyncapi.json as one page: per HTTP endpoint its method, path,
// summary, the key it needs, parameters, request body and responses; the WebSocket's channels and
// messages both ways; every schema as a table of fields ($ref resolved). Only these two documents
// are fetched, from this server; the DOM is built with textContent, so nothing in a document can
// inject markup.

const ACCESS = {
  open: 'None: open to anyone.',
  brand: 'A key of the brand it acts on (the default brand for the brand-less paths), or an admin key (Authorization: Bearer KEY, or X-API-Key: KEY).',
  admin: 'An admin key (Authorization: Bearer KEY, or X-API-Key: KEY).',
};
const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options', 'trace'];
const MAX_DEPTH = 4; // nested fields shown inline; deeper ones link to their schema

// --- small DOM helpers ------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A path that may wrap after each "/" (in the narrow contents).
const breakable = (path) => path.split('/').flatMap((part, i) => (i ? ['/', el('wbr'), part] : [part]));

const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

// Inline `code` and **bold**; everything else stays text.
function inline(text) {
  const parts = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(match[1] !== undefined ? el('code', {}, match[1]) : el('strong', {}, match[2]));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

// The subset of CommonMark the documents use: paragraphs, "- " lists, `code`, **bold**.
function prose(text) {
  const out = [];
  if (!text) return out;
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim());
    if (lines.length && lines.every((l) => l.startsWith('- '))) {
      out.push(el('ul', {}, lines.map((l) => el('li', {}, inline(l.slice(2))))));
    } else if (lines.length) {
      out.push(el('p', {}, inline(lines.join(' '))));
    }
  }
  return out;
}

function example(value, label = 'Example') {
  return el('details', { class: 'example' }, el('summary', {}, label), el('pre', {}, el('code', {}, JSON.stringify(value, null, 2))));
}

// --- schemas ----------------------------------------------------------------------------------

// A document's "#/..." reference.
function lookup(doc, ref) {
  return ref.slice(2).split('/').reduce((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}
const refName = (ref) => ref.split('/').pop();

class Schemas {
  constructor(doc, linkable) {
    this.doc = doc;
    this.linkable = linkable; // names with a table of their own on this page
  }

  // The schema behind any $ref, with allOf merged into one object schema.
  resolve(schema) {
    let s = schema ?? {};
    for (let hops = 0; s.$ref && hops < 16; hops += 1) s = lookup(this.doc, s.$ref) ?? {};
    if (!s.allOf) return s;
    const merged = { ...s, properties: { ...(s.properties ?? {}) }, required: [...(s.required ?? [])] };
    delete merged.allOf;
    for (const part of s.allOf) {
      const r = this.resolve(part);
      Object.assign(merged.properties, r.properties ?? {});
      merged.required.push(...(r.required ?? []));
      merged.type ??= r.type;
      merged.description ??= r.description;
      merged.title ??= r.title;
    }
    return merged;
  }

  // A short type, with the named schema as a link: "array of Product", "string or null".
  type(schema) {
    if (!schema) return ['any'];
    if (schema.$ref) {
      const name = refName(schema.$ref);
      return [this.linkable.has(name) ? el('a', { href: `#schema-${slug(name)}` }, name) : name];
    }
    const s = this.resolve(schema);
    if ('const' in s) return [el('code', {}, JSON.stringify(s.const))];
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    const words = [];
    for (const t of types.length ? types : ['any']) {
      if (t === 'array') words.push(['array of ', ...this.type(s.items)]);
      else if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
        words.push(['object of ', ...this.type(s.additionalProperties)]);
      } else words.push([t]);
    }
    const out = [];
    words.forEach((w, i) => out.push(...(i ? [' or '] : []), ...w));
    if (s.enum) out.push(' (', ...s.enum.flatMap((v, i) => [i ? ', ' : '', el('code', {}, JSON.stringify(v))]), ')');
    return out;
  }

  // What limits a value: lengths, ranges, pattern, format, default.
  static limits(schema) {
    const notes = [];
    const add = (label, value) => notes.push(`${label} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    const count = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
    if (schema.minLength === 1) notes.push('not empty');
    else if ('minLength' in schema) add('at least', count(schema.minLength, 'character'));
    if ('maxLength' in schema) add('at most', count(schema.maxLength, 'character'));
    if ('minimum' in schema) add('≥', schema.minimum);
    if ('maximum' in schema) add('≤', schema.maximum);
    if (schema.minItems === schema.maxItems && 'minItems' in schema) add('exactly', count(schema.minItems, 'item'));
    else {
      if ('minItems' in schema) add('at least', count(schema.minItems, 'item'));
      if ('maxItems' in schema) add('at most', count(schema.maxItems, 'item'));
    }
    if (schema.pattern) add('matches', schema.pattern);
    if (schema.format) add('format', schema.format);
    if ('default' in schema) add('default', schema.default);
    return notes.join('; ');
  }

  // Rows of a field table: one per property, nested objects (and arrays of them) inline.
  rows(schema, prefix = '', depth = 0, seen = new Set()) {
    const s = this.resolve(schema);
    const rows = [];
    const required = new Set(s.required ?? []);
    for (const [name, property] of Object.entries(s.properties ?? {})) {
      const field = prefix + name;
      const target = property.$ref ? this.resolve(property) : property;
      rows.push({ field, depth, property, target, required: required.has(name) });
      const named = property.$ref ?? target.items?.$ref;
      if (depth + 1 >= MAX_DEPTH || (named && seen.has(named))) continue;
      const inner = new Set(seen);
      if (named) inner.add(named);
      const item = target.type === 'array' || (Array.isArray(target.type) && target.type.includes('array')) ? this.resolve(target.items) : null;
      if (item?.properties) rows.push(...this.rows(item, `${field}[].`, depth + 1, inner));
      else if (target.properties) rows.push(...this.rows(target, `${field}.`, depth + 1, inner));
    }
    return rows;
  }

  // A schema as a table of its fields, or, when it has none, a line saying what it is.
  table(schema, caption) {
    const s = this.resolve(schema);
    const parts = [];
    const isArray = s.type === 'array';
    const shape = isArray ? this.resolve(s.items) : s;
    parts.push(el('p', { class: 'schema-type' }, 'Type: ', ...this.type(schema), s.description && !schema.$ref ? ` — ${s.description}` : ''));
    if (isArray && shape.properties) parts.push(el('p', {}, 'Each item:'));
    const rows = this.rows(shape);
    if (!rows.length) return parts;
    const body = rows.map((r) => el('tr', { class: r.depth ? 'nested' : undefined },
      el('th', { scope: 'row' }, el('code', { class: `depth-${r.depth}` }, r.field)),
      el('td', {}, this.type(r.property)),
      el('td', {}, r.required ? 'yes' : 'no'),
      el('td', {}, inline(r.property.description ?? r.target.description ?? ''),
        Schemas.limits(r.target) ? el('span', { class: 'limits' }, ` (${Schemas.limits(r.target)})`) : '')));
    parts.push(el('div', { class: 'table-wrap' }, el('table', { class: 'fields' },
      el('caption', { class: 'visually-hidden' }, caption),
      el('thead', {}, el('tr', {}, ['Field', 'Type', 'Required', 'Description'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, body))));
    return parts;
  }
}

// --- HTTP (OpenAPI) ---------------------------------------------------------------------------

function parametersTable(schemas, parameters, caption) {
  const rows = parameters.map((p) => {
    const param = schemas.resolve(p);
    return el('tr', {},
      el('th', { scope: 'row' }, el('code', {}, param.name)),
      el('td', {}, param.in),
      el('td', {}, schemas.type(param.schema)),
      el('td', {}, param.required ? 'yes' : 'no'),
      el('td', {}, inline(param.description ?? ''), Schemas.limits(param.schema ?? {}) ? ` (${Schemas.limits(param.schema)})` : '',
        'example' in param ? el('span', { class: 'limits' }, ' e.g. ', el('code', {}, String(param.example))) : ''));
  });
  return el('div', { class: 'table-wrap' }, el('table', { class: 'fields' },
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, ['Name', 'In', 'Type', 'Required', 'Description'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows)));
}

function operationSection(api, schemas, method, path, op) {
  const id = `op-${slug(op.operationId ?? `${method}-${path}`)}`;
  const heading = `${method.toUpperCase()} ${path}`;
  const section = el('section', { class: 'operation', id, 'aria-labelledby': `${id}-h`, dataset: { testid: 'operation', method, path } },
    el('h4', { id: `${id}-h` }, el('span', { class: `method method-${method}` }, method.toUpperCase()), ' ', el('code', { class: 'path' }, path)),
    el('p', { class: 'summary' }, op.summary ?? ''),
    el('p', { class: 'auth' }, el('strong', {}, 'Key needed: '), ACCESS[op['x-brandchat-access']] ??
      ((op.security ?? api.security ?? []).length ? 'An API key.' : 'None.')),
    prose(op.description));
  const parameters = op.parameters ?? [];
  if (parameters.length) {
    section.append(el('h5', {}, 'Parameters'), parametersTable(schemas, parameters, `Parameters of ${heading}`));
  }
  if (op.requestBody) {
    const body = schemas.resolve(op.requestBody);
    const form = !body.content?.['application/json'] && body.content?.['multipart/form-data'];
    const media = form || body.content?.['application/json'];
    section.append(el('h5', {}, 'Request body'),
      el('p', {}, `${form ? 'A form (multipart/form-data)' : 'JSON'}, ${body.required ? 'required' : 'optional'}.`,
        body.description ? ` ${body.description}` : ''));
    if (media) {
      section.append(...schemas.table(media.schema, `Request body of ${heading}`));
      if ('example' in media) section.append(example(media.example));
    }
  }
  section.append(el('h5', {}, 'Responses'));
  const list = el('dl', { class: 'responses' });
  for (const [status, ref] of Object.entries(op.responses ?? {})) {
    const response = schemas.resolve(ref);
    const media = response.content?.['application/json'];
    const detail = el('dd', {}, prose(response.description));
    const headers = Object.entries(response.headers ?? {});
    if (headers.length) {
      detail.append(el('p', {}, 'Headers: ', headers.flatMap(([name, h], i) => [i ? '; ' : '', el('code', {}, name),
        h.description ? ` — ${h.description}` : ''])));
    }
    if (media) {
      detail.append(...schemas.table(media.schema, `Response ${status} of ${heading}`));
      if ('example' in media) detail.append(example(media.example));
    }
    list.append(el('dt', {}, el('span', { class: `status status-${status[0]}xx` }, status)), detail);
  }
  section.append(list);
  return section;
}

// The HTTP section, the schemas' section, and their entries for the contents.
function renderHttp(api) {
  const names = new Set(Object.keys(api.components?.schemas ?? {}));
  const schemas = new Schemas(api, names);
  const section = el('section', { id: 'http', 'aria-labelledby': 'http-h' },
    el('h2', { id: 'http-h' }, 'HTTP API'), el('p', { class: 'summary' }, api.info.summary ?? api.info.title), prose(api.info.description));
  const tags = (api.tags ?? []).map((t) => t.name);
  const byTag = new Map(tags.map((t) => [t, []]));
  for (const [path, item] of Object.entries(api.paths ?? {})) {
    for (const method of METHODS.filter((m) => item[m])) {
      const tag = item[method].tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, item[method]]);
    }
  }
  const toc = el('ul', {});
  for (const [tag, operations] of byTag) {
    if (!operations.length) continue;
    const id = `tag-${slug(tag)}`;
    const description = api.tags?.find((t) => t.name === tag)?.description;
    const group = el('section', { id, 'aria-labelledby': `${id}-h` }, el('h3', { id: `${id}-h` }, tag), prose(description));
    const entries = el('ul', {});
    for (const [method, path, op] of operations) {
      const node = operationSection(api, schemas, method, path, op);
      group.append(node);
      entries.append(el('li', {}, el('a', { href: `#${node.id}` }, `${method.toUpperCase()} `, breakable(path))));
    }
    section.append(group);
    toc.append(el('li', {}, el('a', { href: `#${id}` }, tag), entries));
  }

  const schemaSection = el('section', { id: 'schemas', 'aria-labelledby': 'schemas-h' }, el('h2', { id: 'schemas-h' }, 'HTTP schemas'));
  const schemaToc = el('ul', { class: 'compact' });
  for (const name of names) {
    const id = `schema-${slug(name)}`;
    const schema = api.components.schemas[name];
    schemaSection.append(el('section', { class: 'schema', id, 'aria-labelledby': `${id}-h` },
      el('h3', { id: `${id}-h` }, name), prose(schema.description), schemas.table({ ...schema, description: undefined }, `Fields of ${name}`)));
    schemaToc.append(el('li', {}, el('a', { href: `#${id}` }, name)));
  }
  return {
    section, schemaSection,
    toc: [el('h3', {}, el('a', { href: '#http' }, 'HTTP API')), toc],
    schemaToc: [el('h3', {}, el('a', { href: '#schemas' }, 'HTTP schemas')), schemaToc],
  };
}

// --- WebSocket (AsyncAPI) ---------------------------------------------------------------------

// The WebSocket section and its entries for the contents.
function renderWebSocket(events, linkable) {
  const schemas = new Schemas(events, linkable);
  const section = el('section', { id: 'websocket', 'aria-labelledby': 'websocket-h' },
    el('h2', { id: 'websocket-h' }, 'WebSocket API'), prose(events.info.description));
  const toc = el('ul', {});

  for (const [name, channel] of Object.entries(events.channels ?? {})) {
    const id = `channel-${slug(name)}`;
    const block = el('section', { class: 'channel', id, 'aria-labelledby': `${id}-h` },
      el('h3', { id: `${id}-h` }, el('code', { class: 'path' }, channel.address)), el('p', { class: 'summary' }, channel.title ?? ''),
      prose(channel.description));
    const parameters = Object.entries(channel.parameters ?? {});
    if (parameters.length) {
      block.append(el('h4', {}, 'Parameters'), el('ul', {}, parameters.map(([p, value]) => el('li', {}, el('code', {}, p), ': ',
        inline(value.description ?? ''), value.examples ? ` e.g. ${value.examples.join(', ')}` : ''))));
    }
    section.append(block);
    toc.append(el('li', {}, el('a', { href: `#${id}` }, breakable(channel.address))));
  }

  // A message once per direction, whichever channels carry it.
  const directions = [
    ['receive', 'Client → server', 'What a client sends; the server receives it.'],
    ['send', 'Server → client', 'What the server sends.'],
  ];
  for (const [action, title, intro] of directions) {
    const id = `messages-${action}`;
    const block = el('section', { id, 'aria-labelledby': `${id}-h` }, el('h3', { id: `${id}-h` }, title), el('p', {}, intro));
    const shown = new Map();
    for (const op of Object.values(events.operations ?? {}).filter((o) => o.action === action)) {
      const channel = schemas.resolve(op.channel);
      for (const ref of op.messages ?? []) {
        const message = schemas.resolve(ref);
        const key = message.name ?? refName(ref.$ref);
        if (!shown.has(key)) shown.set(key, { message, channels: [] });
        shown.get(key).channels.push(channel.address);
      }
    }
    const entries = el('ul', { class: 'compact' });
    for (const [key, { message, channels }] of shown) {
      const mid = `message-${action}-${slug(key)}`;
      const payload = schemas.resolve(message.payload);
      const article = el('section', { class: 'message', id: mid, 'aria-labelledby': `${mid}-h`, dataset: { testid: 'message', message: key, direction: action } },
        el('h4', { id: `${mid}-h` }, el('code', {}, key), message.title && message.title.toLowerCase() !== key ? ` — ${message.title}` : ''),
        el('p', { class: 'summary' }, message.summary ?? ''),
        prose(payload.description),
        el('p', { class: 'channels' }, 'On ', channels.flatMap((c, i) => [i ? ' and ' : '', el('code', {}, c)]), '.'),
        el('h5', {}, 'Fields'),
        schemas.table({ ...payload, description: undefined }, `Fields of the ${key} message`),
        (message.examples ?? []).map((e) => example(e.payload, `Example${e.name ? `: ${e.name}` : ''}`)));
      block.append(article);
      entries.append(el('li', {}, el('a', { href: `#${mid}` }, key)));
    }
    section.append(block);
    toc.append(el('li', {}, el('a', { href: `#${id}` }, title), entries));
  }
  return { section, toc: [el('h3', {}, el('a', { href: '#websocket' }, 'WebSocket API')), toc] };
}

// --- start ------------------------------------------------------------------------------------

async function load(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
}

async function start() {
  const state = document.getElementById('state');
  const main = document.getElementById('main');
  const contents = document.getElementById('contents');
  try {
    const [api, events] = await Promise.all([load('/openapi.json'), load('/asyncapi.json')]);
    document.getElementById('versions').textContent = api.info.version === events.info.version
      ? `Version ${api.info.version}` : `HTTP API ${api.info.version}, WebSocket API ${events.info.version}`;
    const http = renderHttp(api);
    const websocket = renderWebSocket(events, new Set(Object.keys(api.components?.schemas ?? {})));
    main.append(http.section, websocket.section, http.schemaSection);
    contents.append(...http.toc, ...websocket.toc, ...http.schemaToc);
    state.remove();
    document.documentElement.dataset.ready = 'docs';
    if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  } catch (err) {
    state.setAttribute('role', 'alert');
    state.classList.add('error');
    state.textContent = `The API documents could not be shown: ${err.message}`;
    document.documentElement.dataset.ready = 'error';
  }
}

start();
