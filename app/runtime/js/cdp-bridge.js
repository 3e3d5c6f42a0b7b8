'use strict';
// The debugger's bridge (docs/javascript.md "Debugging"): a worker thread of the Node host that
// connects an inspector session to the main thread (no inspector port is opened) and relays the
// Chrome DevTools Protocol over its own socket to the parent, which authenticates it by token.
// The main thread cannot write while it is paused; this thread can. Step filtering and the
// mapping to stops live in the parent (app/engine/js_debug_session.py).

const { workerData, parentPort } = require('worker_threads');
const inspector = require('inspector');
const net = require('net');
const { encode, FrameReader } = require('./protocol.js');

const session = new inspector.Session();
session.connectToMainThread();

const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(workerData.address);
const socket = m ? net.connect(Number(m[2]), m[1]) : net.connect(workerData.address);
socket.setNoDelay(true);
const reader = new FrameReader();
const send = (message) => { if (!socket.destroyed) socket.write(encode(message)); };

const urls = new Map(); // scriptId -> url: CDP no longer names the script of a call frame
session.on('inspectorNotification', (n) => {
  if (n.method === 'Debugger.scriptParsed' || n.method === 'Debugger.scriptFailedToParse') {
    urls.set(n.params.scriptId, n.params.url); // hundreds of them: kept here, not sent
    return;
  }
  if (n.method === 'Debugger.paused') {
    for (const frame of n.params.callFrames) frame.url = frame.url || urls.get(frame.location.scriptId) || '';
  }
  send({ type: 'debug_event', method: n.method, params: n.params || {} });
});
socket.on('connect', () => send({ type: 'hello', token: workerData.token }));
socket.on('data', (chunk) => {
  let messages;
  try { messages = reader.push(chunk); } catch (e) { socket.destroy(); return; }
  for (const message of messages) {
    if (message.type === 'debug_command') {
      session.post(message.method, message.params || {}, (err, result) => send({
        type: 'debug_reply', id: message.id, error: err ? String(err.message || err) : null, result: result || null }));
    } else if (message.type === 'debug_go') {
      parentPort.postMessage('go');
    }
  }
});
const end = () => { try { session.disconnect(); } catch (e) { /* already gone */ } parentPort.postMessage('gone'); };
socket.on('close', end);
socket.on('error', () => {});
