// The game socket: one WebSocket to /ws, hello with the saved token, reconnect with backoff,
// resume from the last seq, and an outbox of actions resent with the same client_msg_id
// until they are answered (the server answers a repeated id once, never applying it twice).

const PROTOCOL = 1;
const PREFIX = 'gl.room.';

// --- Sessions in localStorage, one per room ------------------------------------------------

export function loadSession(code) {
  try {
    const raw = localStorage.getItem(PREFIX + code);
    return raw ? JSON.parse(raw) : null;
  } catch (e) { return null; }
}

/** Save a session under its key (a host's is 'host.CODE', a player's the room code). */
export function saveSession(s) {
  if (!s || !s.code) return;
  try { localStorage.setItem(PREFIX + (s.key || s.code), JSON.stringify(s)); } catch (e) { /* full or private */ }
}

export function dropSession(code) {
  try { localStorage.removeItem(PREFIX + code); } catch (e) { /* ignore */ }
}

export function rememberLast(kind, code) {
  try {
    if (code) localStorage.setItem('gl.last.' + kind, code);
    else localStorage.removeItem('gl.last.' + kind);
  } catch (e) { /* ignore */ }
}

export function lastCode(kind) {
  try { return localStorage.getItem('gl.last.' + kind); } catch (e) { return null; }
}

// Messages that end a session for good: the token is wrong or the room is gone, or kicked.
const FATAL = ['auth/bad_token', 'room/kicked', 'room/gone'];

export class GameSocket {
  /**
   * @param {object} o onMessage(msg), onStatus(status) where status is one of
   *   'connecting' | 'open' | 'reconnecting' | 'closed'; session (optional, with token).
   */
  constructor(o) {
    this.onMessage = o.onMessage;
    this.onStatus = o.onStatus || function () {};
    this.session = o.session || null;
    this.ws = null;
    this.status = 'idle';
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.ready = false;
    this.everReady = false;
    this.lastHeard = 0;
    this.seq = this.session ? this.session.seq || 0 : 0;
    this.queue = []; // messages without a session (create_room, join): sent once, when open
    this.live = null;
    // Resume from last_seq on the first connection only when the page kept its state (a cached
    // view); otherwise ask for a snapshot, and resume from last_seq on later reconnects.
    this.resumeFirst = !!o.resumeFirst;
  }

  start() {
    this.stopped = false;
    this._open();
    if (!this.live) {
      this.live = setInterval(() => this._check(), 5000);
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') this.poke();
      });
      window.addEventListener('online', () => this.poke());
      window.addEventListener('offline', () => { if (this.ws) this._drop(); });
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) { const ws = this.ws; this.ws = null; try { ws.close(1000); } catch (e) { /* */ } }
    this._status('closed');
  }

  /** Take on a session (after room_created or joined): reconnects will resume it. */
  adopt(session) {
    this.session = session;
    this.seq = session.seq || 0;
  }

  get connected() { return !!this.ws && this.ws.readyState === 1 && this.ready; }

  /** Send a message. Actions with a client_msg_id are kept until answered, and resent after a
   * reconnect; other messages (join, create) are sent once the socket is open. */
  send(msg) {
    if (msg.client_msg_id && this.session && this.session.token) {
      this.session.outbox = this.session.outbox || {};
      this.session.outbox[msg.client_msg_id] = msg;
      saveSession(this.session);
      if (this.connected) this._raw(msg);
      return;
    }
    if (this.ws && this.ws.readyState === 1 && this.ready) this._raw(msg);
    else this.queue.push(msg);
  }

  /** Check the connection now (the page came back to the front, or the network returned). */
  poke() {
    if (this.stopped) return;
    if (!this.ws) {
      clearTimeout(this.timer);
      this.attempt = 0;
      this._open();
    } else if (this.ws.readyState === 1) {
      this._raw({ type: 'ping' });
      this.pokedAt = Date.now();
    }
  }

  _status(s) {
    if (this.status === s) return;
    this.status = s;
    this.onStatus(s);
  }

  _open() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    let ws;
    try { ws = new WebSocket(url); } catch (e) { this._retry(); return; }
    this.ws = ws;
    this.ready = false;
    this._status(this.everReady ? 'reconnecting' : 'connecting');
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      const hello = { type: 'hello', protocol: PROTOCOL };
      if (this.session && this.session.token) {
        hello.token = this.session.token;
        if (this.session.seq > 0 && (this.everReady || this.resumeFirst)) hello.last_seq = this.session.seq;
      }
      this._raw(hello);
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      this._handle(m);
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.ready = false;
      if (this.stopped || e.code === 4003) { this._status('closed'); return; }
      this._retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  _drop() {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) { ws.onclose = null; try { ws.close(); } catch (e) { /* */ } }
    if (!this.stopped) this._retry();
  }

  _retry() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this._status(this.everReady || this.session ? 'reconnecting' : 'connecting');
    const delay = Math.min(10000, 500 * Math.pow(2, this.attempt)) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    this.timer = setTimeout(() => this._open(), delay);
  }

  _check() {
    if (!this.ws || this.ws.readyState !== 1) return;
    const quiet = Date.now() - this.lastHeard;
    if (this.pokedAt && Date.now() - this.pokedAt > 6000 && this.lastHeard < this.pokedAt) {
      this.pokedAt = 0;
      this._drop();
    } else if (quiet > 40000) {
      this._drop();
    } else if (quiet > 20000) {
      this._raw({ type: 'ping' });
    }
  }

  _raw(msg) {
    try { this.ws.send(JSON.stringify(msg)); } catch (e) { /* closed: onclose retries */ }
  }

  _becomeReady() {
    this.ready = true;
    this.everReady = true;
    this.attempt = 0;
    this._status('open');
    const q = this.queue;
    this.queue = [];
    for (const m of q) this._raw(m);
    const box = this.session && this.session.outbox;
    if (box) for (const id of Object.keys(box)) this._raw(box[id]);
  }

  _handle(m) {
    const s = this.session;
    switch (m.type) {
      case 'welcome':
        if (!s || !s.token) this._becomeReady();
        break;
      case 'snapshot':
        this.seq = m.seq;
        if (s) { s.seq = m.seq; s.resultPending = false; saveSession(s); }
        this._becomeReady();
        break;
      case 'resumed':
        this._becomeReady();
        break;
      case 'event': {
        if (m.seq === 0) break; // a passing count for hosts (decided): not numbered, not kept
        if (m.seq <= this.seq) return; // seen already
        this.seq = m.seq;
        if (s) {
          const kind = m.event && m.event.kind;
          // A player keeps the seq before a round's close until its personal result arrives,
          // so a drop in between resumes with a snapshot rather than missing the result.
          if (s.role === 'player' && (kind === 'round_closed' || kind === 'game_over')) {
            s.seq = m.seq - 1;
          } else {
            s.seq = m.seq;
          }
          saveSession(s);
        }
        break;
      }
      case 'round_result':
      case 'life_over':
        if (s) { s.seq = Math.max(s.seq || 0, m.seq, this.seq); saveSession(s); }
        break;
      case 'ack':
      case 'error':
        if (m.client_msg_id && s && s.outbox && s.outbox[m.client_msg_id]) {
          m.request = s.outbox[m.client_msg_id];
          delete s.outbox[m.client_msg_id];
          saveSession(s);
        }
        if (m.type === 'error' && FATAL.indexOf(m.code) >= 0) this.stopped = true;
        if (m.type === 'error' && m.code === 'room/not_found' && s && s.token && !this.ready) {
          this.stopped = true;
        }
        break;
      default:
        break;
    }
    this.onMessage(m);
  }
}
