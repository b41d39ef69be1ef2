// StackPro assistant widget: a chat bubble for a published site. Served by
// the site's own host; talks only to it (the page's CSP allows nothing else).
// Text is set with textContent and styles through the CSSOM, never markup.
(function () {
  'use strict';
  if (window.__stackproAssistant) return;
  window.__stackproAssistant = true;
  var KEY = 'stackpro-assistant';
  var state = { session: null, conversation: null, busy: false };
  try {
    var saved = JSON.parse(sessionStorage.getItem(KEY) || '{}');
    state.session = saved.session || null;
    state.conversation = saved.conversation || null;
  } catch (e) { /* private mode */ }

  function save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ session: state.session, conversation: state.conversation }));
    } catch (e) { /* ignore */ }
  }
  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; return el; }
  function el(tag, styles, text) {
    var e = document.createElement(tag);
    if (styles) css(e, styles);
    if (text != null) e.textContent = text;
    return e;
  }

  fetch('/_stackpro/assistant/config', { headers: { accept: 'application/json' } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (cfg) { if (cfg) build(cfg); })
    .catch(function () { /* no widget */ });

  function build(cfg) {
    var side = cfg.position === 'left' ? 'left' : 'right';
    var accent = /^#[0-9a-fA-F]{6}$/.test(cfg.accent) ? cfg.accent : '#2563eb';
    var font = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    var button = el('button', {
      position: 'fixed', bottom: '20px', width: '56px', height: '56px', borderRadius: '50%', border: 'none',
      background: accent, color: '#fff', fontSize: '26px', cursor: 'pointer', zIndex: '2147483000',
      boxShadow: '0 4px 14px rgba(0,0,0,.25)', fontFamily: font, display: 'flex', alignItems: 'center',
      justifyContent: 'center', padding: '0',
    });
    // A speech bubble drawn with SVG (no emoji font needed, no markup parsed).
    var NS = 'http://www.w3.org/2000/svg';
    var icon = document.createElementNS(NS, 'svg');
    icon.setAttribute('viewBox', '0 0 24 24');
    icon.setAttribute('width', '28');
    icon.setAttribute('height', '28');
    icon.setAttribute('aria-hidden', 'true');
    var path = document.createElementNS(NS, 'path');
    path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
    path.setAttribute('fill', '#fff');
    icon.appendChild(path);
    button.appendChild(icon);
    button.style[side] = '20px';
    button.setAttribute('aria-label', 'Chat with ' + cfg.name);
    button.setAttribute('aria-expanded', 'false');
    var panel = el('div', {
      position: 'fixed', bottom: '88px', width: 'min(380px, calc(100vw - 24px))', height: 'min(520px, calc(100vh - 120px))',
      background: '#fff', color: '#111', borderRadius: '14px', boxShadow: '0 8px 30px rgba(0,0,0,.25)',
      display: 'none', flexDirection: 'column', overflow: 'hidden', zIndex: '2147483000', fontFamily: font,
      fontSize: '15px', lineHeight: '1.45',
    });
    panel.style[side] = '12px';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', cfg.name);
    var head = el('div', { background: accent, color: '#fff', padding: '12px 16px', fontWeight: '600',
      display: 'flex', justifyContent: 'space-between', alignItems: 'center' });
    head.appendChild(el('span', null, cfg.name));
    var close = el('button', { background: 'transparent', border: 'none', color: '#fff', fontSize: '22px',
      cursor: 'pointer', lineHeight: '1' }, '\u00D7');
    close.setAttribute('aria-label', 'Close');
    head.appendChild(close);
    var log = el('div', { flex: '1', overflowY: 'auto', padding: '12px 14px', background: '#f7f7f8' });
    log.setAttribute('aria-live', 'polite');
    var form = el('form', { display: 'flex', gap: '8px', padding: '10px', borderTop: '1px solid #e5e5e5' });
    var input = el('input', { flex: '1', padding: '10px 12px', border: '1px solid #ccc', borderRadius: '8px',
      fontSize: '15px', fontFamily: font, minWidth: '0' });
    input.setAttribute('aria-label', 'Your question');
    input.setAttribute('maxlength', '2000');
    input.placeholder = 'Ask a question…';
    var send = el('button', { background: accent, color: '#fff', border: 'none', borderRadius: '8px',
      padding: '0 14px', fontSize: '15px', cursor: 'pointer', fontFamily: font }, 'Send');
    send.type = 'submit';
    form.appendChild(input);
    form.appendChild(send);
    panel.appendChild(head);
    panel.appendChild(log);
    panel.appendChild(form);
    document.body.appendChild(panel);
    document.body.appendChild(button);
    bubble('assistant', cfg.greeting || 'Hi! How can I help?');

    function toggle(open) {
      panel.style.display = open ? 'flex' : 'none';
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) input.focus();
    }
    button.addEventListener('click', function () { toggle(panel.style.display === 'none'); });
    close.addEventListener('click', function () { toggle(false); button.focus(); });
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape') toggle(false); });

    function bubble(who, text) {
      var b = el('div', {
        margin: '6px 0', padding: '9px 12px', borderRadius: '12px', maxWidth: '88%', whiteSpace: 'pre-wrap',
        overflowWrap: 'anywhere', background: who === 'user' ? accent : '#fff', color: who === 'user' ? '#fff' : '#111',
        marginLeft: who === 'user' ? 'auto' : '0', border: who === 'user' ? 'none' : '1px solid #e5e5e5',
      }, text);
      log.appendChild(b);
      log.scrollTop = log.scrollHeight;
      return b;
    }

    function sources(items) {
      if (!items || !items.length) return;
      var box = el('div', { fontSize: '12px', color: '#555', margin: '2px 0 8px' });
      items.forEach(function (c) {
        var where = c.document_title + (c.page ? ', page ' + c.page : '');
        box.appendChild(el('div', null, '[' + c.n + '] ' + where));
      });
      log.appendChild(box);
    }

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var q = input.value.trim();
      if (!q || state.busy) return;
      input.value = '';
      bubble('user', q);
      ask(q);
    });

    function ask(q) {
      state.busy = true;
      send.disabled = true;
      var answer = bubble('assistant', '…');
      var text = '';
      var cites = null;
      fetch('/_stackpro/assistant/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ message: q, session: state.session, conversation_id: state.conversation }),
      }).then(function (res) {
        if (!res.ok || !res.body) {
          return res.json().catch(function () { return {}; }).then(function (p) {
            answer.textContent = p.detail || 'Sorry, I cannot answer right now.';
          });
        }
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buf = '';
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) return;
            buf += decoder.decode(r.value, { stream: true });
            var parts = buf.split('\n\n');
            buf = parts.pop();
            parts.forEach(function (block) {
              var name = '', data = '';
              block.split('\n').forEach(function (line) {
                if (line.indexOf('event:') === 0) name = line.slice(6).trim();
                else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
              });
              var d = {};
              try { d = JSON.parse(data || '{}'); } catch (err) { return; }
              if (name === 'session') state.session = d.token;
              else if (name === 'conversation') state.conversation = d.id;
              else if (name === 'citations') cites = d.items;
              else if (name === 'delta') { text += d.text; answer.textContent = text; log.scrollTop = log.scrollHeight; }
              else if (name === 'error') answer.textContent = text + (text ? '\n\n' : '') + (d.detail || 'Something went wrong.');
              else if (name === 'done') sources(cites);
            });
            save();
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        answer.textContent = 'Sorry, the connection failed. Please try again.';
      }).then(function () {
        state.busy = false;
        send.disabled = false;
      });
    }
  }
})();
