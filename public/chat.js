// bertchat chat page logic: pick a chat model from /health, send the whole conversation to
// /v1/chat/completions with stream: true, and append the streamed deltas (fetch + ReadableStream, SSE).
const $ = (id) => document.getElementById(id);
const messagesEl = $('messages'), input = $('input'), sendBtn = $('send'), errorEl = $('error'), modelEl = $('model');
let conversation = [];
let busy = false;
let maxContext = 0;

function showError(text) {
  errorEl.textContent = text;
  errorEl.hidden = !text;
}

function addBubble(role, text) {
  const div = document.createElement('div');
  div.className = `msg ${role}`;
  div.textContent = text;
  messagesEl.append(div);
  messagesEl.scrollTop = messagesEl.scrollHeight;
  return div;
}

function headers() {
  const h = { 'content-type': 'application/json' };
  const key = localStorage.getItem('bertchat.apiKey');
  if (key) h.authorization = `Bearer ${key}`;
  return h;
}

async function loadModels() {
  try {
    const res = await fetch('/health');
    const health = await res.json();
    const chat = health.models.filter((m) => m.kind === 'causal-lm' && m.chat);
    modelEl.onchange = () => (maxContext = chat.find((m) => m.id === modelEl.value)?.max_context ?? 0);
    modelEl.replaceChildren(...chat.map((m) => new Option(m.id, m.id)));
    maxContext = chat[0]?.max_context ?? 0;
    if (chat.length === 0) showError('This server has no chat model loaded.');
  } catch (e) {
    showError(`Cannot reach the server: ${e.message}`);
  }
}

/** Reads an SSE body, calling onData with each parsed `data:` JSON until [DONE]. */
async function readEvents(body, onData) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      for (const line of frame.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') return;
        onData(JSON.parse(data));
      }
    }
  }
}

async function send(text) {
  showError('');
  busy = true;
  sendBtn.disabled = true;
  conversation.push({ role: 'user', content: text });
  const userBubble = addBubble('user', text);
  const bubble = addBubble('assistant', '');
  bubble.classList.add('pending');
  let reply = '';
  try {
    // A reply may use a quarter of the context (at most 256 tokens); when the history no longer fits,
    // the oldest turns are left out of the request (they stay on screen).
    const body = { model: modelEl.value, messages: conversation, stream: true };
    if (maxContext) body.max_tokens = Math.max(1, Math.min(256, Math.floor(maxContext / 4)));
    let res;
    for (let skip = 0; ; skip += 2) {
      res = await fetch('/v1/chat/completions', { method: 'POST', headers: headers(), body: JSON.stringify({ ...body, messages: conversation.slice(skip) }) });
      if (res.status !== 400 || skip + 1 >= conversation.length) break;
      const err = await res.clone().json().catch(() => null);
      if (err?.error?.code !== 'context_length_exceeded') break;
    }
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: { message: res.statusText } }));
      if (res.status === 401) {
        const key = window.prompt('API key for this server');
        if (key) localStorage.setItem('bertchat.apiKey', key);
      }
      throw new Error(err.error?.message ?? `HTTP ${res.status}`);
    }
    await readEvents(res.body, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) {
        reply += delta;
        bubble.textContent = reply;
        messagesEl.scrollTop = messagesEl.scrollHeight;
      }
    });
    conversation.push({ role: 'assistant', content: reply });
  } catch (e) {
    conversation.pop(); // the turn failed: drop it (and give the text back to edit) so nothing is sent twice
    userBubble.remove();
    bubble.remove();
    if (!input.value) input.value = text;
    showError(e.message);
  } finally {
    bubble.classList.remove('pending');
    busy = false;
    sendBtn.disabled = false;
    document.body.dataset.state = 'idle';
  }
}

$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (!text || busy) return;
  input.value = '';
  document.body.dataset.state = 'busy';
  send(text);
});
input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey) {
    ev.preventDefault();
    $('composer').requestSubmit();
  }
});
$('new').addEventListener('click', () => {
  conversation = [];
  messagesEl.replaceChildren();
  showError('');
  input.focus();
});

loadModels().then(() => (document.body.dataset.ready = 'true'));
