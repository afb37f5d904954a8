// Halo's window: one state object, changed by the person's actions and by the phone's events,
// and render functions that redraw a part of the page from it. No SIP here: api.js is the
// only way out.

import * as api from './api.js';

const $ = (id) => document.getElementById(id);

// Builds an element; text is always set as text, never parsed as HTML, since names, notes
// and messages come from other people.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

const STATUS_LABEL = {
  available: 'Available',
  away: 'Away',
  busy: 'Busy',
  dnd: 'Do not disturb',
  'on-the-phone': 'On the phone',
  offline: 'Offline',
};

const DELIVERY_LABEL = {
  sending: 'sending…',
  queued: 'queued: goes out when the connection is back',
  sent: 'sent',
  delivered: 'delivered',
  stored: 'stored for offline delivery',
  failed: 'failed',
};

const CALL_LABEL = {
  calling: 'Calling…',
  ringing: 'Ringing…',
  early: 'Ringing…',
  active: 'Connected',
  held: 'On hold',
  ended: 'Call ended',
};

function freshState() {
  return {
    live: false,
    me: null,
    registration: 'Connecting…',
    buddies: [], // [{uri, name}] in the server's order
    presence: new Map(), // uri -> {status, note}
    watch: new Map(), // uri -> pending | retrying | ended
    requests: new Map(), // watcher uri -> state
    chats: new Map(), // uri -> {lines, loaded, unread}
    earlyStatus: new Map(), // message id -> delivery state that came before its id was known
    selected: null,
    calls: new Map(), // call id -> {id, peer, state, reason, incoming, muted, since}
    shownCall: null,
    removing: null,
  };
}

let state = freshState();
let nextLineKey = 1;

// ---- names --------------------------------------------------------------------------------

function userPart(uri) {
  return uri.replace(/^sips?:/, '').split('@')[0];
}

function nameOf(uri) {
  const buddy = state.buddies.find((b) => b.uri === uri);
  return (buddy && buddy.name) || userPart(uri);
}

function presenceOf(uri) {
  const watch = state.watch.get(uri);
  if (watch === 'pending') return { status: 'pending', text: 'Waiting for them to accept you' };
  const p = state.presence.get(uri);
  if (!p) return { status: 'unknown', text: 'Status not known yet' };
  const label = STATUS_LABEL[p.status] || p.status;
  return { status: p.status, text: p.note ? `${label} · ${p.note}` : label };
}

function chatOf(uri) {
  if (!state.chats.has(uri)) state.chats.set(uri, { lines: [], loaded: false, unread: 0 });
  return state.chats.get(uri);
}

// ---- toasts -------------------------------------------------------------------------------

function toast(message, kind = 'info') {
  const node = el('div', { class: `toast ${kind}`, onclick: () => node.remove() }, message);
  $('toasts').append(node);
  setTimeout(() => node.remove(), kind === 'info' ? 6000 : 12000);
}

const failed = (what) => (err) => toast(`${what}: ${err.message || err}`, 'error');

// ---- sign-in ------------------------------------------------------------------------------

async function fillSignIn() {
  try {
    const form = await api.signInForm();
    $('server').value = form.server;
    $('user').value = form.user;
    $('password').value = form.password || '';
    $('remember').checked = form.remember;
  } catch (err) {
    showSignInError(err);
  }
  ($('user').value ? $('password') : $('user')).focus();
}

const FIELD_AT_FAULT = {
  wrong_password: 'password',
  locked_out: 'user',
  account_disabled: 'user',
  unreachable: 'server',
  bad_server: 'server',
};

function showSignInError(err) {
  const box = $('signin-error');
  box.textContent = err.message || String(err);
  box.dataset.kind = err.kind || 'error';
  box.hidden = false;
  for (const id of ['server', 'user', 'password']) $(id).removeAttribute('aria-invalid');
  const field = FIELD_AT_FAULT[err.kind];
  if (field) {
    $(field).setAttribute('aria-invalid', 'true');
    $(field).focus();
  }
}

async function signIn(event) {
  event.preventDefault();
  const server = $('server').value.trim();
  const user = $('user').value.trim();
  const password = $('password').value;
  const missing = [['server', server], ['user', user], ['password', password]].find(([, v]) => !v);
  if (missing) {
    showSignInError({ kind: 'missing', message: `Please fill in the ${missing[0]}.` });
    $(missing[0]).focus();
    return;
  }
  const button = $('signin-button');
  button.disabled = true;
  button.textContent = 'Signing in…';
  $('signin-error').hidden = true;
  state = freshState();
  state.live = true;
  try {
    const signed = await api.signIn(server, user, password, $('remember').checked);
    state.me = signed;
    $('signin').hidden = true;
    $('main').hidden = false;
    $('status').value = 'available';
    $('note').value = '';
    renderAll();
    if (signed.keyring_problem) toast(signed.keyring_problem, 'notice');
  } catch (err) {
    state.live = false;
    showSignInError(err);
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
}

async function signOut() {
  const button = $('signout');
  button.disabled = true;
  try {
    await api.signOut();
  } catch (err) {
    // Stopped or never signed in: either way nobody is signed in now.
    console.warn('sign-out', err);
  }
  state = freshState();
  button.disabled = false;
  $('main').hidden = true;
  $('signin').hidden = false;
  $('password').value = '';
  await fillSignIn();
}

// ---- own status ---------------------------------------------------------------------------

function publishStatus() {
  api.setStatus($('status').value, $('note').value).catch(failed('Status not changed'));
}

function onThePhone() {
  return [...state.calls.values()].some((c) => c.state === 'active' || c.state === 'held');
}

function renderMe() {
  if (!state.me) return;
  $('me-name').textContent = state.me.user;
  $('me-initial').textContent = state.me.user.slice(0, 1).toUpperCase();
  $('registration').textContent = state.registration;
  const busyOnPhone = onThePhone();
  $('on-phone').hidden = !busyOnPhone;
  $('me-dot').className = `dot ${busyOnPhone ? 'on-the-phone' : $('status').value}`;
}

// ---- buddies and watchers -----------------------------------------------------------------

function renderBuddies() {
  const list = $('buddy-list');
  list.replaceChildren(
    ...state.buddies.map((b) => {
      const p = presenceOf(b.uri);
      const unread = chatOf(b.uri).unread;
      return el(
        'li',
        {
          class: `buddy${state.selected === b.uri ? ' selected' : ''}`,
          dataset: { uri: b.uri, status: p.status },
          title: b.uri,
          tabindex: '0',
          onclick: () => select(b.uri),
          onkeydown: (e) => e.key === 'Enter' && select(b.uri),
        },
        el('span', { class: `dot ${p.status}` }),
        el(
          'div',
          { class: 'who' },
          el('div', { class: 'name' }, b.name || userPart(b.uri)),
          el('div', { class: 'note' }, p.text),
        ),
        unread ? el('span', { class: 'badge' }, String(unread)) : null,
      );
    }),
  );
  if (!state.buddies.length) {
    list.append(el('li', { class: 'empty-list' }, 'No buddies yet: add one below.'));
  }
}

function renderRequests() {
  const pending = [...state.requests].filter(([, s]) => s === 'pending').map(([uri]) => uri);
  $('requests').hidden = pending.length === 0;
  $('request-list').replaceChildren(
    ...pending.map((uri) =>
      el(
        'li',
        { class: 'request', dataset: { uri } },
        el('div', { class: 'who' }, el('div', { class: 'name' }, userPart(uri)), el('div', { class: 'note' }, uri)),
        el('button', { type: 'button', class: 'small primary', onclick: () => decide(uri, true) }, 'Allow'),
        el('button', { type: 'button', class: 'small quiet', onclick: () => decide(uri, false) }, 'Block'),
      ),
    ),
  );
}

function decide(uri, allow) {
  const done = () => {
    // The server's next watcher list confirms it; until then the request is off the list.
    state.requests.set(uri, allow ? 'active' : 'terminated');
    renderRequests();
  };
  (allow ? api.allowWatcher(uri) : api.blockWatcher(uri)).then(done, failed('Not decided'));
}

function addBuddy(event) {
  event.preventDefault();
  const input = $('add-buddy');
  const uri = input.value.trim();
  if (!uri) return;
  api.addBuddy(uri, null).then(() => {
    input.value = '';
  }, failed('Buddy not added'));
}

function removeSelected() {
  const uri = state.selected;
  if (!uri) return;
  if (state.removing !== uri) {
    state.removing = uri;
    $('chat-remove').textContent = 'Click again to remove';
    return;
  }
  api.removeBuddy(uri).then(() => {
    state.removing = null;
    state.selected = null;
    renderChat();
  }, failed('Buddy not removed'));
}

// ---- chat ---------------------------------------------------------------------------------

async function select(uri) {
  state.selected = uri;
  state.removing = null;
  const chat = chatOf(uri);
  chat.unread = 0;
  renderBuddies();
  renderChat();
  $('chat-input').focus();
  if (!chat.loaded) {
    try {
      const stored = await api.history(uri);
      const known = new Set(stored.map((l) => l.id));
      const fresh = chat.lines.filter((l) => !l.id || !known.has(l.id));
      chat.lines = stored
        .map((l) => ({
          key: nextLineKey++,
          id: l.id,
          outgoing: l.outgoing,
          text: l.text,
          state: l.outgoing ? l.state : 'received',
          at: l.at,
        }))
        .concat(fresh);
      chat.loaded = true;
      if (state.selected === uri) renderChat();
    } catch (err) {
      failed('History not loaded')(err);
    }
  }
}

function lineState(line) {
  if (!line.outgoing) return null;
  const label = el('span', { class: `delivery ${line.state}` }, DELIVERY_LABEL[line.state] || line.state);
  if (line.state !== 'failed') return label;
  if (line.retried) return el('span', { class: 'delivery failed' }, 'failed · sent again below');
  return el(
    'span',
    { class: 'delivery failed' },
    line.why ? `failed: ${line.why} ` : 'failed ',
    el('button', { type: 'button', class: 'small retry', onclick: () => retry(line) }, 'Retry'),
  );
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function renderChat() {
  const uri = state.selected;
  $('no-chat').hidden = !!uri;
  $('chat').hidden = !uri;
  if (!uri) return;
  const p = presenceOf(uri);
  $('chat-dot').className = `dot ${p.status}`;
  $('chat-name').textContent = nameOf(uri);
  $('chat-presence').textContent = `${p.text} — ${uri}`;
  $('chat-remove').textContent = state.removing === uri ? 'Click again to remove' : 'Remove buddy';
  const lines = $('chat-lines');
  const chat = chatOf(uri);
  lines.replaceChildren(
    ...chat.lines.map((line) =>
      el(
        'li',
        {
          class: `line ${line.outgoing ? 'out' : 'in'}`,
          dataset: { id: line.id || '', state: line.state },
        },
        el('div', { class: 'bubble' }, line.text),
        el('div', { class: 'meta' }, clock(line.at), ' ', lineState(line)),
      ),
    ),
  );
  if (!chat.lines.length) {
    lines.append(el('li', { class: 'empty-list' }, `No messages with ${nameOf(uri)} yet.`));
  }
  lines.scrollTop = lines.scrollHeight;
}

// The line is on screen before anything is sent, and stays there whatever happens next.
async function sendLine(uri, text) {
  const line = { key: nextLineKey++, id: null, outgoing: true, text, state: 'sending', at: Date.now() / 1000 };
  chatOf(uri).lines.push(line);
  renderChat();
  try {
    line.id = await api.sendMessage(uri, text);
    const early = state.earlyStatus.get(line.id);
    if (early) {
      line.state = early;
      state.earlyStatus.delete(line.id);
    } else if (line.state === 'sending') {
      line.state = 'queued';
    }
  } catch (err) {
    line.state = 'failed';
    line.why = err.message || String(err);
  }
  if (state.selected === uri) renderChat();
}

function retry(line) {
  line.retried = true;
  sendLine(state.selected, line.text);
}

function send(event) {
  event.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text || !state.selected) return;
  input.value = '';
  sendLine(state.selected, text);
}

function findLine(id) {
  for (const [uri, chat] of state.chats) {
    const line = chat.lines.find((l) => l.id === id);
    if (line) return { uri, line };
  }
  return null;
}

// ---- calls --------------------------------------------------------------------------------

function callOf(id) {
  if (!state.calls.has(id)) {
    state.calls.set(id, { id, peer: null, state: 'calling', incoming: false, muted: false, since: null });
  }
  return state.calls.get(id);
}

async function placeCall(to) {
  const target = to.trim();
  if (!target) return false;
  try {
    const id = await api.call(target);
    const c = callOf(id);
    c.peer = c.peer || target;
    state.shownCall = id;
    renderCall();
    return true;
  } catch (err) {
    failed('Call not placed')(err);
    return false;
  }
}

function dial(event) {
  event.preventDefault();
  placeCall($('dial').value).then((placed) => {
    if (placed) $('dial').value = '';
  });
}

function renderIncoming() {
  const ringing = [...state.calls.values()].find((c) => c.incoming && c.state === 'ringing');
  $('incoming').hidden = !ringing;
  if (!ringing) return;
  $('incoming').dataset.call = ringing.id;
  $('incoming-from').textContent = `${nameOf(ringing.peer)} (${ringing.peer})`;
}

function duration(since) {
  const s = Math.floor((Date.now() - since) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function renderCall() {
  const c = state.calls.get(state.shownCall);
  const box = $('call');
  box.hidden = !c;
  if (!c) return;
  box.dataset.state = c.state;
  $('call-peer').textContent = c.peer ? `${nameOf(c.peer)} (${c.peer})` : 'Call';
  $('call-state').textContent = c.state === 'ended' && c.reason ? `Call ended: ${c.reason}` : CALL_LABEL[c.state] || c.state;
  $('call-timer').textContent = c.since ? duration(c.since) : '';
  const live = c.state === 'active' || c.state === 'held';
  $('call-mute').disabled = !live;
  $('call-hold').disabled = !live;
  $('call-keypad').disabled = !live;
  $('call-hangup').disabled = c.state === 'ended';
  $('call-mute').textContent = c.muted ? 'Unmute' : 'Mute';
  $('call-mute').classList.toggle('on', c.muted);
  $('call-hold').textContent = c.state === 'held' ? 'Resume' : 'Hold';
  if (!live) $('keypad').hidden = true;
}

function callEvent(e) {
  const c = callOf(e.call);
  c.state = e.state;
  c.reason = e.reason || null;
  if (e.state === 'active' && !c.since) c.since = Date.now();
  if (!c.incoming || e.state !== 'ringing') state.shownCall = e.call;
  if (e.state === 'ended') {
    setTimeout(() => {
      state.calls.delete(e.call);
      if (state.shownCall === e.call) state.shownCall = null;
      renderCall();
      renderMe();
    }, 4000);
  }
  renderIncoming();
  renderCall();
  renderMe();
}

function shown(action) {
  const id = state.shownCall;
  if (id === null || id === undefined) return;
  action(id).catch(failed('Call control failed'));
}

function buildKeypad() {
  const pad = $('keypad');
  for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    pad.append(
      el(
        'button',
        {
          type: 'button',
          dataset: { key },
          onclick: () =>
            shown((id) =>
              api.dtmf(id, key).then(() => {
                $('dtmf-sent').textContent = `${$('dtmf-sent').textContent || 'Sent: '}${key}`;
              }),
            ),
        },
        key,
      ),
    );
  }
}

// ---- events -------------------------------------------------------------------------------

function onEvent(e) {
  if (!state.live) return;
  switch (e.event) {
    case 'registered':
      state.registration = e.recovered ? 'Online again' : 'Online';
      break;
    case 'registration_failed':
      state.registration =
        `Offline: ${e.code} ${e.reason}` + (e.retry_in_ms ? `; retrying in ${Math.ceil(e.retry_in_ms / 1000)} s` : '');
      break;
    case 'unregistered':
      state.registration = 'Signed out';
      break;
    case 'buddies':
      state.buddies = e.list;
      if (state.selected && !e.list.some((b) => b.uri === state.selected)) state.selected = null;
      break;
    case 'presence':
      state.presence.set(e.uri, { status: e.status, note: e.note });
      if (state.watch.get(e.uri) === 'pending') state.watch.delete(e.uri);
      break;
    case 'watch':
      state.watch.set(e.uri, e.state);
      break;
    case 'watcher':
      state.requests.set(e.uri, e.state);
      if (e.state === 'pending') toast(`${userPart(e.uri)} asks to see your status.`);
      break;
    case 'message': {
      const chat = chatOf(e.from);
      if (!chat.lines.some((l) => l.id === e.id)) {
        chat.lines.push({ key: nextLineKey++, id: e.id, outgoing: false, text: e.text, state: 'received', at: Date.now() / 1000 });
        if (state.selected !== e.from) {
          chat.unread += 1;
          toast(`${nameOf(e.from)}: ${e.text}`);
        }
      }
      break;
    }
    case 'message_status': {
      const found = findLine(e.id);
      if (found) found.line.state = e.status;
      else state.earlyStatus.set(e.id, e.status);
      break;
    }
    case 'incoming_call': {
      const c = callOf(e.call);
      c.peer = e.from;
      c.incoming = true;
      c.state = 'ringing';
      renderIncoming();
      return;
    }
    case 'call':
      callEvent(e);
      return;
    case 'error':
      toast(e.message, 'error');
      return;
    default:
      return;
  }
  renderMe();
  renderBuddies();
  renderRequests();
  renderChat();
  renderCall();
}

function renderAll() {
  renderMe();
  renderBuddies();
  renderRequests();
  renderChat();
  renderIncoming();
  renderCall();
}

// ---- wiring -------------------------------------------------------------------------------

function wire() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('status').addEventListener('change', () => {
    publishStatus();
    renderMe();
  });
  $('note').addEventListener('change', publishStatus);
  $('note').addEventListener('keydown', (e) => e.key === 'Enter' && $('note').blur());
  $('dial-form').addEventListener('submit', dial);
  $('add-buddy-form').addEventListener('submit', addBuddy);
  $('composer').addEventListener('submit', send);
  $('chat-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) send(e);
  });
  $('chat-call').addEventListener('click', () => placeCall(state.selected));
  $('chat-remove').addEventListener('click', removeSelected);
  $('incoming-answer').addEventListener('click', () => {
    const id = Number($('incoming').dataset.call);
    state.shownCall = id;
    api.answer(id).catch(failed('Not answered'));
  });
  $('incoming-decline').addEventListener('click', () => {
    api.reject(Number($('incoming').dataset.call)).catch(failed('Not declined'));
  });
  $('call-hangup').addEventListener('click', () => shown(api.hangup));
  $('call-hold').addEventListener('click', () => {
    const c = state.calls.get(state.shownCall);
    shown(c && c.state === 'held' ? api.resume : api.hold);
  });
  $('call-mute').addEventListener('click', () => {
    const c = state.calls.get(state.shownCall);
    if (!c) return;
    api.mute(c.id, !c.muted).then(() => {
      c.muted = !c.muted;
      renderCall();
    }, failed('Mute failed'));
  });
  $('call-keypad').addEventListener('click', () => {
    $('keypad').hidden = !$('keypad').hidden;
  });
  buildKeypad();
  // The call timer ticks while a call is up.
  setInterval(() => {
    const c = state.calls.get(state.shownCall);
    if (c && c.since && c.state !== 'ended') $('call-timer').textContent = duration(c.since);
  }, 1000);
}

wire();
api.onPhoneEvent(onEvent).then(fillSignIn);
