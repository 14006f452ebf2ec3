// The chat page: `?brand=ID` chats with that brand; without it, a picker of the active brands
// (`?from=ID`, as "Change shop" links to it: that brand first, marked as the current one).
import { ChatClient } from './chat-client.js';
import {
  detectLanguage, formatPercent, formatRupiah, humanizeKey, normalizeLanguage, speechLanguageTag,
} from './format.js';

const STRINGS = {
  en: {
    title: 'Shopping assistant',
    skipToInput: 'Skip to the message box',
    changeShop: 'Change shop',
    reconnectNow: 'Reconnect now',
    dismiss: 'Dismiss',
    conversation: 'Conversation',
    voiceReplies: 'Voice replies',
    messageLabel: 'Your message',
    placeholder: 'Type your message…',
    send: 'Send',
    stop: 'Stop',
    micStart: 'Speak your message',
    micStop: 'Stop listening',
    listening: 'Listening…',
    status: {
      idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected',
      reconnecting: 'Reconnecting…', disconnected: 'Disconnected',
    },
    reconnectAttempt: (n, seconds) => `(attempt ${n}, next try in ${seconds} s)`,
    inStock: 'In stock',
    outOfStock: 'Out of stock',
    keyFeatures: 'Key features',
    specifications: 'Specifications',
    moreFeatures: (n) => `All features (${n} more)`,
    suggested: 'Suggested products',
    viewInShop: 'View in the shop',
    confidence: 'Match confidence',
    noProducts: 'No matching products in the catalogue.',
    stopped: 'Stopped.',
    interrupted: 'Connection lost: this reply was cut off.',
    notConnected: 'Not connected, so your message was not sent. The page is reconnecting; try again in a moment.',
    busy: 'Please wait for the current reply, or press Stop.',
    voiceNoSpeech: 'Replies will be short; this browser cannot read them aloud.',
    micError: 'Microphone problem',
    chooseAnother: 'Choose another shop',
    you: 'You',
    assistant: 'Assistant',
  },
  id: {
    title: 'Asisten belanja',
    skipToInput: 'Lewati ke kotak pesan',
    changeShop: 'Ganti toko',
    reconnectNow: 'Sambungkan sekarang',
    dismiss: 'Tutup',
    conversation: 'Percakapan',
    voiceReplies: 'Balasan suara',
    messageLabel: 'Pesan Anda',
    placeholder: 'Ketik pesan Anda…',
    send: 'Kirim',
    stop: 'Berhenti',
    micStart: 'Ucapkan pesan Anda',
    micStop: 'Berhenti mendengarkan',
    listening: 'Mendengarkan…',
    status: {
      idle: 'Tidak terhubung', connecting: 'Menghubungkan…', connected: 'Terhubung',
      reconnecting: 'Menyambung ulang…', disconnected: 'Terputus',
    },
    reconnectAttempt: (n, seconds) => `(percobaan ${n}, coba lagi dalam ${seconds} dtk)`,
    inStock: 'Tersedia',
    outOfStock: 'Stok habis',
    keyFeatures: 'Fitur utama',
    specifications: 'Spesifikasi',
    moreFeatures: (n) => `Semua fitur (${n} lagi)`,
    suggested: 'Produk yang disarankan',
    viewInShop: 'Lihat di toko',
    confidence: 'Tingkat kecocokan',
    noProducts: 'Tidak ada produk yang cocok di katalog.',
    stopped: 'Dihentikan.',
    interrupted: 'Koneksi terputus: balasan ini terpotong.',
    notConnected: 'Tidak terhubung, jadi pesan Anda belum terkirim. Halaman sedang menyambung ulang; coba lagi sebentar lagi.',
    busy: 'Tunggu balasan selesai, atau tekan Berhenti.',
    voiceNoSpeech: 'Balasan akan singkat; browser ini tidak bisa membacakannya.',
    micError: 'Masalah mikrofon',
    chooseAnother: 'Pilih toko lain',
    you: 'Anda',
    assistant: 'Asisten',
  },
};

const MAX_FEATURES_SHOWN = 4;

/** `text` when it is an absolute http(s) address (the server checks too), else null: nothing else becomes a src or href. */
function webAddress(text) {
  if (typeof text !== 'string' || text === '') return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
const $ = (id) => document.getElementById(id);

/** Creates an element; `attrs` are attributes (or `text` for textContent); children are appended. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// --- brand appearance ---

function parseHexColor(value) {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value ?? '').trim());
  if (!match) return null;
  let hex = match[1];
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/** Black or white, whichever reads better on the given background. */
function readableTextOn(color) {
  const rgb = parseHexColor(color);
  if (!rgb) return '#ffffff';
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast against white vs. against near-black (#111827, luminance ≈ 0.012).
  return (1.05 / (luminance + 0.05)) >= ((luminance + 0.05) / 0.062) ? '#ffffff' : '#111827';
}

function isColor(value) {
  return typeof value === 'string' && value.length < 64 && globalThis.CSS?.supports?.('color', value);
}

function appearanceOf(brand) {
  return brand?.appearance ?? brand?.appearance_settings ?? brand?.config?.appearance_settings ?? {};
}

function applyAppearance(appearance, target = document.documentElement) {
  if (isColor(appearance.primary_color)) {
    target.style.setProperty('--primary', appearance.primary_color);
    target.style.setProperty('--on-primary', readableTextOn(appearance.primary_color));
  }
  if (isColor(appearance.accent_color)) {
    target.style.setProperty('--accent', appearance.accent_color);
    target.style.setProperty('--on-accent', readableTextOn(appearance.accent_color));
  }
}

function logoTextOf(brand) {
  const text = appearanceOf(brand).logo_text;
  if (typeof text === 'string' && text.trim()) return text.trim().slice(0, 3);
  return String(brand?.name ?? brand?.id ?? '?').trim().charAt(0).toUpperCase() || '?';
}

async function fetchJson(url, timeoutMs = 5000) {
  const response = await fetch(url, { headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

// --- picker ---

function chatIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('focusable', 'false');
  const bubble = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  bubble.setAttribute('fill', 'currentColor');
  bubble.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Zm3 6.5a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Z');
  svg.append(bubble);
  return svg;
}

async function showPicker(current = null) {
  const view = $('picker-view');
  view.hidden = false;
  document.querySelector('.skip-link').hidden = true;
  $('brand-logo').replaceChildren(chatIcon());
  document.title = STRINGS.en.title;
  const state = $('picker-state');
  const list = $('brand-list');
  $('status').hidden = true;
  state.textContent = 'Loading shops…';
  list.replaceChildren();
  try {
    const brands = await fetchJson('/brands/active');
    if (!Array.isArray(brands)) throw new Error('unexpected answer');
    if (brands.length === 0) {
      state.textContent = 'No shop is open for chat right now.';
      return;
    }
    state.textContent = `${brands.length} ${brands.length === 1 ? 'shop' : 'shops'} available.`;
    const ordered = [...brands.filter((b) => b.id === current), ...brands.filter((b) => b.id !== current)];
    for (const brand of ordered) list.append(brandCard(brand, brand.id === current));
  } catch (err) {
    state.textContent = `Could not load the shops (${err.message}). `;
    const retry = h('button', { type: 'button', class: 'link-button', text: 'Try again' });
    retry.addEventListener('click', () => showPicker(current));
    state.append(retry);
  } finally {
    document.documentElement.dataset.ready = 'picker';
  }
}

function brandCard(brand, isCurrent = false) {
  const language = normalizeLanguage(brand.language);
  const logo = h('span', { class: 'logo', 'aria-hidden': 'true', text: logoTextOf(brand) });
  applyAppearance(appearanceOf(brand), logo);
  const link = h('a', { class: 'brand-link', href: `/ui/?brand=${encodeURIComponent(brand.id)}`,
    lang: language, 'aria-current': isCurrent ? 'true' : null },
  logo,
  h('span', { class: 'brand-link-text' },
    h('span', { class: 'brand-link-name', text: brand.name ?? brand.id }),
    brand.description ? h('span', { class: 'brand-link-desc', text: brand.description }) : null,
    h('span', { class: 'brand-link-lang', lang: 'en',
      text: language === 'id' ? 'Chats in Bahasa Indonesia' : 'Chats in English' }),
    isCurrent ? h('span', { class: 'brand-link-current', lang: 'en', 'data-testid': 'current-brand', text: 'The shop you were chatting with' }) : null));
  return h('li', { 'data-testid': 'brand-option', 'data-brand-id': brand.id }, link);
}

// --- chat ---

class ChatPage {
  constructor(brandId) {
    this.brandId = brandId;
    this.brand = null;
    this.language = 'en';
    this.t = STRINGS.en;
    this.voice = false;
    this.reply = null; // the bot reply being streamed: {view, voice}
    this.welcomeShown = false;
    this.stickToBottom = true;
    this.recognition = null;
    this.messages = $('messages');
    this.input = $('message-input');
  }

  async start() {
    $('chat-view').hidden = false;
    $('change-shop').hidden = false;
    $('change-shop').href = `/ui/?from=${encodeURIComponent(this.brandId)}`;
    $('brand-name').textContent = this.brandId;
    $('brand-logo').textContent = this.brandId.charAt(0).toUpperCase();
    this.setLanguage('en');
    this.wireControls();

    try {
      this.brand = await fetchJson(`/brands/${encodeURIComponent(this.brandId)}`, 3000);
      this.showBrand(this.brand);
    } catch {
      // The socket will say whether the brand exists; keep the default look meanwhile.
    }

    this.client = new ChatClient(this.brandId);
    this.wireClient(this.client);
    this.client.connect();
    globalThis.brandchat = { client: this.client, page: this };
    document.documentElement.dataset.ready = 'chat';
  }

  showBrand(brand) {
    applyAppearance(appearanceOf(brand));
    $('brand-logo').textContent = logoTextOf(brand);
    if (brand.name) {
      $('brand-name').textContent = brand.name;
      document.title = `${brand.name} · ${STRINGS[normalizeLanguage(brand.language)].title}`;
    }
    this.setLanguage(normalizeLanguage(brand.language));
  }

  setLanguage(language) {
    this.language = language;
    this.t = STRINGS[language];
    document.documentElement.lang = language;
    for (const node of document.querySelectorAll('[data-i18n]')) {
      const text = this.t[node.dataset.i18n];
      if (typeof text === 'string') node.textContent = text;
    }
    this.input.placeholder = this.t.placeholder;
    $('mic-label').textContent = this.recognition ? this.t.micStop : this.t.micStart;
    if (this.client) this.renderStatus({ status: this.client.status, attempt: this.client.attempt });
  }

  wireControls() {
    $('composer-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    $('stop').addEventListener('click', () => this.stop());
    $('voice-toggle').addEventListener('click', () => this.toggleVoice());
    $('error-dismiss').addEventListener('click', () => this.hideError());
    $('reconnect').addEventListener('click', () => {
      if (this.client.status === 'disconnected') this.client.connect();
      else this.client.reconnectNow();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.client?.streaming) this.stop();
    });
    this.messages.addEventListener('scroll', () => {
      const { scrollTop, scrollHeight, clientHeight } = this.messages;
      this.stickToBottom = scrollHeight - scrollTop - clientHeight < 80;
    }, { passive: true });
    globalThis.addEventListener('online', () => this.client?.reconnectNow());
    document.addEventListener('visibilitychange', () => this.reply?.view.flush());
    this.setupMicrophone();
  }

  wireClient(client) {
    client.on('status', (detail) => this.renderStatus(detail));
    client.on('welcome', (data) => {
      if (!this.brand && data.brand_name) $('brand-name').textContent = data.brand_name;
      // After a reconnect the server greets again; the conversation already shows it.
      if (this.welcomeShown || !data.message) return;
      this.welcomeShown = true;
      this.appendBotBubble({ testid: 'welcome', state: 'complete' }).view.show(data.message);
    });
    client.on('start', ({ voice }) => this.beginReply(voice));
    client.on('chunk', ({ text }) => this.reply?.view.update(text));
    client.on('complete', (detail) => this.completeReply(detail));
    client.on('interrupted', () => this.endReply('interrupted', this.t.interrupted));
    client.on('error', ({ message, duringReply, fatal }) => {
      if (duringReply) this.endReply('error', null);
      this.showError(message);
      if (fatal) {
        $('error-text').append(' ', h('a', { href: `/ui/?from=${encodeURIComponent(this.brandId)}`, text: this.t.chooseAnother }));
      }
    });
  }

  renderStatus({ status, attempt, retryInMs }) {
    const node = $('status');
    node.dataset.state = status;
    $('status-text').textContent = this.t.status[status] ?? status;
    $('status-detail').textContent = status === 'reconnecting' && attempt > 0 && retryInMs
      ? ` ${this.t.reconnectAttempt(attempt, Math.round(retryInMs / 100) / 10)}` : '';
    $('reconnect').hidden = !(status === 'reconnecting' || status === 'disconnected');
    if (status === 'connected' && this.errorKind === 'connection') this.hideError();
  }

  showError(message, kind = 'server') {
    this.errorKind = kind;
    $('error-text').textContent = message;
    $('error').hidden = false;
  }

  hideError() {
    this.errorKind = null;
    $('error').hidden = true;
  }

  send() {
    const text = this.input.value.trim();
    if (!text) return;
    if (this.client.streaming) {
      this.showError(this.t.busy, 'local');
      return;
    }
    if (!this.client.isOpen) {
      this.showError(this.t.notConnected, 'connection');
      return;
    }
    this.stopSpeaking();
    this.appendUserBubble(text);
    this.lastUserText = text;
    this.stickToBottom = true;
    if (this.client.sendMessage(text, { voice: this.voice })) {
      this.input.value = '';
      this.hideError();
    }
  }

  stop() {
    this.stopSpeaking();
    this.client.cancel();
  }

  toggleVoice() {
    this.voice = !this.voice;
    $('voice-toggle').setAttribute('aria-pressed', String(this.voice));
    $('voice-hint').textContent = this.voice && !globalThis.speechSynthesis ? this.t.voiceNoSpeech : '';
    if (!this.voice) this.stopSpeaking();
  }

  setStreaming(streaming) {
    const send = $('send');
    const stop = $('stop');
    const focusWasOn = document.activeElement;
    send.hidden = streaming;
    stop.hidden = !streaming;
    this.messages.setAttribute('aria-busy', String(streaming));
    if (streaming && focusWasOn === send) stop.focus();
    if (!streaming && focusWasOn === stop) this.input.focus();
  }

  appendUserBubble(text) {
    const bubble = h('div', { class: 'msg user', 'data-testid': 'user-message' },
      h('span', { class: 'visually-hidden', text: `${this.t.you}: ` }),
      h('p', { class: 'msg-text', text }));
    this.messages.append(bubble);
    this.scrollToEnd(true);
  }

  appendBotBubble({ testid, state }) {
    const text = h('span', { class: 'msg-text-content' });
    const caret = h('span', { class: 'caret', 'aria-hidden': 'true' });
    const body = h('p', { class: 'msg-text', 'data-testid': 'bot-text' }, text, caret);
    const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true',
      text: $('brand-logo').textContent });
    const bubble = h('div', { class: 'msg bot', 'data-testid': testid, 'data-state': state },
      avatar,
      h('div', { class: 'msg-body' },
        h('span', { class: 'visually-hidden', text: `${$('brand-name').textContent}: ` }),
        body));
    this.messages.append(bubble);
    const view = new TypingView(text, () => this.scrollToEnd());
    this.scrollToEnd();
    return { bubble, body: bubble.querySelector('.msg-body'), view };
  }

  beginReply(voice) {
    this.reply = { ...this.appendBotBubble({ testid: 'bot-message', state: 'streaming' }), voice };
    this.setStreaming(true);
  }

  completeReply({ text, products, confidence, cancelled }) {
    const reply = this.reply;
    if (!reply) return;
    this.reply = null;
    this.setStreaming(false);
    reply.view.update(text);
    // The page speaks the conversation's language: the server answers in the customer's (or the
    // conversation's) language, so the reply's words say which; the customer's own words, when the
    // reply is too short to tell; else it stays as it was (the brand's, at first).
    if (!cancelled) this.setLanguage(detectLanguage(text, detectLanguage(this.lastUserText, this.language)));
    reply.view.finish(() => {
      reply.bubble.dataset.state = cancelled ? 'stopped' : 'complete';
      if (!text && !cancelled) reply.body.querySelector('.msg-text').hidden = true;
      if (products) reply.body.append(...this.productSection(products, confidence));
      if (cancelled) reply.body.append(h('p', { class: 'msg-note', text: this.t.stopped }));
      this.scrollToEnd();
      if (reply.voice && this.voice && !cancelled) this.speak(text);
    });
  }

  endReply(state, note) {
    const reply = this.reply;
    if (!reply) return;
    this.reply = null;
    this.setStreaming(false);
    reply.view.finish(() => {
      reply.bubble.dataset.state = state;
      if (note) reply.body.append(h('p', { class: 'msg-note', text: note }));
      this.scrollToEnd();
    });
  }

  productSection(products, confidence) {
    if (products.length === 0) {
      // [] with a score means the catalogue was searched and nothing matched; [] without one
      // (or null) means the message was not about products, so there is nothing to say.
      return confidence === null ? [] : [h('p', { class: 'msg-note', text: this.t.noProducts })];
    }
    const heading = h('p', { class: 'products-title', text: this.t.suggested });
    const grid = h('div', { class: 'product-grid' }, ...products.map((p) => this.productCard(p)));
    const nodes = [heading, grid];
    if (confidence !== null) {
      const percent = formatPercent(confidence);
      nodes.push(h('p', { class: 'confidence', 'data-testid': 'confidence' },
        h('span', { class: 'confidence-label', text: `${this.t.confidence}: ` }),
        h('strong', { class: 'confidence-value', text: percent }),
        h('span', { class: 'confidence-bar', 'aria-hidden': 'true' },
          h('span', { class: 'confidence-fill', style: `width: ${percent}` }))));
    }
    return nodes;
  }

  productCard(product) {
    const t = this.t;
    const features = Array.isArray(product.features) ? product.features.map(String) : [];
    const specs = product.specifications && typeof product.specifications === 'object'
      ? Object.entries(product.specifications) : [];
    const available = product.availability === true;
    const extraFeatures = features.slice(MAX_FEATURES_SHOWN);

    const details = specs.length || extraFeatures.length
      ? h('details', { class: 'product-details' },
        h('summary', { text: t.specifications }),
        specs.length ? h('dl', { class: 'specs' }, ...specs.flatMap(([key, value]) => [
          h('dt', { text: humanizeKey(key) }),
          h('dd', { text: typeof value === 'object' ? JSON.stringify(value) : String(value) }),
        ])) : null,
        extraFeatures.length ? h('p', { class: 'more-features-title', text: t.moreFeatures(extraFeatures.length) }) : null,
        extraFeatures.length ? h('ul', { class: 'more-features' }, ...extraFeatures.map((f) => h('li', { text: f }))) : null)
      : null;

    const imageUrl = webAddress(product.image_url);
    const page = webAddress(product.url);
    const image = imageUrl ? h('img', { class: 'product-image', 'data-testid': 'product-image', src: imageUrl, alt: '',
      loading: 'lazy', referrerpolicy: 'no-referrer' }) : null;
    image?.addEventListener('error', () => image.remove()); // a broken picture is no picture
    return h('article', { class: 'product-card', 'data-testid': 'product-card',
      'data-product-id': product.id },
    image,
    h('div', { class: 'product-head' },
      h('h3', { class: 'product-name', text: product.name ?? product.id }),
      product.category ? h('span', { class: 'product-category', text: product.category }) : null),
    h('p', { class: 'product-price', 'data-testid': 'product-price', text: formatRupiah(product.price) }),
    h('p', { class: `availability ${available ? 'in-stock' : 'out-of-stock'}`,
      'data-testid': 'availability', text: available ? t.inStock : t.outOfStock }),
    product.description ? h('p', { class: 'product-desc', text: product.description }) : null,
    features.length ? h('ul', { class: 'features', 'aria-label': t.keyFeatures },
      ...features.slice(0, MAX_FEATURES_SHOWN).map((f) => h('li', { text: f }))) : null,
    details,
    page ? h('a', { class: 'product-link', 'data-testid': 'product-link', href: page, target: '_blank',
      rel: 'noopener noreferrer', text: t.viewInShop }) : null);
  }

  scrollToEnd(force = false) {
    if (force || this.stickToBottom) this.messages.scrollTop = this.messages.scrollHeight;
  }

  // --- voice ---

  speak(text) {
    const synth = globalThis.speechSynthesis;
    if (!synth || typeof globalThis.SpeechSynthesisUtterance !== 'function' || !text.trim()) return;
    const tag = speechLanguageTag(detectLanguage(text, this.language));
    try {
      synth.cancel();
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = tag;
      const voices = synth.getVoices();
      const norm = (lang) => String(lang).replace('_', '-').toLowerCase();
      utterance.voice = voices.find((v) => norm(v.lang) === tag.toLowerCase())
        ?? voices.find((v) => norm(v.lang).startsWith(tag.slice(0, 2).toLowerCase())) ?? null;
      synth.speak(utterance);
    } catch {
      // Speech is a nicety; the reply is on screen.
    }
  }

  stopSpeaking() {
    try { globalThis.speechSynthesis?.cancel(); } catch { /* ignore */ }
  }

  setupMicrophone() {
    const Recognition = globalThis.SpeechRecognition ?? globalThis.webkitSpeechRecognition;
    const mic = $('mic');
    if (typeof Recognition !== 'function') return;
    mic.hidden = false;
    const setListening = (listening) => {
      mic.setAttribute('aria-pressed', String(listening));
      mic.classList.toggle('listening', listening);
      $('mic-label').textContent = listening ? this.t.micStop : this.t.micStart;
      this.input.placeholder = listening ? this.t.listening : this.t.placeholder;
    };
    mic.addEventListener('click', () => {
      if (this.recognition) {
        this.recognition.stop();
        return;
      }
      let recognition;
      try {
        recognition = new Recognition();
      } catch (err) {
        this.showError(`${this.t.micError}: ${err.message}`, 'local');
        return;
      }
      recognition.lang = speechLanguageTag(this.language);
      recognition.interimResults = true;
      recognition.maxAlternatives = 1;
      recognition.onresult = (event) => {
        let transcript = '';
        let final = false;
        for (let i = 0; i < event.results.length; i += 1) {
          transcript += event.results[i][0].transcript;
          if (event.results[i].isFinal) final = true;
        }
        this.input.value = transcript;
        if (final) {
          recognition.stop();
          this.send();
        }
      };
      recognition.onerror = (event) => {
        if (event.error !== 'aborted' && event.error !== 'no-speech') {
          this.showError(`${this.t.micError}: ${event.error}`, 'local');
        }
      };
      recognition.onend = () => {
        this.recognition = null;
        setListening(false);
      };
      try {
        recognition.start();
        this.recognition = recognition;
        setListening(true);
      } catch (err) {
        this.showError(`${this.t.micError}: ${err.message}`, 'local');
      }
    });
  }
}

/**
 * Reveals streamed text a few characters per animation frame, so replies visibly type out
 * even when the server sends large chunks; it never lags far behind what has arrived.
 */
class TypingView {
  constructor(node, onRender) {
    this.node = node;
    this.onRender = onRender;
    this.target = '';
    this.shown = 0;
    this.frame = null;
    this.done = null;
    this.instant = globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
  }

  show(text) {
    this.target = text;
    this.flush();
  }

  update(text) {
    this.target = text;
    this.schedule();
  }

  /** Calls `done` once everything received so far is on screen. */
  finish(done) {
    this.done = done;
    this.schedule();
  }

  flush() {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.shown = this.target.length;
    this.render();
  }

  schedule() {
    if (this.instant || document.hidden) {
      this.flush();
      return;
    }
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.step());
  }

  step() {
    this.frame = null;
    const backlog = this.target.length - this.shown;
    if (backlog > 0) {
      this.shown += Math.max(1, Math.ceil(backlog / 6));
      // Never split a surrogate pair.
      const code = this.target.charCodeAt(this.shown - 1);
      if (code >= 0xd800 && code <= 0xdbff) this.shown += 1;
      this.render();
    } else {
      this.render();
    }
    if (this.shown < this.target.length) this.schedule();
  }

  render() {
    this.shown = Math.min(this.shown, this.target.length);
    this.node.textContent = this.target.slice(0, this.shown);
    this.onRender();
    if (this.done && this.shown >= this.target.length) {
      const done = this.done;
      this.done = null;
      done();
    }
  }
}

function main() {
  const params = new URLSearchParams(globalThis.location.search);
  const brandId = params.get('brand')?.trim();
  if (brandId) new ChatPage(brandId).start();
  else showPicker(params.get('from')?.trim() || null);
}

main();
