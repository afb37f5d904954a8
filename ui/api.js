// The shell's commands and its one event, each named once: the rest of the UI calls these
// functions and never spells a command name. A failed command rejects with {kind, message}.

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

export const signInForm = () => invoke('sign_in_form');
export const signIn = (server, user, password, remember) =>
  invoke('sign_in', { server, user, password, remember });
export const signOut = () => invoke('sign_out');

export const setStatus = (status, note) => invoke('set_status', { status, note });

export const listBuddies = () => invoke('list_buddies');
export const addBuddy = (uri, name) => invoke('add_buddy', { uri, name });
export const removeBuddy = (uri) => invoke('remove_buddy', { uri });
export const allowWatcher = (uri) => invoke('allow_watcher', { uri });
export const blockWatcher = (uri) => invoke('block_watcher', { uri });

export const sendMessage = (to, text) => invoke('send_message', { to, text });
export const history = (peer) => invoke('history', { peer });

export const call = (to) => invoke('call', { to });
export const answer = (call) => invoke('answer', { call });
export const reject = (call) => invoke('reject', { call });
export const hangup = (call) => invoke('hangup', { call });
export const hold = (call) => invoke('hold', { call });
export const resume = (call) => invoke('resume', { call });
export const dtmf = (call, digits) => invoke('dtmf', { call, digits });
export const mute = (call, muted) => invoke('mute', { call, muted });

// Every PhoneEvent, as the halo CLI prints it: {event: "presence", uri, status, note}, …
export const onPhoneEvent = (handler) => listen('phone', (e) => handler(e.payload));
