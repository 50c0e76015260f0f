/*!
 * newsqa chat widget: ask questions about the news articles, answers cite their sentences.
 *
 * Embed with one tag:
 *   <script src="https://qa.internal/widget.js" data-api-url="https://qa.internal"
 *           data-title="Ask the news desk" defer></script>
 * or control it from the page with window.NewsQA.init({...}), open(), close(), clear(),
 * destroy(). Options and theming: docs/widget.md.
 *
 * Hand-written, dependency-free, no build step. Everything is rendered inside a shadow root
 * on one host element, so the page's CSS cannot restyle the widget and the widget's CSS
 * cannot touch the page. Text that comes from the service (answers, article sentences,
 * titles, error details) is only ever inserted with textContent / text nodes, never parsed
 * as HTML: an article may contain markup.
 */
(function () {
  'use strict';

  if (window.NewsQA && window.NewsQA.version) return; // loaded twice: keep the first copy

  var VERSION = '1.0.0';
  // document.currentScript is only set while this file runs (also for defer scripts).
  var SCRIPT = document.currentScript;
  var STORAGE_PREFIX = 'newsqa:v1:';
  // The service's limits on history (settings.answer.max_history_*): stay inside them.
  var MAX_HISTORY_TURNS = 20;
  var MAX_HISTORY_CHARS = 4000;
  // What a disputed answer's label says, per kind of conflict (the response's
  // conflicts[].kind), and its tooltip; and the words for a superseded side's ``report``.
  var CONFLICT_LABELS = {
    figures: ['Sources give different figures',
      'The articles report different figures for one quantity; the answer cites each side.'],
    denial: ['A claim and its denial',
      'One article states a claim that another denies; the answer cites both.'],
    superseded: ['An earlier report was superseded',
      'A later report reverses or corrects an earlier one; the answer cites both.'],
  };
  var REPORT_ROLES = { earlier: 'Earlier report', later: 'Later report' };
  var DEFAULTS = {
    apiUrl: '',
    apiKey: '',
    title: 'Ask the news desk',
    welcome: 'Ask me about the news articles. Every answer cites the sentences it comes from.',
    starters: [],
    position: 'right',
    color: '',
    target: '',
    open: false,
    // The archive the widget answers from (the /ask filter fields): data-sources,
    // data-sites (comma-separated), data-authors (";"-separated), data-date-from,
    // data-date-to, data-as-of (YYYY-MM-DD).
    sources: '',
    sites: '',
    authors: '',
    dateFrom: '',
    dateTo: '',
    asOf: '',
    // data-date-picker="true": a From / To bar under the header; its days replace
    // data-date-from / data-date-to (which fill it at start) in every request.
    datePicker: false,
  };

  var ICON_CHAT =
    '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 ' +
    '1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 ' +
    '0 1 0 0 .01z"/></svg>';
  var ICON_CLOSE =
    '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">' +
    '<path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" ' +
    'd="M6 6l12 12M18 6L6 18"/></svg>';
  var ICON_SEND =
    '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12 2-12 2z"/></svg>';

  // px units only: rem would follow the page's root font size into the widget.
  var CSS = [
    // Inherited properties (font, colour, line height...) are the only way page CSS reaches
    // into a shadow tree: reset them all on the host. !important inside the shadow tree
    // beats even the page's !important rules on the host element.
    ':host{all:initial!important;display:block!important}',
    ':host([data-mode=floating]){position:static!important;width:0!important;height:0!important}',
    '[hidden]{display:none!important}',
    '.nqa{--a:var(--newsqa-accent,#1d4ed8);--on:var(--newsqa-on-accent,var(--nqa-auto-on,#fff));',
    '--bg:var(--newsqa-bg,#fff);--fg:var(--newsqa-text,#1f2937);--mut:#4b5563;--line:#e5e7eb;',
    '--soft:#f3f4f6;--r:var(--newsqa-radius,16px);',
    'font-family:var(--newsqa-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",',
    'Arial,sans-serif);font-size:14px;line-height:1.5;font-weight:400;font-style:normal;',
    'color:var(--fg);letter-spacing:normal;word-spacing:normal;text-transform:none;',
    'text-align:left;text-indent:0;white-space:normal;direction:ltr;visibility:visible;',
    'cursor:auto;-webkit-font-smoothing:antialiased}',
    '.nqa *,.nqa *::before,.nqa *::after{box-sizing:border-box}',
    'button,textarea,input{font:inherit;color:inherit;letter-spacing:inherit;text-transform:none;',
    'margin:0}',
    'button{cursor:pointer;background:none;border:0;padding:0}',
    'button:focus-visible,textarea:focus-visible,.log:focus-visible{outline:2px solid var(--a);',
    'outline-offset:2px}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);',
    'white-space:nowrap}',
    // floating launcher and panel
    '.launcher{position:fixed;bottom:20px;right:20px;z-index:var(--newsqa-z-index,2147483000);',
    'width:56px;height:56px;border-radius:50%;background:var(--a);color:var(--on);',
    'display:flex;align-items:center;justify-content:center;',
    'box-shadow:0 6px 20px rgba(15,23,42,.25);transition:transform .15s ease}',
    '.launcher:hover{transform:scale(1.06)}',
    '.left .launcher{right:auto;left:20px}',
    '.panel{display:flex;flex-direction:column;background:var(--bg);overflow:hidden;',
    'position:relative}',
    '.floating .panel{position:fixed;bottom:88px;right:20px;',
    'z-index:var(--newsqa-z-index,2147483000);',
    'width:var(--newsqa-width,384px);max-width:calc(100vw - 40px);',
    'height:min(var(--newsqa-height,620px),calc(100vh - 112px));border-radius:var(--r);',
    'box-shadow:0 12px 40px rgba(15,23,42,.22),0 0 0 1px rgba(15,23,42,.06);',
    'animation:nqa-in .16s ease-out}',
    '.floating.left .panel{right:auto;left:20px}',
    '.inline .panel{width:100%;height:var(--newsqa-height,560px);border:1px solid var(--line);',
    'border-radius:var(--r)}',
    '@keyframes nqa-in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}',
    '@media (max-width:640px){.floating .panel{inset:0;width:100%;max-width:none;height:100%;',
    'border-radius:0}.floating.open .launcher{display:none}}',
    // header
    '.head{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 18px;',
    'background:var(--a);color:var(--on);flex:none}',
    '.title{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3;color:inherit;',
    'overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.hbtn{height:32px;min-width:32px;padding:0 10px;border-radius:8px;color:inherit;',
    'display:inline-flex;align-items:center;justify-content:center;font-size:13px;',
    'font-weight:500;border:1px solid currentColor;opacity:.92}',
    '.hbtn:hover{opacity:1;background:rgba(255,255,255,.14)}',
    '.hbtn.icon{border:0;padding:0}',
    '.hbtn:focus-visible{outline-color:currentColor}',
    // date picker
    '.dates{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;padding:8px 14px;',
    'border-bottom:1px solid var(--line);background:var(--bg);color:var(--mut);font-size:12.5px;',
    'flex:none}',
    '.dates label{display:inline-flex;align-items:center;gap:6px}',
    '.dates input{padding:3px 6px;border:1px solid #9ca3af;border-radius:8px;background:#fff;',
    'color:var(--fg);font-size:12.5px}',
    '.dates input:focus-visible{outline:2px solid var(--a);outline-offset:0;border-color:var(--a)}',
    '.dates .any{font-size:12.5px;color:var(--a);font-weight:600;text-decoration:underline}',
    // conversation
    '.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:12px;',
    'overscroll-behavior:contain}',
    '.welcome{color:var(--mut);font-size:14px}',
    '.welcome p{margin:0 0 10px}',
    '.starters{display:flex;flex-wrap:wrap;gap:8px}',
    '.starter{border:1px solid var(--line);background:var(--bg);border-radius:999px;',
    'padding:6px 12px;font-size:13px;color:var(--fg);text-align:left}',
    '.starter:hover{border-color:var(--a);color:var(--a)}',
    '.msg{display:flex;flex-direction:column;max-width:88%}',
    '.msg.user{align-self:flex-end}',
    '.msg.bot{align-self:flex-start}',
    '.bubble{padding:10px 14px;border-radius:14px;overflow-wrap:anywhere}',
    '.user .bubble{background:var(--a);color:var(--on);border-bottom-right-radius:4px;',
    'white-space:pre-wrap}',
    '.bot .bubble{background:var(--soft);border-bottom-left-radius:4px}',
    '.text{margin:0;white-space:pre-wrap}',
    '.status{display:flex;align-items:center;gap:10px;color:var(--mut)}',
    '.dots{display:inline-flex;gap:4px}',
    '.dots i{width:7px;height:7px;border-radius:50%;background:var(--a);opacity:.3;',
    'animation:nqa-dot 1s infinite ease-in-out}',
    '.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}',
    '@keyframes nqa-dot{0%,80%,100%{opacity:.25;transform:none}40%{opacity:1;',
    'transform:translateY(-3px)}}',
    '.streaming .text::after{content:"";display:inline-block;width:7px;height:15px;',
    'margin-left:2px;vertical-align:-2px;background:var(--a);animation:nqa-blink 1s steps(2) infinite}',
    '@keyframes nqa-blink{to{opacity:0}}',
    '@media (prefers-reduced-motion:reduce){.nqa *{animation:none!important;transition:none!important}}',
    // citations
    '.cite{display:inline-flex;align-items:center;justify-content:center;min-width:20px;',
    'height:18px;padding:0 5px;margin:0 1px;border-radius:6px;font-size:11px;font-weight:600;',
    'line-height:1;vertical-align:2px;color:var(--a);background:#fff;',
    'border:1px solid color-mix(in srgb,var(--a) 35%,#fff)}',
    '.cite:hover,.cite.on{background:var(--a);color:var(--on)}',
    '.sources{margin-top:10px;padding-top:8px;border-top:1px solid var(--line)}',
    '.sources h3{margin:0 0 6px;font-size:12px;font-weight:600;text-transform:uppercase;',
    'letter-spacing:.04em;color:var(--mut)}',
    '.sources ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}',
    '.src-name{display:block;font-size:13px;font-weight:600;color:var(--fg)}',
    '.src-file,.card-file{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;',
    'font-size:11.5px;color:var(--mut);overflow-wrap:anywhere}',
    '.src-cites{display:flex;flex-wrap:wrap;gap:4px;margin-top:3px}',
    '.chip{font-size:12px;color:var(--mut);display:inline-flex;align-items:center;gap:3px}',
    // refused and error
    '.refused .bubble{background:var(--bg);border:1px dashed #9ca3af;color:var(--mut)}',
    '.refused .text{font-style:italic}',
    '.label{display:inline-block;margin-bottom:6px;padding:2px 8px;border-radius:999px;',
    'background:#e5e7eb;color:#374151;font-size:12px;font-weight:600;font-style:normal}',
    '.disputes{display:flex;flex-direction:column;align-items:flex-start;gap:4px;margin-bottom:6px}',
    '.disputes .label{margin-bottom:0}',
    '.label.disputed{background:#fef3c7;color:#92400e}',
    '.label.denial{background:#fee2e2;color:#991b1b}',
    '.label.superseded{background:#e0e7ff;color:#3730a3}',
    '.order{display:flex;flex-wrap:wrap;align-items:center;gap:2px 4px;font-size:12px;color:var(--mut)}',
    '.error .bubble{background:#fef2f2;border:1px solid #fecaca;color:#991b1b}',
    '.retry{margin-top:8px;padding:5px 12px;border-radius:8px;background:#991b1b;color:#fff;',
    'font-size:13px;font-weight:600}',
    '.retry:disabled{background:transparent;color:#991b1b;border:1px solid #991b1b;cursor:default}',
    // card shown for a focused or hovered citation
    '.card{position:absolute;z-index:2;width:min(320px,calc(100% - 16px));max-height:60%;',
    'overflow:auto;padding:12px 14px;border-radius:12px;background:#fff;color:var(--fg);',
    'box-shadow:0 10px 30px rgba(15,23,42,.25),0 0 0 1px rgba(15,23,42,.08);font-size:13px}',
    '.card-title{font-weight:600;margin:2px 0}',
    '.card-meta,.card-site{font-size:12px;color:var(--mut)}',
    '.card-ok{display:inline-block;margin-left:6px;padding:0 6px;border-radius:999px;',
    'background:#d1fae5;color:#065f46;font-size:11.5px;font-weight:600}',
    '.card-links{display:flex;flex-wrap:wrap;gap:4px 14px;margin-top:8px;font-size:12.5px}',
    '.card-links a,.chip a{color:var(--a);font-weight:600;text-decoration:underline}',
    '.card-text{margin:8px 0 0;padding-left:10px;border-left:3px solid var(--a);',
    'white-space:pre-wrap;overflow-wrap:anywhere}',
    '.card-corro{margin-top:8px;font-size:12px;font-weight:600;color:var(--fg)}',
    '.card-also{margin-top:4px;font-size:12px;color:var(--mut)}',
    '.card-also ul{list-style:none;margin:2px 0 0;padding:0 0 0 10px}',
    '.card-also a{color:var(--a);text-decoration:underline}',
    // composer
    '.compose{display:flex;align-items:flex-end;gap:8px;padding:12px;flex:none;',
    'border-top:1px solid var(--line);background:var(--bg)}',
    '.compose textarea{flex:1;resize:none;min-height:42px;max-height:120px;padding:10px 12px;',
    'border:1px solid #9ca3af;border-radius:12px;background:#fff;color:var(--fg);',
    'font-size:14px;line-height:1.45}',
    '.compose textarea::placeholder{color:#6b7280}',
    '.compose textarea:focus-visible{outline:2px solid var(--a);outline-offset:0;',
    'border-color:var(--a)}',
    '.send{flex:none;width:42px;height:42px;border-radius:12px;background:var(--a);',
    'color:var(--on);display:flex;align-items:center;justify-content:center}',
    '.send:disabled{opacity:.5;cursor:default}',
  ].join('');

  var SHELL =
    '<div class="nqa">' +
    '<button class="launcher" type="button" aria-expanded="false" aria-controls="nqa-panel">' +
    '<span class="ico-open">' + ICON_CHAT + '</span>' +
    '<span class="ico-close" hidden>' + ICON_CLOSE + '</span></button>' +
    '<section class="panel" id="nqa-panel" role="dialog" aria-labelledby="nqa-title">' +
    '<header class="head"><h2 class="title" id="nqa-title"></h2>' +
    '<button class="hbtn clear" type="button">Clear</button>' +
    '<button class="hbtn icon close" type="button" aria-label="Close chat">' + ICON_CLOSE +
    '</button></header>' +
    '<div class="dates" role="group" aria-label="Article dates" hidden>' +
    '<label>From <input class="from" type="date"></label>' +
    '<label>To <input class="to" type="date"></label>' +
    '<button class="any" type="button">Any date</button></div>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0">' +
    '</div>' +
    '<form class="compose"><label class="sr" for="nqa-input">Your question</label>' +
    '<textarea id="nqa-input" rows="1" maxlength="1000" autocomplete="off" ' +
    'placeholder="Ask about the news…"></textarea>' +
    '<button class="send" type="submit" aria-label="Send question">' + ICON_SEND +
    '</button></form>' +
    '<div class="card" id="nqa-card" role="tooltip" hidden></div>' +
    '</section></div>';

  // ---------------------------------------------------------------- small helpers

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function has(table, key) {
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key);
  }

  function truthy(v) {
    return v === true || v === '' || v === 'true' || v === '1' || v === 'yes';
  }

  // Only http(s) links are followed: a URL from the service is data, not trusted markup.
  function webUrl(u) {
    try {
      var url = new URL(String(u || ''));
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '';
    } catch (e) {
      return '';
    }
  }

  function siteOf(u) {
    var w = webUrl(u);
    return w ? new URL(w).hostname.replace(/^www\./, '') : '';
  }

  // "2026-11-30" as the reader's locale writes a date (the service sends YYYY-MM-DD).
  function dateText(d) {
    var t = new Date(String(d) + 'T00:00:00Z');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(d)) || isNaN(t.getTime())) return String(d);
    return t.toLocaleDateString(undefined, {
      year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC',
    });
  }

  // A link that opens in a new tab and tells the opened page nothing about this one.
  function link(cls, text, href) {
    var a = el('a', cls, text);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  function scriptOrigin() {
    try {
      if (SCRIPT && SCRIPT.src) return new URL(SCRIPT.src, location.href).origin;
    } catch (e) { /* fall through */ }
    return location.origin;
  }

  function optionsFromScript(script) {
    var out = {};
    if (!script) return out;
    var d = script.dataset;
    Object.keys(DEFAULTS).forEach(function (k) {
      if (d[k] !== undefined) out[k] = d[k];
    });
    return out;
  }

  function normalise(opts) {
    var o = {};
    Object.keys(DEFAULTS).forEach(function (k) {
      o[k] = opts[k] !== undefined && opts[k] !== null ? opts[k] : DEFAULTS[k];
    });
    o.apiUrl = String(o.apiUrl || scriptOrigin()).replace(/\/+$/, '');
    o.apiKey = String(o.apiKey || '');
    o.title = String(o.title || DEFAULTS.title);
    o.welcome = String(o.welcome);
    o.starters = (Array.isArray(o.starters) ? o.starters : String(o.starters).split('|'))
      .map(function (s) { return String(s).trim(); })
      .filter(Boolean);
    o.position = o.position === 'left' ? 'left' : 'right';
    o.open = truthy(o.open);
    o.datePicker = truthy(o.datePicker);
    o.filter = filterFields(o);
    return o;
  }

  function listOf(value, separator) {
    return (Array.isArray(value) ? value : String(value || '').split(separator))
      .map(function (s) { return String(s).trim(); })
      .filter(Boolean);
  }

  // The request fields that narrow the archive; only those given are sent.
  function filterFields(o) {
    var f = {};
    var lists = { sources: ',', sites: ',', authors: ';' };
    Object.keys(lists).forEach(function (k) {
      var values = listOf(o[k], lists[k]);
      if (values.length) f[k] = values;
    });
    var days = { dateFrom: 'date_from', dateTo: 'date_to', asOf: 'as_of' };
    Object.keys(days).forEach(function (k) {
      if (o[k]) f[days[k]] = String(o[k]).trim();
    });
    return f;
  }

  function storageGet(key) {
    try {
      var raw = window.sessionStorage.getItem(key);
      var data = raw ? JSON.parse(raw) : null;
      return data && Array.isArray(data.turns) ? data.turns : [];
    } catch (e) {
      return []; // storage disabled or corrupt: start empty
    }
  }

  function storageSet(key, turns) {
    try {
      if (turns.length) window.sessionStorage.setItem(key, JSON.stringify({ turns: turns }));
      else window.sessionStorage.removeItem(key);
    } catch (e) { /* full or disabled: the conversation just won't survive a reload */ }
  }

  // Pick white or near-black text for the accent colour, whichever contrasts more.
  function textOn(rgb) {
    var m = String(rgb).match(/[\d.]+/g);
    if (!m || m.length < 3) return '#fff';
    var lum = m.slice(0, 3).map(function (v) {
      v = Number(v) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return 1.05 / (L + 0.05) >= (L + 0.05) / 0.0601 ? '#fff' : '#111827';
  }

  // ---------------------------------------------------------------- errors

  function WidgetError(message, retryAfter) {
    this.message = message;
    this.retryAfter = retryAfter || 0;
  }

  function detailText(body) {
    if (!body) return '';
    var d = body.detail;
    if (Array.isArray(d)) {
      return d.map(function (x) { return x && x.msg ? x.msg : String(x); }).join('; ');
    }
    return d ? String(d) : '';
  }

  function httpError(res) {
    return res.json().then(null, function () { return null; }).then(function (body) {
      var detail = detailText(body);
      var s = res.status;
      if (s === 429) {
        // Retry-After is only readable cross-origin if the server exposes it (docs/widget.md).
        var wait = parseInt(res.headers.get('Retry-After') || '', 10);
        if (!(wait > 0)) wait = 0;
        return new WidgetError(
          'Too many questions in a short time.' +
            (wait ? ' Please wait ' + wait + ' seconds and try again.' : ' Please wait a moment.'),
          wait
        );
      }
      if (s === 401 || s === 403) {
        return new WidgetError('This page is not allowed to ask the news desk' +
          (detail ? ': ' + detail : '.'));
      }
      if (s === 503) {
        return new WidgetError('The news desk is unavailable right now' +
          (detail ? ' (' + detail + ')' : '') + '. Please try again in a moment.');
      }
      if (s >= 500) {
        return new WidgetError('Something went wrong on the server (error ' + s + ').' +
          (detail ? ' ' + detail : '') + ' Please try again.');
      }
      return new WidgetError('The question could not be answered (error ' + s + ')' +
        (detail ? ': ' + detail : '.'));
    });
  }

  // ---------------------------------------------------------------- SSE over POST

  // EventSource can only send GET requests without a body or custom headers, but
  // /ask/stream takes a POST with a JSON body and possibly an Authorization header.
  // So the stream is read from fetch()'s response body and the small part of the SSE
  // format the service uses (event:, data:, comments, blank line = dispatch) is parsed here.
  function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buf = '';
    var name = '';
    var data = [];
    var stopped = false;

    function line(l) {
      if (l === '') {
        if (data.length && onEvent(name || 'message', data.join('\n')) === false) stopped = true;
        name = '';
        data = [];
        return;
      }
      if (l.charAt(0) === ':') return; // comment / keep-alive
      var i = l.indexOf(':');
      var field = i < 0 ? l : l.slice(0, i);
      var value = i < 0 ? '' : l.slice(i + 1);
      if (value.charAt(0) === ' ') value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }

    function pump() {
      return reader.read().then(function (r) {
        buf += r.done ? decoder.decode() + '\n\n' : decoder.decode(r.value, { stream: true });
        // Keep a trailing "\r" back: it may be the first half of a "\r\n" split across chunks.
        var cut = !r.done && buf.charAt(buf.length - 1) === '\r' ? buf.length - 1 : buf.length;
        var lines = buf.slice(0, cut).split(/\r\n|\r|\n/);
        buf = lines.pop() + buf.slice(cut);
        for (var k = 0; k < lines.length && !stopped; k++) line(lines[k]);
        if (stopped || r.done) return reader.cancel().then(null, function () {});
        return pump();
      });
    }

    return pump().then(null, function (err) {
      reader.cancel().then(null, function () {});
      throw err;
    });
  }

  // ---------------------------------------------------------------- the widget

  function Widget(cfg) {
    this.cfg = cfg;
    this.inline = !!cfg.target;
    this.key = STORAGE_PREFIX + cfg.apiUrl + (this.inline ? '#' + cfg.target : '');
    this.turns = storageGet(this.key);
    this.titles = {};
    this.titlesLoaded = false;
    this.busy = false;
    this.controller = null;
    this.cardFor = null;
    this.hideTimer = 0;
    this.mount();
  }

  Widget.prototype.mount = function () {
    var cfg = this.cfg;
    var parent = document.body;
    if (this.inline) {
      parent = document.querySelector(cfg.target);
      if (!parent) throw new Error('NewsQA: no element matches data-target "' + cfg.target + '"');
    }
    // A host of our own, also in inline mode, so that destroy() leaves the target as it was.
    var host = (this.host = document.createElement('div'));
    host.setAttribute('data-newsqa-widget', '');
    host.setAttribute('data-mode', this.inline ? 'inline' : 'floating');
    if (cfg.color) host.style.setProperty('--newsqa-accent', cfg.color);
    var root = (this.root = host.attachShadow({ mode: 'open' }));
    var style = document.createElement('style');
    style.textContent = CSS;
    root.appendChild(style);
    var tpl = document.createElement('template');
    tpl.innerHTML = SHELL; // a constant: no data ever goes through innerHTML
    root.appendChild(tpl.content);

    var $ = function (s) { return root.querySelector(s); };
    this.wrap = $('.nqa');
    this.launcher = $('.launcher');
    this.panel = $('.panel');
    this.log = $('.log');
    this.form = $('.compose');
    this.input = $('textarea');
    this.sendBtn = $('.send');
    this.card = $('.card');
    this.dates = $('.dates');
    this.fromInput = $('.from');
    this.toInput = $('.to');
    if (cfg.datePicker) {
      this.dates.hidden = false;
      this.fromInput.value = cfg.filter.date_from || '';
      this.toInput.value = cfg.filter.date_to || '';
      this.limitDates();
    }
    this.wrap.classList.add(this.inline ? 'inline' : 'floating', cfg.position);
    $('.title').textContent = cfg.title;
    this.launcher.setAttribute('aria-label', cfg.title);
    this.launcher.title = cfg.title;
    if (this.inline) {
      this.launcher.remove();
      $('.close').remove();
      this.panel.setAttribute('role', 'region');
    } else {
      this.panel.hidden = true;
    }
    this.bind();
    this.render();
    parent.appendChild(host);
    this.updateContrast();
    if (this.turns.length) this.loadTitles();
    if (cfg.open && !this.inline) this.open(false);
  };

  Widget.prototype.bind = function () {
    var self = this;
    this.launcher.addEventListener('click', function () {
      if (self.isOpen()) self.close(true);
      else self.open(true);
    });
    var closeBtn = this.root.querySelector('.close'); // none in inline mode
    if (closeBtn) closeBtn.addEventListener('click', function () { self.close(true); });
    var limit = function () { self.limitDates(); };
    this.fromInput.addEventListener('change', limit);
    this.toInput.addEventListener('change', limit);
    this.root.querySelector('.any').addEventListener('click', function () {
      self.fromInput.value = '';
      self.toInput.value = '';
      self.limitDates();
    });
    this.root.querySelector('.clear').addEventListener('click', function () {
      self.clear();
      self.input.focus();
    });
    this.form.addEventListener('submit', function (e) {
      e.preventDefault();
      self.submit();
    });
    this.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        self.submit();
      }
    });
    this.input.addEventListener('input', function () { self.autosize(); });
    this.wrap.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape') return;
      if (!self.card.hidden) {
        self.hideCard();
        e.stopPropagation();
      } else if (!self.inline && self.isOpen()) {
        e.stopPropagation();
        self.close(true);
      }
    });
    // Citation cards: delegated, so re-rendered messages need no wiring.
    var citeOf = function (e) {
      var t = e.target && e.target.closest ? e.target.closest('.cite') : null;
      return t && t.__nqaCite ? t : null;
    };
    this.panel.addEventListener('focusin', function (e) {
      var b = citeOf(e);
      if (b) self.showCard(b);
    });
    this.panel.addEventListener('focusout', function (e) {
      if (citeOf(e) || self.card.contains(e.target)) self.hideCardSoon();
    });
    this.panel.addEventListener('mouseover', function (e) {
      var b = citeOf(e);
      if (b) self.showCard(b);
      else if (e.target === self.card || self.card.contains(e.target)) clearTimeout(self.hideTimer);
    });
    this.panel.addEventListener('mouseout', function (e) {
      if (citeOf(e) || self.card.contains(e.target)) self.hideCardSoon();
    });
    this.panel.addEventListener('click', function (e) {
      var b = citeOf(e); // touch screens: tap toggles the card
      if (b) {
        if (self.cardFor === b && !self.card.hidden) self.hideCard();
        else self.showCard(b);
      }
    });
    // Focusing a marker scrolls it into view: follow it; a hover card just goes away.
    this.log.addEventListener('scroll', function () {
      if (self.cardFor && self.root.activeElement === self.cardFor) self.showCard(self.cardFor);
      else self.hideCard();
    }, { passive: true });
  };

  Widget.prototype.isOpen = function () {
    return this.inline || !this.panel.hidden;
  };

  Widget.prototype.open = function (focus) {
    if (this.inline || !this.host) return;
    this.panel.hidden = false;
    this.wrap.classList.add('open');
    this.launcher.setAttribute('aria-expanded', 'true');
    this.launcher.querySelector('.ico-open').hidden = true;
    this.launcher.querySelector('.ico-close').hidden = false;
    this.updateContrast();
    this.scrollDown(true);
    if (focus !== false) this.input.focus();
  };

  Widget.prototype.close = function (returnFocus) {
    if (this.inline || !this.host || this.panel.hidden) return;
    // Only take focus back if it was inside the widget: never steal it from the page.
    var inside = returnFocus || this.root.activeElement != null;
    this.hideCard();
    this.panel.hidden = true;
    this.wrap.classList.remove('open');
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.querySelector('.ico-open').hidden = false;
    this.launcher.querySelector('.ico-close').hidden = true;
    if (inside) this.launcher.focus();
  };

  Widget.prototype.destroy = function () {
    this.abort();
    clearTimeout(this.hideTimer);
    clearInterval(this.countdown);
    if (this.host) this.host.remove();
    this.host = null;
  };

  Widget.prototype.clear = function () {
    this.abort();
    this.turns = [];
    storageSet(this.key, this.turns);
    this.render();
  };

  Widget.prototype.abort = function () {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.setBusy(false);
  };

  Widget.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.sendBtn.disabled = busy;
    this.log.setAttribute('aria-busy', busy ? 'true' : 'false');
  };

  Widget.prototype.updateContrast = function () {
    if (!this.launcher.isConnected && !this.inline) return;
    var probe = this.inline ? this.sendBtn : this.launcher;
    var bg = getComputedStyle(probe).backgroundColor;
    if (bg) this.wrap.style.setProperty('--nqa-auto-on', textOn(bg));
  };

  Widget.prototype.autosize = function () {
    var t = this.input;
    t.style.height = 'auto';
    t.style.height = Math.min(t.scrollHeight + 2, 120) + 'px';
  };

  Widget.prototype.scrollDown = function (force) {
    var log = this.log;
    var near = log.scrollHeight - log.scrollTop - log.clientHeight < 120;
    if (force || near) log.scrollTop = log.scrollHeight;
  };

  // A long answer is read from its start: bring its question to the top of the log
  // (the browser clamps this to the bottom when the answer fits).
  Widget.prototype.scrollToQuestion = function (msg) {
    var q = msg.previousElementSibling || msg;
    var log = this.log;
    log.scrollTop += q.getBoundingClientRect().top - log.getBoundingClientRect().top - 12;
  };

  // ------------------------------------------------------------ rendering

  Widget.prototype.render = function () {
    this.hideCard();
    this.log.textContent = '';
    var welcome = el('div', 'welcome');
    if (this.cfg.welcome) welcome.appendChild(el('p', '', this.cfg.welcome));
    if (!this.turns.length && this.cfg.starters.length) {
      var self = this;
      var list = el('div', 'starters');
      list.setAttribute('role', 'group');
      list.setAttribute('aria-label', 'Suggested questions');
      this.cfg.starters.forEach(function (q) {
        var b = el('button', 'starter', q);
        b.type = 'button';
        b.addEventListener('click', function () { self.ask(q); });
        list.appendChild(b);
      });
      welcome.appendChild(list);
    }
    this.welcome = welcome;
    this.log.appendChild(welcome);
    for (var i = 0; i < this.turns.length; i++) {
      var t = this.turns[i];
      if (t.role === 'user') this.addUser(t.content);
      else this.fillAnswer(this.addBot(), t);
    }
  };

  Widget.prototype.addUser = function (text) {
    var msg = el('div', 'msg user');
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('span', 'sr', 'You asked: '));
    bubble.appendChild(el('span', 'q', text));
    msg.appendChild(bubble);
    this.log.appendChild(msg);
    return msg;
  };

  Widget.prototype.addBot = function () {
    var msg = el('div', 'msg bot');
    msg.appendChild(el('div', 'bubble'));
    this.log.appendChild(msg);
    return msg;
  };

  Widget.prototype.showPending = function (msg) {
    msg.className = 'msg bot pending';
    var bubble = msg.firstChild;
    bubble.textContent = '';
    var status = el('div', 'status');
    var dots = el('span', 'dots');
    dots.setAttribute('aria-hidden', 'true');
    dots.append(el('i'), el('i'), el('i'));
    status.append(dots, el('span', '', 'Searching the articles…'));
    bubble.appendChild(status);
  };

  Widget.prototype.showDelta = function (msg, text) {
    var bubble = msg.firstChild;
    var p = bubble.querySelector('.text');
    if (!p) {
      msg.className = 'msg bot streaming';
      bubble.textContent = '';
      p = bubble.appendChild(el('p', 'text'));
    }
    p.textContent = text;
  };

  // The final answer: [n] markers become citation buttons; sources grouped by file below.
  Widget.prototype.fillAnswer = function (msg, turn) {
    var bubble = msg.firstChild;
    bubble.textContent = '';
    msg.className = 'msg bot answer' + (turn.refused ? ' refused' : '');
    bubble.appendChild(el('span', 'sr', 'The news desk answered: '));
    if (turn.refused) {
      bubble.appendChild(el('span', 'label', 'Not covered by the articles'));
      bubble.appendChild(el('p', 'text', turn.content));
      return;
    }
    var byId = {};
    (turn.citations || []).forEach(function (c) { byId[c.id] = c; });
    // the evidence disagrees: the answer names each side, cited; a label says which kind
    if (turn.disputed) bubble.appendChild(this.disputeLabels(turn.conflicts, byId));
    var p = el('p', 'text');
    var re = /\[(\d+)\]/g;
    var last = 0;
    var m;
    var text = String(turn.content || '');
    while ((m = re.exec(text))) {
      var c = byId[m[1]];
      if (!c) continue; // not a citation: leave the text as it is
      if (m.index > last) p.appendChild(document.createTextNode(text.slice(last, m.index)));
      p.appendChild(this.citeButton(c, String(c.id), 'cite'));
      last = re.lastIndex;
    }
    if (last < text.length) p.appendChild(document.createTextNode(text.slice(last)));
    bubble.appendChild(p);
    if (turn.citations && turn.citations.length) bubble.appendChild(this.sourcesList(turn.citations));
  };

  // One label per kind of conflict in the answer (the response's ``conflicts``), in words,
  // not only colour; a superseded report's sides are marked earlier and later, each with
  // its citation. A turn stored without ``conflicts`` (an older service) gets the plain one.
  Widget.prototype.disputeLabels = function (conflicts, byId) {
    var box = el('div', 'disputes');
    var kinds = [];
    var list = Array.isArray(conflicts) ? conflicts : [];
    list.forEach(function (c) {
      if (c && has(CONFLICT_LABELS, c.kind) && kinds.indexOf(c.kind) < 0) kinds.push(c.kind);
    });
    if (!kinds.length) {
      var plain = box.appendChild(el('span', 'label disputed', 'Sources disagree'));
      plain.title = 'The articles disagree; the answer cites each side.';
      return box;
    }
    var self = this;
    kinds.forEach(function (kind) {
      var label = box.appendChild(
        el('span', 'label disputed ' + kind, CONFLICT_LABELS[kind][0]));
      label.setAttribute('data-kind', kind);
      label.title = CONFLICT_LABELS[kind][1];
      if (kind !== 'superseded') return;
      list.forEach(function (c) {
        if (!c || c.kind !== kind || !Array.isArray(c.sides)) return;
        var order = box.appendChild(el('span', 'order'));
        c.sides.forEach(function (side, i) {
          if (i) order.appendChild(el('span', '', '→')).setAttribute('aria-hidden', 'true');
          var role = side && has(REPORT_ROLES, side.report) ? REPORT_ROLES[side.report] : '';
          if (role) order.appendChild(el('span', 'role', role));
          var cite = side && byId[side.citation];
          if (cite) order.appendChild(self.citeButton(cite, String(cite.id), 'cite'));
        });
      });
    });
    return box;
  };

  Widget.prototype.citeButton = function (c, label, cls) {
    var b = el('button', cls, label);
    b.type = 'button';
    b.__nqaCite = c;
    b.setAttribute('aria-label', 'Source ' + c.id + ': ' + c.source + ', sentence ' + c.sentence);
    return b;
  };

  Widget.prototype.sourcesList = function (citations) {
    var groups = [];
    var byFile = {};
    citations.forEach(function (c) {
      if (!byFile[c.source]) groups.push((byFile[c.source] = { source: c.source, cites: [] }));
      byFile[c.source].cites.push(c);
    });
    var box = el('div', 'sources');
    box.appendChild(el('h3', '', 'Sources'));
    var ul = box.appendChild(el('ul'));
    var self = this;
    groups.forEach(function (g) {
      var li = ul.appendChild(el('li', 'src'));
      li.setAttribute('data-source', g.source);
      var title = self.titleOf(g.cites[0]);
      var name = li.appendChild(el('span', 'src-name', title || ''));
      name.hidden = !title;
      li.appendChild(el('span', 'src-file', g.source));
      var row = li.appendChild(el('span', 'src-cites'));
      g.cites.forEach(function (c) {
        var chip = row.appendChild(el('span', 'chip'));
        chip.appendChild(self.citeButton(c, String(c.id), 'cite'));
        var href = self.readerUrl(c) || webUrl(c.link);
        if (href) chip.appendChild(link('chip-read', 'sentence ' + c.sentence, href));
        else chip.appendChild(document.createTextNode('sentence ' + c.sentence));
      });
    });
    return box;
  };

  // The service's reader page at the cited sentence. It is a read route: with an API key
  // configured the browser could not open it (a link sends no Authorization header), so
  // keyed embeds link the original page only (docs/widget.md).
  Widget.prototype.readerUrl = function (c) {
    if (this.cfg.apiKey) return '';
    return this.cfg.apiUrl + '/read/' + encodeURIComponent(c.source) +
      '?sentence=' + encodeURIComponent(String(c.sentence));
  };

  Widget.prototype.titleOf = function (c) {
    return (c && (c.title || this.titles[c.source])) || '';
  };

  // Citations carry their title; turns stored by an older service may not, and GET /sources
  // has them. Loaded once, shown when they arrive.
  Widget.prototype.loadTitles = function () {
    if (this.titlesLoaded) return;
    this.titlesLoaded = true;
    var self = this;
    fetch(this.cfg.apiUrl + '/sources', { headers: this.headers(false) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !Array.isArray(body.sources) || !self.host) return;
        body.sources.forEach(function (s) {
          if (s && s.source && s.title) self.titles[s.source] = String(s.title);
        });
        self.root.querySelectorAll('.src').forEach(function (li) {
          var t = self.titles[li.getAttribute('data-source')];
          var name = li.querySelector('.src-name');
          if (t && name) {
            name.textContent = t;
            name.hidden = false;
          }
        });
        if (!self.card.hidden && self.cardFor) self.showCard(self.cardFor);
      })
      .catch(function () { self.titlesLoaded = false; });
  };

  Widget.prototype.showError = function (msg, err, retry) {
    var self = this;
    msg.className = 'msg bot error';
    var bubble = msg.firstChild;
    bubble.textContent = '';
    bubble.appendChild(el('p', 'text', err.message));
    var b = el('button', 'retry', 'Retry');
    b.type = 'button';
    b.addEventListener('click', function () {
      clearInterval(self.countdown);
      retry();
    });
    bubble.appendChild(b);
    if (err.retryAfter > 0) {
      var left = err.retryAfter;
      b.disabled = true;
      b.textContent = 'Retry in ' + left + ' s';
      clearInterval(this.countdown);
      this.countdown = setInterval(function () {
        left -= 1;
        if (left > 0) {
          b.textContent = 'Retry in ' + left + ' s';
        } else {
          clearInterval(self.countdown);
          b.disabled = false;
          b.textContent = 'Retry';
        }
      }, 1000);
    }
  };

  // ------------------------------------------------------------ citation card

  Widget.prototype.showCard = function (btn) {
    clearTimeout(this.hideTimer);
    var c = btn.__nqaCite;
    var card = this.card;
    if (this.cardFor && this.cardFor !== btn) this.cardFor.classList.remove('on');
    this.cardFor = btn;
    card.textContent = '';
    card.setAttribute('data-source', c.source);
    card.setAttribute('data-sentence', String(c.sentence));
    card.appendChild(el('div', 'card-file', c.source));
    var title = this.titleOf(c);
    if (title) card.appendChild(el('div', 'card-title', title));
    var site = c.site || siteOf(c.url);
    if (site || c.date) {
      var where = card.appendChild(el('div', 'card-site', site));
      if (c.date) {
        if (site) where.appendChild(document.createTextNode(' · '));
        var when = where.appendChild(el('time', '', dateText(c.date)));
        when.setAttribute('datetime', String(c.date));
      }
    }
    var line = card.appendChild(el('div'));
    line.appendChild(el('span', 'card-meta', 'Sentence ' + c.sentence));
    if (c.verified === true) {
      var ok = line.appendChild(el('span', 'card-ok', '✓ Verified'));
      ok.title = 'The service checked that this sentence is in the source, word for word.';
    }
    card.appendChild(el('blockquote', 'card-text', c.text));
    this.cardSupport(card, c);
    var links = el('div', 'card-links');
    var reader = this.readerUrl(c);
    if (reader) links.appendChild(link('card-read', 'Read in context', reader));
    var original = webUrl(c.link) || webUrl(c.url);
    if (original) links.appendChild(link('card-orig', 'Original on ' + (site || 'its site'), original));
    if (links.firstChild) card.appendChild(links);
    card.hidden = false;
    btn.setAttribute('aria-describedby', 'nqa-card');
    btn.classList.add('on');
    // Place it under the marker (or above when there is no room), inside the panel.
    var pr = this.panel.getBoundingClientRect();
    var br = btn.getBoundingClientRect();
    var w = card.offsetWidth;
    var h = card.offsetHeight;
    var left = Math.max(8, Math.min(br.left - pr.left + br.width / 2 - w / 2, pr.width - w - 8));
    var top = br.bottom - pr.top + 6;
    if (top + h > pr.height - 8) top = Math.max(8, br.top - pr.top - h - 6);
    card.style.left = left + 'px';
    card.style.top = top + 'px';
    if (!this.titlesLoaded) this.loadTitles();
  };

  // How many independent sources state the claim (story clusters: copies count once),
  // and the other copies of this story that carry the sentence word for word.
  Widget.prototype.cardSupport = function (card, c) {
    var count = c.corroboration;
    if (count && typeof count.clusters === 'number') {
      var n = count.clusters;
      var corro = card.appendChild(
        el('div', 'card-corro', n + (n === 1 ? ' independent source' : ' independent sources')));
      corro.title = 'Distinct stories among the articles that state this claim (copies of ' +
        'one story count once)' + (count.sites ? '; ' + count.sites + ' sites' : '');
    }
    var copies = Array.isArray(c.also_carried_by) ? c.also_carried_by : [];
    if (!copies.length) return;
    var also = card.appendChild(el('div', 'card-also'));
    also.appendChild(el('div', 'card-also-n', 'Also carried by ' + copies.length));
    var ul = also.appendChild(el('ul'));
    copies.forEach(function (k) {
      var li = ul.appendChild(el('li'));
      li.setAttribute('data-source', String(k.source));
      var label = (k.site || siteOf(k.url) || k.source) + (k.date ? ' · ' + dateText(k.date) : '');
      var href = webUrl(k.link) || webUrl(k.url);
      if (href) li.appendChild(link('card-copy', label, href));
      else li.appendChild(document.createTextNode(label));
    });
  };

  Widget.prototype.hideCardSoon = function () {
    var self = this;
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(function () {
      var active = self.root.activeElement;
      // still focused, or focus moved to the card's own links: keep it
      if (active && (active === self.cardFor || self.card.contains(active))) return;
      self.hideCard();
    }, 150);
  };

  Widget.prototype.hideCard = function () {
    clearTimeout(this.hideTimer);
    if (!this.card) return;
    this.card.hidden = true;
    if (this.cardFor) {
      this.cardFor.classList.remove('on');
      this.cardFor.removeAttribute('aria-describedby');
    }
    this.cardFor = null;
  };

  // ------------------------------------------------------------ asking

  Widget.prototype.headers = function (json) {
    var h = { Accept: json ? 'text/event-stream' : 'application/json' };
    if (json) h['Content-Type'] = 'application/json';
    if (this.cfg.apiKey) h.Authorization = 'Bearer ' + this.cfg.apiKey;
    return h;
  };

  Widget.prototype.history = function () {
    return this.turns.slice(-MAX_HISTORY_TURNS).map(function (t) {
      return { role: t.role, content: String(t.content).slice(0, MAX_HISTORY_CHARS) };
    });
  };

  // Each day bounds the other (a From after To cannot be picked); the service still checks.
  Widget.prototype.limitDates = function () {
    this.toInput.min = this.fromInput.value;
    this.fromInput.max = this.toInput.value;
  };

  // The filter fields of a request: the page's, with the picker's days in place of its own.
  Widget.prototype.filter = function () {
    var f = Object.assign({}, this.cfg.filter);
    if (!this.cfg.datePicker) return f;
    delete f.date_from;
    delete f.date_to;
    if (this.fromInput.value) f.date_from = this.fromInput.value;
    if (this.toInput.value) f.date_to = this.toInput.value;
    return f;
  };

  Widget.prototype.submit = function () {
    var q = this.input.value.trim();
    if (!q || this.busy) return;
    this.input.value = '';
    this.autosize();
    this.ask(q);
  };

  Widget.prototype.ask = function (question, msg) {
    var self = this;
    if (this.busy || !this.host) return;
    if (!msg) {
      if (this.welcome) {
        var starters = this.welcome.querySelector('.starters');
        if (starters) starters.remove();
      }
      this.addUser(question);
      msg = this.addBot();
    }
    this.showPending(msg);
    this.scrollDown(true);
    this.setBusy(true);
    var controller = (this.controller = new AbortController());
    var history = this.history();
    var final = null;
    var answered = false;
    var streamed = '';
    var streamError = null;

    fetch(this.cfg.apiUrl + '/ask/stream', {
      method: 'POST',
      headers: this.headers(true),
      body: JSON.stringify(Object.assign({ question: question, history: history }, this.filter())),
      signal: controller.signal,
    })
      .then(function (res) {
        if (!res.ok) return httpError(res).then(function (e) { throw e; });
        if (!res.body) throw new WidgetError('This browser cannot read streamed answers.');
        return readEvents(res.body, function (event, data) {
          var payload;
          try {
            payload = JSON.parse(data);
          } catch (e) {
            payload = {};
          }
          if (event === 'delta' && payload.text) {
            streamed += payload.text;
            self.showDelta(msg, streamed);
            self.scrollDown(false);
          } else if (event === 'final') {
            final = payload;
          } else if (event === 'error') {
            streamError = new WidgetError('The answer failed part-way' +
              (payload.detail ? ': ' + payload.detail : '.') + ' Please try again.');
          } else if (event === 'end') {
            return false;
          }
        });
      })
      .then(function () {
        if (streamError) throw streamError;
        if (!final || typeof final.answer !== 'string') {
          throw new WidgetError('The answer was cut off before it finished. Please try again.');
        }
        var turn = {
          role: 'assistant',
          content: final.answer,
          refused: !!final.refused,
          disputed: final.disputed === true,
          conflicts: Array.isArray(final.conflicts) ? final.conflicts : [],
          citations: Array.isArray(final.citations) ? final.citations : [],
        };
        self.turns.push({ role: 'user', content: question }, turn);
        storageSet(self.key, self.turns);
        self.fillAnswer(msg, turn);
        if (turn.citations.length) self.loadTitles();
        self.scrollToQuestion(msg);
        answered = true;
      })
      .catch(function (err) {
        if (controller.signal.aborted) return;
        if (!(err instanceof WidgetError)) {
          err = new WidgetError(
            'Could not reach the news desk. Check your connection and try again.');
        }
        self.showError(msg, err, function () { self.ask(question, msg); });
      })
      .then(function () {
        if (self.controller === controller) {
          self.controller = null;
          self.setBusy(false);
        }
        if (self.host && !answered) self.scrollDown(true);
      });
  };

  // ---------------------------------------------------------------- public API

  var instance = null;
  var scriptOptions = optionsFromScript(SCRIPT);

  function init(options) {
    if (instance) instance.destroy();
    var merged = {};
    var extra = options || {};
    Object.keys(DEFAULTS).forEach(function (k) {
      merged[k] = extra[k] !== undefined ? extra[k] : scriptOptions[k];
    });
    instance = new Widget(normalise(merged));
    return api;
  }

  var api = {
    version: VERSION,
    init: init,
    open: function () { if (instance) instance.open(true); },
    close: function () { if (instance) instance.close(false); },
    clear: function () { if (instance) instance.clear(); },
    destroy: function () {
      if (instance) instance.destroy();
      instance = null;
    },
  };
  window.NewsQA = api;

  // One script tag is the whole integration: start unless the page opted out.
  if (SCRIPT && SCRIPT.dataset.autoInit !== 'false') {
    var start = function () { init(); };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
  }
})();
