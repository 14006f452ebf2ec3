// A client for the brandchat WebSocket chat protocol (/ws/chat/{brand_id}), written only from the
// protocol document, so it doubles as a reference client. It reconnects with exponential backoff
// (1 s, ×1.5, at most 30 s, like the document's ReconnectingWebSocket), keeps the conversation_id
// across reconnects and sends it with every chat, and pings to keep idle connections alive.
//
// Events (listen with client.on(type, fn); fn receives the event detail):
//   status      {status: 'connecting'|'connected'|'reconnecting'|'disconnected', attempt, retryInMs}
//   welcome     {message, brand_id, brand_name}
//   start       {message, voice}                      a chat was sent; a reply is expected
//   chunk       {content, text, conversationId}      text = the reply so far
//   complete    {text, products, confidence, conversationId, cancelled}
//   error       {message, kind: 'server'|'protocol'|'connection', fatal, duringReply}
//   interrupted {text}                                the connection dropped while a reply streamed
//   pong        {timestamp}
//   unknown     {message}                             a message type the document does not name

export const DEFAULT_OPTIONS = Object.freeze({
  reconnectInterval: 1000,
  maxReconnectInterval: 30000,
  reconnectDecay: 1.5,
  pingInterval: 25000,
  // With no message at all this long after a ping, the connection is taken as dead.
  pongTimeout: 10000,
  // If the server does not answer a cancel with `complete` this long, the reply is ended locally.
  cancelTimeout: 5000,
});

/** The WebSocket URL for a brand, on the page's own host, ws: or wss: to match http: or https:. */
export function chatSocketUrl(brandId, loc = globalThis.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws/chat/${encodeURIComponent(brandId)}`;
}

const OPEN = 1;

export class ChatClient extends EventTarget {
  /**
   * @param {string} brandId
   * @param {object} [options] DEFAULT_OPTIONS overrides, plus `url`, `WebSocket` (an implementation,
   *   e.g. for Node) and `conversationId` (to continue a known conversation).
   */
  constructor(brandId, options = {}) {
    super();
    this.brandId = brandId;
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.url = options.url || chatSocketUrl(brandId);
    this.WebSocketImpl = options.WebSocket || globalThis.WebSocket;
    this.conversationId = options.conversationId ?? null;
    this.status = 'idle';
    this.socket = null;
    this.streaming = false;
    this.currentMessage = '';
    this.attempt = 0;
    this._everConnected = false;
    this._reconnectDelay = this.options.reconnectInterval;
    this._reconnectTimer = null;
    this._pingTimer = null;
    this._pongTimer = null;
    this._cancelTimer = null;
    this._cancelRequested = false;
    this._discardUntilComplete = false;
    this._closedByUser = false;
    this._fatal = false;
    this._gotWelcome = false;
    this._lastMessageAt = 0;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on(type, fn) {
    const listener = (event) => fn(event.detail);
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }

  get isOpen() {
    return Boolean(this.socket) && this.socket.readyState === OPEN;
  }

  connect() {
    this._closedByUser = false;
    this._fatal = false;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    if (this.socket) return;
    this._open();
  }

  /** Skips the backoff wait (e.g. when the browser comes back online). */
  reconnectNow() {
    if (this._closedByUser || this.socket) return;
    this._reconnectDelay = this.options.reconnectInterval;
    this.connect();
  }

  close() {
    this._closedByUser = true;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    const ws = this.socket;
    if (ws) {
      this._detach(ws);
      try { ws.close(1000, 'client closed'); } catch { /* already closing */ }
      this._socketGone();
    } else {
      this._setStatus('disconnected');
    }
  }

  /**
   * Sends a chat message. Returns false (and sends nothing) when the text is empty, the socket is
   * not open, or a reply is still streaming.
   */
  sendMessage(text, { voice = false, userId } = {}) {
    const message = String(text ?? '').trim();
    if (!message || !this.isOpen || this.streaming) return false;
    const data = { message, conversation_id: this.conversationId, voice: Boolean(voice) };
    if (userId) data.user_id = userId;
    this.socket.send(JSON.stringify({ type: 'chat', data }));
    this.streaming = true;
    this.currentMessage = '';
    this._cancelRequested = false;
    this._discardUntilComplete = false;
    this._emit('start', { message, voice: data.voice });
    return true;
  }

  /** Asks the server to stop the reply being streamed; it answers with `complete`. */
  cancel() {
    if (!this.streaming || !this.isOpen || this._cancelRequested) return false;
    this.socket.send(JSON.stringify({ type: 'cancel', data: {} }));
    this._cancelRequested = true;
    this._cancelTimer = setTimeout(() => {
      if (!this.streaming || !this._cancelRequested) return;
      // The server did not confirm: end the reply here and drop its late chunks.
      this._discardUntilComplete = true;
      this._finishReply({ text: this.currentMessage, products: null, confidence: null,
        conversationId: this.conversationId, cancelled: true });
    }, this.options.cancelTimeout);
    return true;
  }

  sendPing() {
    if (!this.isOpen) return false;
    const sentAt = Date.now();
    this.socket.send(JSON.stringify({ type: 'ping', data: {} }));
    clearTimeout(this._pongTimer);
    this._pongTimer = setTimeout(() => {
      if (this._lastMessageAt < sentAt) this._dropDeadSocket();
    }, this.options.pongTimeout);
    return true;
  }

  // --- internals ---

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _setStatus(status, extra = {}) {
    this.status = status;
    this._emit('status', { status, attempt: this.attempt, ...extra });
  }

  _open() {
    this._gotWelcome = false;
    this._setStatus(this._everConnected || this.attempt > 0 ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (err) {
      this._emit('error', { message: `Cannot open ${this.url}: ${err.message}`, kind: 'connection',
        fatal: true, duringReply: false });
      this._setStatus('disconnected');
      return;
    }
    this.socket = ws;
    ws.onopen = () => {
      if (ws !== this.socket) return;
      this._everConnected = true;
      this.attempt = 0;
      this._reconnectDelay = this.options.reconnectInterval;
      this._lastMessageAt = Date.now();
      this._setStatus('connected');
      this._startKeepAlive();
    };
    ws.onmessage = (event) => {
      if (ws !== this.socket) return;
      this._lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        this._emit('error', { message: 'The server sent a message that is not JSON.', kind: 'protocol',
          fatal: false, duringReply: this.streaming });
        return;
      }
      this._handle(message);
    };
    ws.onclose = (event) => {
      if (ws !== this.socket) return;
      this._detach(ws);
      this._socketGone(event);
    };
    // A failed connection also fires `close`, where it is handled.
    ws.onerror = () => {};
  }

  _detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  }

  _socketGone() {
    this._stopKeepAlive();
    this.socket = null;
    if (this.streaming) {
      this.streaming = false;
      clearTimeout(this._cancelTimer);
      this._emit('interrupted', { text: this.currentMessage });
    }
    if (this._closedByUser || this._fatal) {
      this._setStatus('disconnected');
      return;
    }
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    const delay = this._reconnectDelay;
    this._reconnectDelay = Math.min(delay * this.options.reconnectDecay, this.options.maxReconnectInterval);
    this.attempt += 1;
    this._setStatus('reconnecting', { retryInMs: delay });
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      this._open();
    }, delay);
  }

  _dropDeadSocket() {
    const ws = this.socket;
    if (!ws) return;
    this._detach(ws);
    try { ws.close(4000, 'keep-alive timeout'); } catch { /* ignore */ }
    this._socketGone();
  }

  _startKeepAlive() {
    this._stopKeepAlive();
    this._pingTimer = setInterval(() => this.sendPing(), this.options.pingInterval);
  }

  _stopKeepAlive() {
    clearInterval(this._pingTimer);
    clearTimeout(this._pongTimer);
    this._pingTimer = this._pongTimer = null;
  }

  _finishReply(detail) {
    this.streaming = false;
    this._cancelRequested = false;
    clearTimeout(this._cancelTimer);
    this._emit('complete', detail);
  }

  _handle(message) {
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') {
      this._emit('error', { message: 'The server sent a message without a type.', kind: 'protocol',
        fatal: false, duringReply: this.streaming });
      return;
    }
    const data = message.data && typeof message.data === 'object' ? message.data : {};
    switch (message.type) {
      case 'welcome':
        this._gotWelcome = true;
        this._emit('welcome', data);
        break;
      case 'chunk': {
        if (this._discardUntilComplete) break;
        if (typeof data.conversation_id === 'string' && data.conversation_id) {
          this.conversationId = data.conversation_id;
        }
        if (!this.streaming) {
          // A reply we did not ask for (e.g. after a reconnect): show it anyway.
          this.streaming = true;
          this.currentMessage = '';
          this._emit('start', { message: null, voice: false });
        }
        const content = typeof data.content === 'string' ? data.content : '';
        this.currentMessage += content;
        this._emit('chunk', { content, text: this.currentMessage, conversationId: this.conversationId });
        break;
      }
      case 'complete': {
        if (typeof data.conversation_id === 'string' && data.conversation_id) {
          this.conversationId = data.conversation_id;
        }
        if (this._discardUntilComplete) {
          this._discardUntilComplete = false;
          break;
        }
        if (typeof data.content === 'string') this.currentMessage += data.content;
        const cancelled = this._cancelRequested;
        this._finishReply({
          text: this.currentMessage,
          products: Array.isArray(data.suggested_products) ? data.suggested_products : null,
          confidence: typeof data.confidence_score === 'number' ? data.confidence_score : null,
          conversationId: this.conversationId,
          cancelled,
        });
        break;
      }
      case 'error': {
        // An error before the welcome means the server refused this brand: retrying cannot help.
        if (!this._gotWelcome) this._fatal = true;
        const duringReply = this.streaming;
        if (duringReply) {
          this.streaming = false;
          this._cancelRequested = false;
          clearTimeout(this._cancelTimer);
        }
        this._emit('error', { message: String(data.message ?? 'Unknown error'), kind: 'server',
          fatal: this._fatal, duringReply });
        break;
      }
      case 'pong':
        this._emit('pong', data);
        break;
      default:
        this._emit('unknown', message);
    }
  }
}
