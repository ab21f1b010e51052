/*
 * hogo widget: a chat panel for a city's personal-information rules, embeddable on any page.
 *
 *   <script src="https://hogo.example/widget.js" data-site-key="intranet" defer></script>
 *
 * A site key bound to some regulations (HOGO_SITE_KEYS) keeps answers, clauses and guides to those.
 * Optional attributes: data-scope="koriyama-kijun" (answer from one regulation only; the guides start
 * for it), data-title="…" (the panel title). The API is the origin this file was loaded from.
 *
 * Rules this file keeps: vanilla JS, no build step, no external resources, no eval, no inline styles
 * or handlers (works under a strict CSP); everything lives in a shadow root with its own styles; API
 * and user data are rendered with textContent / createElement only (never innerHTML).
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-site-key]');
  if (!script || window.__hogoWidget) return;
  window.__hogoWidget = true;

  var API = new URL(script.src, location.href).origin;
  var SITE_KEY = script.getAttribute("data-site-key") || "demo";
  var SCOPE = (script.getAttribute("data-scope") || "").trim();
  var TITLE = (script.getAttribute("data-title") || "").trim() || "個人情報ルール案内";
  var PREFIX = "hogo:" + SITE_KEY + ":";
  var TIMEOUT_MS = 30000;
  var MAX_MESSAGES = 60;
  var MAX_QUESTION = 1000;
  var FLOW_TABS = [
    { id: "incident", label: "事案を報告（漏えい等）" },
    { id: "consignment", label: "委託チェックリスト" },
  ];
  var STATUS_TAB = { id: "status", label: "報告の状況" };  // this visitor's incident reports and their status
  var MSG = {
    network: "通信に失敗しました。ネットワーク接続を確認して、もう一度お試しください。",
    server: "処理中に問題が発生しました。時間をおいて再度お試しください。",
    loading: "読み込み中…",
    thinking: "規程を検索しています…",
    composing: "回答を作成しています…",
    privacy: "住民の氏名や個人番号は入力しないでください。",
  };

  // ---------------------------------------------------------------------------------------------
  // storage (sessionStorage: survives a reload, ends with the browser tab)

  var store = {
    get: function (name) {
      try {
        var raw = window.sessionStorage.getItem(PREFIX + name);
        return raw == null ? null : JSON.parse(raw);
      } catch (e) {
        return null;
      }
    },
    set: function (name, value) {
      try {
        if (value == null) window.sessionStorage.removeItem(PREFIX + name);
        else window.sessionStorage.setItem(PREFIX + name, JSON.stringify(value));
      } catch (e) { /* storage full or disabled: the widget still works without it */ }
    },
  };

  // ---------------------------------------------------------------------------------------------
  // API client: short-lived token from the site key, renewed on 401 (keeping the visitor)

  function ApiError(status, code, message, retryAfter) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.retryAfter = retryAfter || 0;
  }

  function requestId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  async function request(method, path, body, token) {
    var headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var response, data = null;
    try {
      response = await fetch(API + path, {
        method: method, headers: headers, mode: "cors", credentials: "omit", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body), signal: controller.signal,
      });
      try { data = await response.json(); } catch (e) { data = null; }
    } catch (e) {
      throw new ApiError(0, "network", MSG.network);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw httpError(response, data);
    if (data === null) throw new ApiError(response.status, "bad_response", MSG.server);
    return data;
  }

  function httpError(response, data) {
    var err = data && data.error;
    var message = err && typeof err.message === "string" && err.message ? err.message : MSG.server;
    var retry = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
    if (response.status === 429 && retry) message += "（約" + retry + "秒後）";
    return new ApiError(response.status, (err && err.code) || "http_" + response.status, message, retry);
  }

  var CAN_STREAM = typeof ReadableStream === "function" && typeof TextDecoder === "function";

  // POST to a Server-Sent Events endpoint (EventSource cannot POST) and call onEvent(name, data) for each
  // event as it arrives. A refusal before the stream throws as request() does; TIMEOUT_MS without a byte,
  // or ``signal`` (the question was withdrawn), aborts it.
  async function streamRequest(path, body, token, onEvent, signal) {
    var headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
    if (token) headers.Authorization = "Bearer " + token;
    var controller = new AbortController();
    var timer = null;
    function idle() {
      clearTimeout(timer);
      timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    }
    function cancel() { controller.abort(); }
    if (signal) signal.addEventListener("abort", cancel);
    if (signal && signal.aborted) controller.abort();
    idle();
    try {
      var response;
      try {
        response = await fetch(API + path, {
          method: "POST", headers: headers, mode: "cors", credentials: "omit", cache: "no-store",
          body: JSON.stringify(body), signal: controller.signal,
        });
      } catch (e) {
        throw new ApiError(0, "network", MSG.network);
      }
      if (!response.ok) {
        var data = null;
        try { data = await response.json(); } catch (e) { data = null; }
        throw httpError(response, data);
      }
      if (!response.body || (response.headers.get("Content-Type") || "").indexOf("text/event-stream") !== 0) {
        throw new ApiError(response.status, "bad_response", MSG.server);
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var feed = sseParser(onEvent);
      for (;;) {
        var chunk;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw new ApiError(0, "network", MSG.network);
        }
        if (chunk.done) break;
        idle();
        feed(decoder.decode(chunk.value, { stream: true }));
      }
      feed(decoder.decode());
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", cancel);
      controller.abort();  // an event handler that threw leaves nothing running
    }
  }

  // The event stream's lines as they come (cut anywhere): "event:" and "data:" fields; a blank line
  // dispatches the event, its data lines joined with newlines.
  function sseParser(onEvent) {
    var buffer = "", name = "", data = [];

    function line(text) {
      if (!text) {
        if (data.length) onEvent(name || "message", data.join("\n"));
        name = "";
        data = [];
        return;
      }
      if (text.charAt(0) === ":") return;  // a comment (keep-alive)
      var colon = text.indexOf(":");
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? "" : text.slice(colon + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }

    return function feed(text) {
      buffer += text;
      var start = 0;
      for (var i = 0; i < buffer.length; i++) {
        var ch = buffer.charAt(i);
        if (ch !== "\n" && ch !== "\r") continue;
        if (ch === "\r" && i + 1 === buffer.length) break;  // a "\r\n" cut between two chunks
        line(buffer.slice(start, i));
        if (ch === "\r" && buffer.charAt(i + 1) === "\n") i += 1;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    };
  }

  var pendingSession = null;

  function session(renew) {
    var saved = store.get("session");
    if (!renew && saved && saved.token && saved.exp - 60000 > Date.now()) return Promise.resolve(saved.token);
    if (!pendingSession) {
      var body = { site_key: SITE_KEY };
      if (saved && saved.token) body.previous = saved.token;  // keeps the visitor, so reports stay visible
      pendingSession = request("POST", "/api/session", body).then(function (data) {
        store.set("session", { token: data.token, visitor: data.visitor, exp: Date.now() + data.expires_in * 1000 });
        return data.token;
      }).finally(function () { pendingSession = null; });
    }
    return pendingSession;
  }

  async function api(method, path, body) {
    var token = await session(false);
    try {
      return await request(method, path, body, token);
    } catch (e) {
      if (e.status !== 401) throw e;
      token = await session(true);  // expired or the server's key changed: renew once and retry
      return await request(method, path, body, token);
    }
  }

  async function apiStream(path, body, onEvent, signal) {
    var token = await session(false);
    try {
      await streamRequest(path, body, token, onEvent, signal);
    } catch (e) {
      if (e.status !== 401) throw e;
      token = await session(true);  // a 401 comes before any event
      await streamRequest(path, body, token, onEvent, signal);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers: text only, never markup

  var uid = 0;
  function nextId(prefix) { uid += 1; return "hogo-" + prefix + "-" + uid; }

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value == null || value === false) return;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = String(value);
        else if (key === "on") Object.keys(value).forEach(function (ev) { el.addEventListener(ev, value[ev]); });
        else if (key === "value" || key === "checked" || key === "disabled" || key === "hidden") el[key] = value;
        else el.setAttribute(key, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  function button(text, onClick, cls, extra) {
    var props = { type: "button", class: "btn" + (cls ? " " + cls : ""), text: text, on: { click: onClick } };
    if (extra) Object.keys(extra).forEach(function (k) { props[k] = extra[k]; });
    return h("button", props);
  }

  function isComposing(event) { return event.isComposing || event.keyCode === 229; }

  // ---------------------------------------------------------------------------------------------
  // styles (a constructed sheet is not subject to the host page's style-src)

  var CSS = [
    ":host { all: initial !important; display: block !important; position: static !important;",
    "  visibility: visible !important; opacity: 1 !important; transform: none !important; filter: none !important; }",
    ".root { font-family: system-ui, -apple-system, 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Noto Sans JP',",
    "  'Yu Gothic UI', Meiryo, sans-serif; font-size: 15px; line-height: 1.6; color: #1f2328; text-align: left; }",
    ".root *, .root *::before, .root *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    "button, input, textarea { font: inherit; color: inherit; letter-spacing: normal; }",
    ":focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }",
    ".vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: inline-flex;",
    "  align-items: center; gap: 8px; margin: 0; padding: 12px 20px; border: 2px solid #fff; border-radius: 999px;",
    "  background: #1b4f9c; color: #fff; font-size: 15px; font-weight: 700; line-height: 1.2; cursor: pointer;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.3); }",
    ".launcher:hover { background: #163f7d; }",
    ".launcher:focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }",
    ".icon { font-size: 18px; }",
    ".panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483001; width: 400px; height: 600px;",
    "  max-width: calc(100vw - 40px); max-height: calc(100vh - 104px); display: flex; flex-direction: column;",
    "  background: #fff; border: 1px solid #c9d1d9; border-radius: 12px; box-shadow: 0 12px 40px rgba(0,0,0,.25);",
    "  overflow: hidden; }",
    "@media (max-width: 480px), (max-height: 420px) {",
    "  .panel { top: 0; left: 0; right: 0; bottom: 0; width: 100%; height: 100%; max-width: none; max-height: none;",
    "    border: 0; border-radius: 0; } }",
    ".header { display: flex; align-items: center; gap: 8px; padding: 10px 12px 10px 16px; background: #1b4f9c; color: #fff; }",
    ".header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 700; line-height: 1.3; }",
    ".header .close { border: 1px solid #fff; background: transparent; color: #fff; border-radius: 6px; padding: 4px 10px;",
    "  min-height: 32px; cursor: pointer; }",
    ".header .close:hover { background: rgba(255,255,255,.15); }",
    ".header .close:focus-visible { outline-color: #f9ab00; }",
    ".tabs { display: flex; border-bottom: 1px solid #d0d7de; background: #f6f8fa; }",
    ".tab { flex: 1 1 0; min-width: 0; margin: 0; padding: 8px 4px; border: 0; border-bottom: 3px solid transparent;",
    "  background: transparent; color: #424a53; font-size: 13px; line-height: 1.35; cursor: pointer; }",
    ".tab[aria-selected='true'] { border-bottom-color: #1b4f9c; color: #1b4f9c; font-weight: 700; background: #fff; }",
    ".tab:focus-visible { outline-offset: -3px; }",
    ".tabpanel { flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; }",
    ".scroll { flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden; padding: 12px 14px; }",
    "p { margin: 0 0 8px; }",
    ".muted { color: #57606a; font-size: 13px; }",
    ".log { display: flex; flex-direction: column; gap: 10px; }",
    ".msg { max-width: 100%; overflow-wrap: anywhere; }",
    ".msg .bubble { padding: 8px 12px; border-radius: 10px; }",
    ".msg.user { align-self: flex-end; max-width: 88%; }",
    ".msg.user .bubble { background: #e3edfb; white-space: pre-wrap; }",
    ".msg.bot .bubble, .msg.live .bubble { background: #f6f8fa; border: 1px solid #d8dee4; }",
    ".msg.bot.abstained .bubble { border-color: #d4a72c; background: #fff8e5; }",
    ".msg.error .bubble { background: #fff0ee; border: 1px solid #f5b5ad; color: #8c1d13; }",
    ".msg.pending { color: #57606a; font-size: 13px; }",
    ".answer-text { white-space: pre-wrap; margin: 0; }",
    ".answer-text p { margin: 0; }",
    ".answer-text .answer-lead { margin: 0 0 4px; font-weight: 700; }",
    ".answer-text .answer-city { margin: 6px 0 2px; font-weight: 700; color: #1b4f9c; }",
    ".answer-text .answer-city:first-child { margin-top: 0; }",
    ".badge { display: inline-block; margin-bottom: 4px; padding: 0 8px; border-radius: 999px; background: #d4a72c;",
    "  color: #1f2328; font-size: 12px; font-weight: 700; }",
    ".cites { margin-top: 8px; }",
    ".cites-title { margin: 0 0 4px; font-size: 12px; font-weight: 700; color: #57606a; }",
    ".chips { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }",
    ".chip { display: inline-block; max-width: 100%; margin: 0; padding: 4px 10px; border: 1px solid #1b4f9c;",
    "  border-radius: 14px; background: #fff; color: #1b4f9c; font-size: 13px; line-height: 1.4; text-align: left;",
    "  cursor: pointer; overflow-wrap: anywhere; }",
    ".chip:hover { background: #eef4fc; }",
    ".chip[aria-expanded='true'] { background: #1b4f9c; color: #fff; }",
    ".chip .caret { display: inline-block; margin-right: 4px; }",
    ".clause { margin: 6px 0 2px; padding: 8px 10px; border-left: 4px solid #1b4f9c; background: #fff; font-size: 14px; }",
    ".clause-head { margin: 0 0 4px; font-weight: 700; font-size: 13px; }",
    ".clause-text { margin: 0; white-space: pre-wrap; }",
    ".clause-key { margin: 4px 0 0; font-size: 12px; color: #57606a; }",
    ".ref { display: inline; margin: 0 1px; padding: 0 3px; border: 1px solid #1b4f9c; border-radius: 4px;",
    "  background: #eef4fc; color: #1b4f9c; font-size: inherit; line-height: inherit; text-decoration: underline;",
    "  cursor: pointer; }",
    ".ref:hover { background: #dbe7f8; }",
    ".ref[aria-expanded='true'] { background: #1b4f9c; color: #fff; }",
    ".ref-ext { padding: 0 2px; border-bottom: 1px dotted #57606a; background: #f3f0e6; color: inherit; }",
    ".ref-clause { margin: 6px 0 2px; padding: 6px 8px; border: 1px solid #d0d7de; border-left: 4px solid #57606a;",
    "  border-radius: 4px; background: #f6f8fa; }",
    ".ref-title { margin: 0 0 4px; font-size: 12px; font-weight: 700; color: #424a53; }",
    ".ref-title:focus { outline: none; }",
    ".ref-title:focus-visible { outline: 3px solid #0b57d0; }",
    ".ref-clause .btn { min-height: 28px; padding: 1px 10px; font-size: 13px; }",
    ".clause-note { margin: 4px 0 0; font-size: 12px; color: #57606a; }",
    ".suggest { margin: 8px 0 0; }",
    ".suggest-button { min-height: 36px; padding: 4px 12px; border: 1px solid #0969da; border-radius: 6px; background: #fff; color: #0550ae; font: inherit; font-size: 14px; cursor: pointer; }",
    ".suggest-button:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }",
    ".feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-top: 8px; font-size: 13px; }",
    ".feedback .btn { min-height: 32px; padding: 2px 10px; font-size: 13px; }",
    ".btn[aria-pressed='true'] { background: #1b4f9c; color: #fff; }",
    ".composer { flex: 0 0 auto; border-top: 1px solid #d0d7de; padding: 10px 12px; background: #fff; }",
    ".composer-row { display: flex; gap: 8px; align-items: flex-end; }",
    ".composer textarea { flex: 1; min-width: 0; resize: none; }",
    ".composer-foot { display: flex; justify-content: space-between; align-items: center; gap: 8px; margin-top: 6px; }",
    ".composer-foot p { margin: 0; }",
    ".link { border: 0; background: none; padding: 2px 4px; color: #1b4f9c; text-decoration: underline;",
    "  font-size: 12px; cursor: pointer; white-space: nowrap; }",
    "textarea, input[type='text'], input[type='datetime-local'] { display: block; width: 100%; max-width: 100%;",
    "  margin: 0; padding: 8px 10px; border: 1px solid #8c959f; border-radius: 8px; background: #fff; font-size: 15px; }",
    "[aria-invalid='true'] { border-color: #cf222e !important; border-width: 2px !important; }",
    ".btn { display: inline-flex; align-items: center; justify-content: center; margin: 0; min-height: 40px;",
    "  padding: 6px 14px; border: 1px solid #1b4f9c; border-radius: 8px; background: #fff; color: #1b4f9c;",
    "  font-size: 14px; line-height: 1.4; cursor: pointer; }",
    ".btn:hover { background: #eef4fc; }",
    ".btn.primary { background: #1b4f9c; color: #fff; }",
    ".btn.primary:hover { background: #163f7d; }",
    ".btn:disabled { opacity: .5; cursor: default; }",
    ".btn.option { display: flex; justify-content: flex-start; width: 100%; text-align: left; }",
    ".btn.option.was { border-width: 2px; font-weight: 700; }",
    ".options { display: flex; flex-direction: column; gap: 8px; }",
    ".checks { display: flex; flex-direction: column; gap: 6px; margin-bottom: 8px; }",
    ".checks label { display: flex; gap: 8px; align-items: flex-start; padding: 6px 8px; border: 1px solid #d0d7de;",
    "  border-radius: 8px; cursor: pointer; }",
    ".checks input { margin: 4px 0 0; width: 18px; height: 18px; flex: 0 0 auto; }",
    ".row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }",
    ".field-label { display: block; margin: 8px 0 4px; font-size: 13px; font-weight: 700; }",
    ".error { margin: 8px 0 0; color: #b42318; font-weight: 700; font-size: 14px; }",
    ".error:empty { display: none; }",
    ".notices { margin: 0 0 10px; padding: 8px 10px; border: 1px solid #d4a72c; border-radius: 8px; background: #fff8e5;",
    "  font-size: 13px; }",
    ".notices:empty { display: none; }",
    ".notices p:last-child { margin-bottom: 0; }",
    ".stepset { margin: 0; padding: 0; border: 0; min-width: 0; }",
    ".progress { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; font-size: 13px; color: #424a53; }",
    ".bar { flex: 1; height: 6px; border-radius: 3px; background: #d8dee4; overflow: hidden; }",
    ".bar span { display: block; height: 100%; background: #1b4f9c; }",
    ".phase { display: inline-block; margin-bottom: 4px; padding: 0 8px; border-radius: 999px; background: #e3edfb;",
    "  color: #1b4f9c; font-size: 12px; font-weight: 700; }",
    "h3 { margin: 0 0 8px; font-size: 16px; line-height: 1.45; }",
    "h3:focus { outline: none; }",
    "h3:focus-visible { outline: 3px solid #0b57d0; }",
    ".help { color: #424a53; font-size: 13.5px; }",
    ".basis { color: #57606a; font-size: 12px; }",
    ".step-cites { margin: 0 0 10px; }",
    ".nav { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 8px; margin-top: 16px;",
    "  padding-top: 10px; border-top: 1px solid #eaeef2; }",
    ".summary { margin: 0 0 8px; }",
    ".summary dt { margin-top: 8px; font-size: 13px; color: #424a53; }",
    ".summary dd { margin: 2px 0 0; padding-bottom: 6px; border-bottom: 1px solid #eaeef2; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; font-weight: 600; }",
    ".report { overflow-wrap: anywhere; font-size: 14px; }",
    ".report h4 { margin: 14px 0 6px; font-size: 15px; }",
    ".report h5 { margin: 12px 0 4px; font-size: 14px; }",
    ".report ul, .report ol { margin: 0 0 8px; padding-left: 20px; }",
    ".report li { margin: 2px 0; }",
    ".report blockquote { margin: 4px 0 8px; padding: 4px 10px; border-left: 4px solid #d0d7de; color: #424a53; }",
    ".report code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;",
    "  background: #f6f8fa; padding: 0 3px; border-radius: 4px; }",
    ".table-wrap { max-width: 100%; overflow-x: auto; margin: 0 0 8px; }",
    ".report table { border-collapse: collapse; font-size: 13px; }",
    ".report th, .report td { border: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; text-align: left; }",
    ".report th { background: #f6f8fa; }",
    ".confirm-box { margin-top: 8px; padding: 8px 10px; border: 1px solid #d0d7de; border-radius: 8px; background: #f6f8fa; }",
    ".cases { list-style: none; margin: 8px 0 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }",
    ".case { padding: 8px 10px; border: 1px solid #d0d7de; border-radius: 8px; overflow-wrap: anywhere; }",
    ".case h4 { margin: 0 0 4px; font-size: 15px; line-height: 1.45; }",
    ".case p { margin: 0 0 4px; }",
    ".status { display: inline-block; padding: 0 8px; border-radius: 999px; background: #e3edfb; color: #1b4f9c;",
    "  font-weight: 700; font-size: 13px; }",
    ".status-closed { background: #eaeef2; color: #424a53; }",
    ".case summary { cursor: pointer; color: #1b4f9c; font-size: 13px; }",
    ".steps { margin: 6px 0 0; padding-left: 20px; font-size: 13.5px; }",
    ".steps li { margin: 2px 0 6px; }",
    ".steps .step-note { margin: 2px 0 0; color: #424a53; white-space: pre-wrap; }",
    ".case-status { margin: 0 0 10px; padding: 8px 10px; border: 1px solid #d0d7de; border-radius: 8px; background: #f6f8fa; }",
    ".case-status p { margin: 0; }",
  ].join("\n");

  // ---------------------------------------------------------------------------------------------
  // the frame: launcher, panel, tabs

  var host, shadow, launcher, panel, tabButtons = {}, tabPanels = {};
  var ask = { run: 0, stop: null };  // the Q&A elements; the question in progress and its abort
  var state = {
    open: false,
    tab: "ask",
    busy: false,
    messages: [],
    flows: null,  // GET /api/flows, once
    flowsError: "",
    flowsLoading: null,
    flow: {},  // per flow name: {id, view, report, busy, error, notices, confirmRestart, retry}
    reports: { list: null, loading: false },  // GET /api/reports: this visitor's incident reports
  };
  var statusView = {};  // the 報告の状況 panel's elements

  function build() {
    host = document.createElement("hogo-widget");
    host.setAttribute("data-hogo", "");
    shadow = host.attachShadow({ mode: "open" });
    var root = h("div", { class: "root" });
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(h("style", { text: CSS }));
    }

    launcher = h("button", {
      type: "button", class: "launcher", "aria-label": "hogo に質問する", "aria-expanded": "false",
      "aria-controls": "hogo-panel", on: { click: function () { if (state.open) close(); else open(true); } },
    }, h("span", { class: "icon", "aria-hidden": "true", text: "💬" }), h("span", { text: "hogo に質問する" }));

    var tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "機能を選ぶ" });
    var allTabs = [{ id: "ask", label: "質問する" }].concat(FLOW_TABS, [STATUS_TAB]);
    allTabs.forEach(function (t) {
      var tab = h("button", {
        type: "button", role: "tab", class: "tab", id: "hogo-tab-" + t.id, "aria-controls": "hogo-tp-" + t.id,
        "aria-selected": "false", tabindex: "-1", text: t.label,
        on: { click: function () { selectTab(t.id, true); }, keydown: onTabKey },
      });
      tabButtons[t.id] = tab;
      tabs.appendChild(tab);
      tabPanels[t.id] = h("div", {
        class: "tabpanel", role: "tabpanel", id: "hogo-tp-" + t.id, "aria-labelledby": "hogo-tab-" + t.id, hidden: true,
      });
    });

    panel = h("div", { class: "panel", id: "hogo-panel", role: "dialog", "aria-label": TITLE, hidden: true },
      h("div", { class: "header" },
        h("h2", { text: TITLE }),
        h("button", { type: "button", class: "close", text: "閉じる", on: { click: function () { close(); } } })),
      tabs,
      allTabs.map(function (t) { return tabPanels[t.id]; }));

    root.appendChild(launcher);
    root.appendChild(panel);
    shadow.appendChild(root);
    shadow.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.open && !isComposing(event)) {
        event.stopPropagation();
        close();
      }
    });
    buildAsk();
    FLOW_TABS.forEach(function (t) { renderFlow(t.id); });
    buildStatus();
    (document.body || document.documentElement).appendChild(host);
  }

  function onTabKey(event) {
    var ids = Object.keys(tabButtons);
    var i = ids.indexOf(state.tab);
    var next = null;
    if (event.key === "ArrowRight") next = ids[(i + 1) % ids.length];
    else if (event.key === "ArrowLeft") next = ids[(i - 1 + ids.length) % ids.length];
    else if (event.key === "Home") next = ids[0];
    else if (event.key === "End") next = ids[ids.length - 1];
    if (next) {
      event.preventDefault();
      selectTab(next, false);
      tabButtons[next].focus();
    }
  }

  function selectTab(id, focusContent) {
    state.tab = id;
    store.set("tab", id);
    Object.keys(tabButtons).forEach(function (t) {
      var on = t === id;
      tabButtons[t].setAttribute("aria-selected", on ? "true" : "false");
      tabButtons[t].setAttribute("tabindex", on ? "0" : "-1");
      tabPanels[t].hidden = !on;
    });
    if (id === STATUS_TAB.id) {
      loadReports();  // each visit shows the office's latest handling
    } else if (id !== "ask") {
      var fs = flowState(id);
      if (!fs.loaded) {
        fs.focus = fs.focus || !!focusContent;  // focus its first control once it has loaded
        loadFlow(id);
        return;
      }
    }
    if (focusContent) focusTab();
  }

  function focusTab() {
    if (state.tab === "ask") {
      ask.input.focus();
      return;
    }
    var el = tabPanels[state.tab].querySelector("[data-autofocus]") ||
      tabPanels[state.tab].querySelector("button:not([disabled]), input:not([disabled]), textarea:not([disabled])");
    if (el) el.focus();
  }

  function open(userAction) {
    state.open = true;
    store.set("open", true);
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    selectTab(state.tab, !!userAction);
    scrollLog();
  }

  function close() {
    state.open = false;
    store.set("open", false);
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Q&A

  function buildAsk() {
    var tp = tabPanels.ask;
    ask.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "質問と回答の履歴" });
    ask.scroll = h("div", { class: "scroll" },
      h("p", { class: "muted", text: "自治体の個人情報の取扱いルール（規程・基準）について質問できます。回答には根拠となる条文が付きます。" + MSG.privacy }),
      ask.log);
    ask.input = h("textarea", {
      id: "hogo-question", rows: "2", maxlength: String(MAX_QUESTION), "aria-describedby": "hogo-ask-hint",
      placeholder: "例: USBメモリをなくしたら誰に報告しますか？",
      on: {
        keydown: function (event) {
          if (event.key === "Enter" && !event.shiftKey && !isComposing(event)) {
            event.preventDefault();
            sendQuestion();
          }
        },
      },
    });
    ask.send = button("送信", function () { sendQuestion(); }, "primary");
    tp.appendChild(ask.scroll);
    tp.appendChild(h("div", { class: "composer" },
      h("label", { class: "vh", for: "hogo-question", text: "質問" }),
      h("div", { class: "composer-row" }, ask.input, ask.send),
      h("div", { class: "composer-foot" },
        h("p", { class: "muted", id: "hogo-ask-hint", text: "Enter で送信、Shift+Enter で改行" }),
        h("button", { type: "button", class: "link", text: "履歴を消去", on: { click: clearHistory } }))));
    state.messages.forEach(function (m) { ask.log.appendChild(renderMessage(m)); });
  }

  function saveMessages() {
    if (state.messages.length > MAX_MESSAGES) state.messages = state.messages.slice(-MAX_MESSAGES);
    store.set("messages", state.messages);
  }

  function addMessage(message) {
    state.messages.push(message);
    saveMessages();
    var el = renderMessage(message);
    ask.log.appendChild(el);
    scrollLog();
    return el;
  }

  function scrollLog() {
    if (ask.scroll) ask.scroll.scrollTop = ask.scroll.scrollHeight;
  }

  function clearHistory() {
    ask.run += 1;  // an answer still on its way is dropped
    if (ask.stop) ask.stop.abort();
    ask.stop = null;
    state.busy = false;
    ask.send.disabled = false;
    state.messages = [];
    saveMessages();
    clear(ask.log);
    ask.input.focus();
  }

  // The answer streams in (POST /api/ask/stream); when the stream fails before its first event, it is asked
  // again as one JSON answer (POST /api/ask).
  async function sendQuestion() {
    var question = ask.input.value.trim();
    if (!question || state.busy) return;
    var run = ask.run += 1;
    var current = function () { return run === ask.run; };
    state.busy = true;
    ask.send.disabled = true;
    ask.input.value = "";
    var asked = { role: "user", text: question };
    var askedEl = addMessage(asked);
    var pending = h("div", { class: "msg pending", text: MSG.thinking });
    ask.log.appendChild(pending);
    scrollLog();

    function masked(text) {
      if (typeof text !== "string" || text === question || !current()) return;
      // the server masked a My Number: keep only the masked text, on screen and in storage
      asked.text = text;
      asked.masked = true;
      var el = renderMessage(asked);
      askedEl.replaceWith(el);
      askedEl = el;
      saveMessages();
    }

    var body = { question: question };
    if (SCOPE) body.scope = [SCOPE];
    var live = null;
    try {
      if (CAN_STREAM) {
        live = liveAnswer(pending, masked, current);
        ask.stop = new AbortController();
        try {
          await apiStream("/api/ask/stream", body, live.onEvent, ask.stop.signal);
          if (!live.finished) throw new ApiError(0, "network", MSG.network);  // cut off before done
        } catch (e) {
          if (live.started || !streamFailed(e)) throw e;
          live = null;
        }
      }
      if (!live && current()) {
        var data = await api("POST", "/api/ask", body);
        if (!current()) return;
        pending.remove();
        masked(data.question);
        addMessage({
          role: "bot", question: data.question, text: data.answer, abstained: !!data.abstained, rating: null,
          composer: data.composer, composerNote: data.composer_note,
          citations: (data.citations || []).map(slimCitation),
        });
      }
    } catch (e) {
      if (!current()) return;
      pending.remove();
      if (live) live.discard();
      addMessage({ role: "error", text: e instanceof ApiError && e.message ? e.message : MSG.server });
      if (!ask.input.value) ask.input.value = question;  // ready to send again
    } finally {
      if (current()) {
        ask.stop = null;
        state.busy = false;
        ask.send.disabled = false;
      }
    }
  }

  // A refusal (401 after renewal, 403, 413, 422, 429) would only be refused again by /api/ask.
  function streamFailed(e) {
    if (!(e instanceof ApiError)) return true;
    return e.status === 0 || e.code === "bad_response" || e.status === 404 || e.status === 405 || e.status >= 500;
  }

  function slimCitation(c) {
    return { key: c.key, label: c.label, heading: c.heading, text: c.text, references: slimRefs(c.references) };
  }

  // One streamed answer: ``answer`` chunks go into the bubble as text as they come (a ``fallback`` withdraws
  // the generated ones; the extractive text follows), a chip per ``citation``; on ``done`` the bubble is
  // rendered as a stored answer is (bold lead, note, feedback) and the conversation saved.
  function liveAnswer(pending, masked, current) {
    var m = { role: "bot", question: "", text: "", abstained: false, rating: null, composer: null,
      composerNote: null, citations: [] };
    var chunks = [];
    var el = null, text, note, cites, chips;
    var live = { started: false, finished: false };

    function bubble() {
      if (el) return;
      pending.remove();
      text = h("p");
      note = h("p", { class: "muted", hidden: true });
      chips = h("ul", { class: "chips" });
      cites = h("div", { class: "cites", hidden: true },
        h("p", { class: "cites-title", text: "根拠条文（押すと条文を表示）" }), chips);
      el = h("div", { class: "msg live", "aria-busy": "true" }, h("span", { class: "vh", text: "回答: " }),
        h("div", { class: "bubble" }, h("div", { class: "answer-text" }, text), note, cites));
      ask.log.appendChild(el);
    }

    function handle(name, data) {
      if (name === "meta") {
        m.question = typeof data.question === "string" ? data.question : "";
        masked(data.question);
        pending.textContent = MSG.composing;
      } else if (name === "suggest") {
        if (typeof data.flow === "string") m.suggest = { flow: data.flow, title: String(data.title || "") };
      } else if (name === "answer") {
        bubble();
        chunks.push(String(data.text == null ? "" : data.text));
        text.textContent = chunks.join("");
      } else if (name === "fallback") {
        bubble();
        chunks.splice(Math.max(0, chunks.length - (parseInt(data.withdrawn, 10) || 0)));
        text.textContent = chunks.join("");
        m.composerNote = String(data.composer_note || "fallback");
        note.textContent = composerNote(m);
        note.hidden = false;
      } else if (name === "citation") {
        bubble();
        var c = slimCitation(data);
        m.citations.push(c);
        chips.appendChild(h("li", null, clauseChip(c)));
        cites.hidden = false;
      } else if (name === "done") {
        m.abstained = !!data.abstained;
        m.composer = data.composer;
        m.composerNote = data.composer_note || null;
        m.text = chunks.join("");
        if (m.composer === "llm") m.text = m.text.replace(/\s+$/, "");  // as /api/ask gives it
        var done = renderMessage(m);
        if (el) el.replaceWith(done);
        else {
          pending.remove();
          ask.log.appendChild(done);
        }
        el = done;
        state.messages.push(m);
        saveMessages();
        live.finished = true;
      }
    }

    live.onEvent = function (name, raw) {
      if (!current() || live.finished) return;
      var data;
      try {
        data = JSON.parse(raw);
      } catch (e) {
        throw new ApiError(200, "bad_response", MSG.server);
      }
      if (!data || typeof data !== "object") throw new ApiError(200, "bad_response", MSG.server);
      live.started = true;
      var s = ask.scroll;
      var following = s.scrollHeight - s.scrollTop - s.clientHeight < 48 || name === "done";
      handle(name, data);
      if (following) scrollLog();
    };
    live.discard = function () {
      if (el && !live.finished) el.remove();
    };
    return live;
  }

  function renderMessage(m) {
    if (m.role === "user") {
      return h("div", { class: "msg user" }, h("span", { class: "vh", text: "質問: " }),
        h("div", { class: "bubble", text: m.text }),
        m.masked ? h("p", { class: "muted", text: "個人番号と思われる番号を伏せ字にしました。" + MSG.privacy }) : null);
    }
    if (m.role === "error") {
      return h("div", { class: "msg error" }, h("div", { class: "bubble", text: m.text }));
    }
    var bubble = h("div", { class: "bubble" });
    if (m.abstained) bubble.appendChild(h("span", { class: "badge", text: "規程に記載なし" }));
    bubble.appendChild(answerText(m));
    var composed = composerNote(m);
    if (composed) bubble.appendChild(h("p", { class: "muted", text: composed }));
    if (m.citations && m.citations.length) {
      bubble.appendChild(h("div", { class: "cites" },
        h("p", { class: "cites-title", text: "根拠条文（押すと条文を表示）" }),
        h("ul", { class: "chips" }, m.citations.map(function (c) { return h("li", null, clauseChip(c)); }))));
    }
    var guide = suggestButton(m);
    if (guide) bubble.appendChild(guide);
    bubble.appendChild(feedbackBar(m));
    return h("div", { class: "msg bot" + (m.abstained ? " abstained" : "") }, h("span", { class: "vh", text: "回答: " }), bubble);
  }

  // A question about an incident or a consignment offers its guide (the server's ``suggest`` event): the button
  // opens that tab, where the guide starts or goes on where it was left.
  function suggestButton(m) {
    var flow = m.suggest && FLOW_TABS.filter(function (t) { return t.id === m.suggest.flow; })[0];
    if (!flow) return null;
    return h("p", { class: "suggest" }, h("button", {
      type: "button", class: "suggest-button", text: "「" + String(m.suggest.title || flow.label) + "」を始める",
      on: { click: function () { selectTab(flow.id, true); } },
    }));
  }

  // The extractive answer's lines: each city's first line is its lead (the answer with its clause, in one
  // line), shown bold; 【city】 headers, the quoted clauses (・…), their items and 関連: … follow as written.
  // A generated or abstaining answer is one text.
  function answerText(m) {
    var box = h("div", { class: "answer-text" });
    var text = String(m.text || "");
    if (m.abstained || m.composer === "llm") {
      box.appendChild(h("p", { text: text }));
      return box;
    }
    var body = [], leadNext = true;
    function flush() {
      if (body.length) box.appendChild(h("p", { class: "answer-body", text: body.join("\n") }));
      body = [];
    }
    text.split("\n").forEach(function (line) {
      if (/^【[^】]+】$/.test(line)) {
        flush();
        box.appendChild(h("p", { class: "answer-city", text: line }));
        leadNext = true;
      } else if (leadNext && line && !/^(・|\s|関連: )/.test(line)) {
        flush();
        box.appendChild(h("p", { class: "answer-lead" }, h("strong", { text: line })));
        leadNext = false;
      } else {
        body.push(line);
        leadNext = false;
      }
    });
    flush();
    return box;
  }

  // Who wrote the answer text: a generated summary (quotes verified) or, after a failed generation, the
  // extractive answer. Nothing is said when generative answers are off.
  function composerNote(m) {
    if (m.composer === "llm") return "生成AIによる要約（引用は検証済み）";
    if (m.composerNote) return "生成AIの回答を確認できなかったため、該当する条文の抜粋を表示しています。";
    return "";
  }

  // A citation chip: a button with the clause label that shows the verbatim clause below it.
  // ``c`` has key and label, and text/heading when known (otherwise fetched on first open).
  function clauseChip(c) {
    var id = nextId("clause");
    var box = h("div", { class: "clause", id: id, hidden: true });
    var caret = h("span", { class: "caret", "aria-hidden": "true", text: "▸" });
    var chip = h("button", { type: "button", class: "chip", "aria-expanded": "false", "aria-controls": id },
      caret, h("span", { text: c.label }));
    var filled = false;

    function fill(data) {
      clear(box);
      append(box, clauseView(data, 0));
      filled = true;
    }

    chip.addEventListener("click", async function () {
      var expand = chip.getAttribute("aria-expanded") !== "true";
      chip.setAttribute("aria-expanded", expand ? "true" : "false");
      caret.textContent = expand ? "▾" : "▸";
      box.hidden = !expand;
      if (!expand || filled) return;
      if (typeof c.text === "string" && Array.isArray(c.references)) {
        fill(c);
        return;
      }
      box.textContent = MSG.loading;
      try {
        var data = await fetchClause(c.key);
        c.text = data.text;
        c.heading = data.heading;
        c.references = slimRefs(data.references);
        fill({ key: data.key, label: data.label, heading: data.heading, text: data.text, references: c.references });
      } catch (e) {
        box.textContent = e.message || MSG.server;
      }
    });
    return [chip, box];
  }

  // Cross-references inside a clause ----------------------------------------------------------------

  var MAX_REF_DEPTH = 5;  // a referenced clause's own references can be followed this deep
  var MAX_REF_CLAUSES = 5;  // a range (第3条から第7条まで, 前各号) shows this many of its clauses
  var clauseCache = {};

  function fetchClause(key) {
    if (!clauseCache[key]) {
      clauseCache[key] = api("GET", "/api/clauses/" + encodeURIComponent(key));  // the token: a bound site key's documents
      clauseCache[key].catch(function () { delete clauseCache[key]; });
    }
    return clauseCache[key];
  }

  // What the widget keeps of a citation's references (they are stored with the conversation).
  function slimRefs(refs) {
    if (!Array.isArray(refs)) return [];
    return refs.filter(function (r) { return r && typeof r.text === "string" && r.text; }).map(function (r) {
      return { key: typeof r.key === "string" ? r.key : null, keys: Array.isArray(r.keys) ? r.keys.slice(0, 50) : [],
        label: String(r.label || ""), text: r.text, external: !!r.external, instrument: r.instrument || null };
    });
  }

  // A clause as the chip shows it: label, the verbatim text (its references live inside it), key.
  function clauseView(data, depth) {
    var refs = slimRefs(data.references);
    var boxes = h("div", { class: "ref-boxes" });
    var others = [];
    refs.forEach(function (r) {
      if (r.external && others.indexOf(externalTitle(r)) < 0) others.push(externalTitle(r));
    });
    return [
      h("p", { class: "clause-head", text: data.label + (data.heading ? "（" + data.heading + "）" : "") }),
      clauseText(String(data.text || ""), refs, depth, boxes),
      others.length ? h("p", { class: "clause-note", text: "点線の語は他の法令の条項です: " + others.join("、") }) : null,
      boxes,
      h("p", { class: "clause-key", text: "条項キー: " + data.key }),
    ];
  }

  // The verbatim text as text nodes; each reference (in order of appearance) becomes a button that opens
  // the clause it cites in ``boxes``, or for another instrument a marked span saying so.
  function clauseText(text, refs, depth, boxes) {
    var quote = h("blockquote", { class: "clause-text" });
    var cursor = 0;
    refs.forEach(function (ref) {
      var internal = !ref.external && !!ref.key;
      if (!internal && !ref.external) return;
      var at = text.indexOf(ref.text, cursor);
      if (at < 0) return;
      if (at > cursor) quote.appendChild(document.createTextNode(text.slice(cursor, at)));
      if (ref.external) quote.appendChild(h("mark", { class: "ref-ext", title: externalTitle(ref), text: ref.text }));
      else if (depth < MAX_REF_DEPTH) quote.appendChild(refButton(ref, depth, boxes));
      else quote.appendChild(document.createTextNode(ref.text));
      cursor = at + ref.text.length;
    });
    if (cursor < text.length) quote.appendChild(document.createTextNode(text.slice(cursor)));
    return quote;
  }

  function externalTitle(ref) {
    var label = ref.label || ref.text;
    var name = ref.instrument && label.indexOf(ref.instrument) !== 0 ? ref.instrument + " " : "";
    return name + label + "（他の法令）";
  }

  // 前項 → a button; the clause it cites opens below the text (Escape or 戻る closes it and returns here).
  function refButton(ref, depth, boxes) {
    var id = nextId("ref");
    var btn = h("button", { type: "button", class: "ref", "aria-expanded": "false", "aria-controls": id,
      title: ref.label + " を表示", text: ref.text });
    var box = null;

    function hide() {
      box.hidden = true;
      btn.setAttribute("aria-expanded", "false");
      btn.focus();
    }

    btn.addEventListener("click", function () {
      if (box && !box.hidden) {
        hide();
        return;
      }
      if (!box) {
        box = refBox(id, ref, depth, hide);
        boxes.appendChild(box);
      }
      box.hidden = false;
      btn.setAttribute("aria-expanded", "true");
      box.querySelector(".ref-title").focus();
    });
    return btn;
  }

  function refBox(id, ref, depth, hide) {
    var keys = (ref.keys && ref.keys.length ? ref.keys : [ref.key]).slice(0, MAX_REF_CLAUSES);
    var more = ref.keys && ref.keys.length > keys.length ? ref.keys.length - keys.length : 0;
    var title = h("p", { class: "ref-title", tabindex: "-1", text: "「" + ref.text + "」→ " + ref.label });
    var content = h("div", { class: "ref-content", role: "status", text: MSG.loading });
    var box = h("div", { class: "ref-clause", id: id, role: "group", "aria-label": ref.text + "（" + ref.label + "）" },
      title, content,
      more ? h("p", { class: "clause-note", text: "ほか" + more + "件の条項を指しています。" }) : null,
      h("div", { class: "row" }, button("戻る", hide)));
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !isComposing(event)) {
        event.stopPropagation();  // closes this clause, not the panel
        event.preventDefault();
        hide();
      }
    });
    Promise.all(keys.map(fetchClause)).then(function (clauses) {
      clear(content);
      content.removeAttribute("role");
      clauses.forEach(function (data) { append(content, clauseView(data, depth + 1)); });
    }).catch(function (e) {
      content.textContent = e.message || MSG.server;
    });
    return box;
  }

  function feedbackBar(m) {
    var status = h("span", { class: "muted", role: "status" });
    var up = button("👍 役に立った", function () { rate("up"); }, "", { "aria-pressed": m.rating === "up" ? "true" : "false" });
    var down = button("👎 役に立たなかった", function () { rate("down"); }, "", { "aria-pressed": m.rating === "down" ? "true" : "false" });
    if (m.rating) {
      up.disabled = down.disabled = true;
      status.textContent = "評価を送信しました。";
    }

    async function rate(rating) {
      if (m.rating) return;
      up.disabled = down.disabled = true;
      status.textContent = "送信中…";
      try {
        await api("POST", "/api/feedback", {
          question: (m.question || "").slice(0, MAX_QUESTION) || "（質問なし）", rating: rating,
          cited_keys: (m.citations || []).map(function (c) { return c.key; }),
        });
        m.rating = rating;
        saveMessages();
        (rating === "up" ? up : down).setAttribute("aria-pressed", "true");
        status.textContent = "ご評価ありがとうございました。";
      } catch (e) {
        up.disabled = down.disabled = false;
        status.textContent = e.message || MSG.server;
      }
    }

    return h("div", { class: "feedback", role: "group", "aria-label": "この回答の評価" },
      h("span", { text: "この回答は役に立ちましたか？" }), up, down, status);
  }

  // ---------------------------------------------------------------------------------------------
  // guided flows (incident report, consignment checklist)

  function flowState(name) {
    if (!state.flow[name]) {
      state.flow[name] = { id: store.get("flow:" + name), view: null, report: null, busy: false, error: "",
        notices: [], confirmRestart: false, retry: null, loaded: false, focus: false };
    }
    return state.flow[name];
  }

  function loadFlows() {
    if (state.flows) return Promise.resolve(state.flows);
    if (!state.flowsLoading) {
      state.flowsError = "";
      state.flowsLoading = api("GET", "/api/flows").then(function (list) {  // only the site key's documents
        state.flows = list;
        return list;
      }).catch(function (e) {
        state.flowsError = e.message || MSG.server;
        return null;
      }).finally(function () { state.flowsLoading = null; });
    }
    return state.flowsLoading;
  }

  async function loadFlow(name) {
    var fs = flowState(name);
    if (fs.loaded || fs.loading) return;
    fs.loading = true;
    renderFlow(name);
    await loadFlows();
    if (fs.id && !fs.view) {
      try {
        var view = await api("GET", "/api/flows/sessions/" + encodeURIComponent(fs.id));
        fs.view = view;
        if (view.status === "finished" && view.report_id) {
          fs.report = await api("GET", "/api/reports/" + encodeURIComponent(view.report_id));
        }
      } catch (e) {
        if (e.status === 404) {
          forgetFlow(name);
          fs.error = "前回の入力は再開できませんでした。最初から始めてください。";
        } else {
          fs.error = e.message || MSG.server;
        }
      }
    }
    fs.loading = false;
    fs.loaded = !fs.error || !fs.id;
    renderFlow(name);
  }

  function forgetFlow(name) {
    var fs = flowState(name);
    fs.id = null;
    fs.view = null;
    fs.report = null;
    fs.notices = [];
    fs.confirmRestart = false;
    store.set("flow:" + name, null);
  }

  function flowInfo(name) {
    return (state.flows || []).filter(function (f) { return f.name === name; })[0] || null;
  }

  async function flowAction(name, run) {
    var fs = flowState(name);
    if (fs.busy) return;
    fs.busy = true;
    fs.error = "";
    setBusy(name, true);
    try {
      await run(fs);
      fs.busy = false;
      fs.focus = true;
      renderFlow(name);
    } catch (e) {
      fs.busy = false;
      fs.error = e.message || MSG.server;
      if (e.status !== 0) fs.retry = null;
      setBusy(name, false);
      showFlowError(name);
    }
  }

  function setBusy(name, busy) {
    var set = tabPanels[name].querySelector(".stepset");
    if (set) set.disabled = busy;
    tabPanels[name].setAttribute("aria-busy", busy ? "true" : "false");
  }

  function showFlowError(name) {
    var fs = flowState(name);
    var tp = tabPanels[name];
    var err = tp.querySelector(".error");
    if (!err) {
      renderFlow(name);
      err = tp.querySelector(".error");
    }
    err.textContent = fs.error;
    var field = tp.querySelector("[data-field]");
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    } else {
      var first = tp.querySelector(".stepset button:not([disabled]), .nav button");
      if (first) first.focus();
    }
  }

  function startFlow(name, scope) {
    flowAction(name, async function (fs) {
      var view = await api("POST", "/api/flows/" + encodeURIComponent(name) + "/sessions", scope ? { scope: scope } : {});
      fs.id = view.id;
      fs.view = view;
      fs.report = null;
      fs.notices = view.notices || [];
      fs.loaded = true;
      store.set("flow:" + name, view.id);
    });
  }

  function answerStep(name, value) {
    var fs = flowState(name);
    var step = fs.view && fs.view.step;
    if (!step) return;
    // a retry after a network error reuses its request id, so an answer that did arrive is applied once
    var rid = fs.retry && fs.retry.step === step.id ? fs.retry.id : requestId();
    fs.retry = { step: step.id, id: rid };
    flowAction(name, async function (fs) {
      var view = await api("POST", "/api/flows/sessions/" + encodeURIComponent(fs.id) + "/answer",
        { step_id: step.id, value: value, request_id: rid });
      fs.retry = null;
      fs.view = view;
      fs.notices = view.notices || [];
    });
  }

  function goBack(name) {
    var fs = flowState(name);
    var from = fs.view && fs.view.step ? fs.view.step.id : "confirm";
    flowAction(name, async function (fs) {
      var view = await api("POST", "/api/flows/sessions/" + encodeURIComponent(fs.id) + "/back",
        { from_step: from, request_id: requestId() });
      fs.view = view;
      fs.notices = view.notices || [];
    });
  }

  function finishFlow(name) {
    flowAction(name, async function (fs) {
      var report = await api("POST", "/api/flows/sessions/" + encodeURIComponent(fs.id) + "/finish");
      fs.report = report;
      fs.view = Object.assign({}, fs.view, { status: "finished", step: null, report_id: report.id });
      fs.notices = [];
    });
  }

  function restartFlow(name) {
    var fs = flowState(name);
    if (fs.id && fs.view && fs.view.status !== "finished") {  // abandon the unfinished draft on the server
      api("POST", "/api/flows/sessions/" + encodeURIComponent(fs.id) + "/cancel", {}).catch(function () {});
    }
    forgetFlow(name);
    flowState(name).focus = true;
    renderFlow(name);
  }

  function renderFlow(name) {
    var fs = flowState(name);
    var tp = tabPanels[name];
    clear(tp);
    var body = h("div", { class: "scroll" });
    tp.appendChild(body);
    tp.setAttribute("aria-busy", fs.busy ? "true" : "false");
    if (fs.loading) {
      body.appendChild(h("p", { class: "muted", role: "status", text: MSG.loading }));
      return;
    }
    if (!fs.view) renderFlowStart(name, fs, body);
    else if (fs.view.status === "finished") renderReport(name, fs, body);
    else if (fs.view.status === "confirm") renderConfirm(name, fs, body);
    else renderStep(name, fs, body);
    if (fs.focus && state.open && state.tab === name) {
      fs.focus = false;
      var target = tp.querySelector("[data-autofocus]");
      if (target) target.focus();
    }
    fs.focus = false;
  }

  function noticeBox(fs) {
    return h("div", { class: "notices", role: "status" },
      (fs.notices || []).map(function (n) { return h("p", { text: n }); }));
  }

  function errorBox(fs, id) {
    return h("p", { class: "error", id: id, role: "alert", text: fs.error || "" });
  }

  function renderFlowStart(name, fs, body) {
    var info = flowInfo(name);
    if (!info) {
      body.appendChild(h("p", { class: "error", role: "alert", text: state.flowsError || "このガイドは利用できません。" }));
      body.appendChild(button("再読み込み", function () { fs.loaded = false; fs.error = ""; loadFlow(name); }, "", { "data-autofocus": "" }));
      return;
    }
    body.appendChild(h("h3", { text: info.title, tabindex: "-1", "data-autofocus": "" }));
    body.appendChild(h("p", { text: info.description }));
    if (fs.error) body.appendChild(h("p", { class: "error", role: "alert", text: fs.error }));
    if (fs.id) {  // a session to resume could not be loaded (network): offer to try again, not a new one
      body.appendChild(h("div", { class: "row" },
        button("再読み込み", function () { fs.error = ""; fs.focus = true; loadFlow(name); }, "primary"),
        button("最初から始める", function () { restartFlow(name); })));
      return;
    }
    var scopes = info.scopes || [];
    if (SCOPE) scopes = scopes.filter(function (s) { return s.id === SCOPE; });
    if (!scopes.length) {
      body.appendChild(h("p", { class: "error", role: "alert", text: "この規程向けのガイドはまだ用意されていません。" }));
      return;
    }
    if (scopes.length === 1) {
      body.appendChild(h("p", { class: "muted", text: "対象: " + scopes[0].label }));
      body.appendChild(button("開始する", function () { startFlow(name, scopes[0].id); }, "primary"));
      return;
    }
    var labelId = nextId("scopes");
    body.appendChild(h("p", { id: labelId, class: "field-label", text: "自治体（規程）を選んで開始してください" }));
    body.appendChild(h("div", { class: "options", role: "group", "aria-labelledby": labelId },
      scopes.map(function (s) {
        return button(s.label, function () { startFlow(name, s.id); }, "option");
      })));
  }

  function progressBar(view) {
    var p = view.progress || { n: 0, m: 0 };
    var bar = h("span");
    bar.style.width = (p.m ? Math.round((Math.min(p.n, p.m) / p.m) * 100) : 0) + "%";
    return h("div", { class: "progress" }, h("span", { text: "ステップ " + p.n + " / " + p.m }),
      h("div", { class: "bar", "aria-hidden": "true" }, bar));
  }

  function renderStep(name, fs, body) {
    var view = fs.view;
    var step = view.step;
    var promptId = nextId("prompt"), helpId = nextId("help"), errId = nextId("err");
    var describedBy = (step.help ? helpId + " " : "") + errId;
    body.appendChild(noticeBox(fs));
    body.appendChild(h("p", { class: "muted", text: view.title }));
    body.appendChild(progressBar(view));
    var wrap = h("div", { class: "step", "data-step-id": step.id, "data-kind": step.kind });
    if (step.phase) wrap.appendChild(h("span", { class: "phase", text: step.phase }));
    if (step.kind === "check" && step.title && step.title !== step.prompt) {
      wrap.appendChild(h("h3", { text: step.title }));
      wrap.appendChild(h("p", { id: promptId, text: step.prompt }));
    } else {
      wrap.appendChild(h("h3", { id: promptId, text: step.prompt }));
    }
    if (step.help) wrap.appendChild(h("p", { class: "help", id: helpId, text: step.help }));
    var cites = step.cites || [], labels = step.cite_labels || [];
    if (cites.length) {
      wrap.appendChild(h("div", { class: "step-cites" },
        h("p", { class: "cites-title", text: "関連する条文" }),
        h("ul", { class: "chips" }, cites.map(function (key, i) {
          return h("li", null, clauseChip({ key: key, label: labels[i] || key }));
        }))));
    }
    if (step.basis && step.basis.length) {
      wrap.appendChild(h("p", { class: "basis", text: "法令上の根拠: " + step.basis.join("、") }));
    }
    var set = h("fieldset", { class: "stepset", "aria-labelledby": promptId, disabled: fs.busy });
    var input = stepInput(name, step, promptId, describedBy);
    var buttons = input.querySelector(".row");  // the error goes right under the field, above 次へ
    if (buttons) input.insertBefore(errorBox(fs, errId), buttons);
    else input.appendChild(errorBox(fs, errId));
    set.appendChild(input);
    wrap.appendChild(set);
    wrap.appendChild(flowNav(name, fs, (view.progress || {}).answered > 0));
    body.appendChild(wrap);
  }

  function flowNav(name, fs, canGoBack) {
    var nav = h("div", { class: "nav" });
    nav.appendChild(canGoBack ? button("戻る", function () { goBack(name); }) : h("span"));
    if (fs.confirmRestart) {
      nav.appendChild(h("div", { class: "confirm-box", role: "group", "aria-label": "やり直しの確認" },
        h("p", { text: "入力した内容を破棄して最初からやり直しますか？" }),
        h("div", { class: "row" },
          button("やり直す", function () { restartFlow(name); }, "primary"),
          button("キャンセル", function () {
            fs.confirmRestart = false;
            renderFlow(name);
            var again = tabPanels[name].querySelector("[data-restart]");
            if (again) again.focus();
          }, "", { "data-autofocus": "" }))));
    } else {
      nav.appendChild(button("最初からやり直す", function () {
        fs.confirmRestart = true;
        fs.focus = true;
        renderFlow(name);
      }, "", { "data-restart": "" }));
    }
    return nav;
  }

  function stepInput(name, step, promptId, describedBy) {
    var box = h("div", { class: "input" });
    var def = step.default;
    var submit = function (value) { answerStep(name, value); };

    function onEnter(getValue) {
      return function (event) {
        if (event.key === "Enter" && !isComposing(event)) {
          event.preventDefault();
          submit(getValue());
        }
      };
    }

    if (step.kind === "choice" || step.kind === "yesno") {
      var wasId = nextId("was");
      box.appendChild(h("div", { class: "options", role: "group", "aria-labelledby": promptId, "aria-describedby": describedBy },
        (step.options || []).map(function (o, i) {
          var was = def != null && def === o.value;
          return button(o.label, function () { submit(o.value); }, "option" + (was ? " was" : ""), {
            "data-value": o.value, "data-autofocus": i === 0 ? "" : null, "aria-describedby": was ? wasId : null,
          });
        })));
      if (def != null) box.appendChild(h("p", { class: "muted", id: wasId, text: "太字は前回の回答です。" }));
      return box;
    }

    if (step.kind === "multiselect") {
      var chosen = Array.isArray(def) ? def : [];
      var known = (step.options || []).map(function (o) { return o.value; });
      var inputs = [];
      var list = h("div", { class: "checks", role: "group", "aria-labelledby": promptId, "aria-describedby": describedBy });
      (step.options || []).forEach(function (o, i) {
        var input = h("input", { type: "checkbox", value: o.value, checked: chosen.indexOf(o.value) >= 0,
          "data-autofocus": i === 0 ? "" : null });
        inputs.push(input);
        list.appendChild(h("label", null, input, h("span", { text: o.label })));
      });
      box.appendChild(list);
      var other = null;
      if (step.allow_other) {
        var otherId = nextId("other");
        other = h("input", { type: "text", id: otherId, maxlength: "500", "aria-describedby": describedBy,
          value: chosen.filter(function (v) { return known.indexOf(v) < 0; }).join("、") });
        box.appendChild(h("label", { class: "field-label", for: otherId, text: "その他（「、」で区切って入力）" }));
        box.appendChild(other);
      }
      var collect = function () {
        var values = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
        if (other && other.value.trim()) {
          other.value.split(/[、,，\n]+/).forEach(function (w) { if (w.trim()) values.push(w.trim()); });
        }
        return values;
      };
      if (other) other.addEventListener("keydown", onEnter(collect));
      box.appendChild(h("div", { class: "row" }, button("次へ", function () { submit(collect()); }, "primary")));
      return box;
    }

    if (step.kind === "check") {
      var current = def && typeof def === "object" ? def : {};
      var noteId = nextId("note"), checkWasId = nextId("was");
      var note = h("input", { type: "text", id: noteId, maxlength: "2000", value: current.note || "",
        "aria-describedby": describedBy, "data-autofocus": "" });
      note.addEventListener("input", function () { note.removeAttribute("aria-invalid"); });
      box.appendChild(h("label", { class: "field-label", for: noteId, text: "メモ（任意。契約書の条項、未対応の理由など）" }));
      box.appendChild(note);
      box.appendChild(h("p", { class: "field-label", text: "状態を選んでください" }));
      box.appendChild(h("div", { class: "options", role: "group", "aria-labelledby": promptId, "aria-describedby": describedBy },
        (step.options || []).map(function (o) {
          var was = current.status === o.value;
          return button(o.label, function () { submit({ status: o.value, note: note.value.trim() }); },
            "option" + (was ? " was" : ""), { "data-value": o.value, "aria-describedby": was ? checkWasId : null });
        })));
      if (current.status) box.appendChild(h("p", { class: "muted", id: checkWasId, text: "太字は前回の回答です。" }));
      return box;
    }

    // number, datetime, text: one field
    var field;
    var fieldProps = { "aria-labelledby": promptId, "aria-describedby": describedBy, "data-field": "", "data-autofocus": "" };
    if (step.kind === "number") {
      field = h("input", Object.assign({ type: "text", inputmode: "numeric", autocomplete: "off", maxlength: "30",
        value: def != null && def !== "unknown" ? String(def) : "", placeholder: "例: 120" }, fieldProps));
      field.addEventListener("keydown", onEnter(function () { return field.value; }));
    } else if (step.kind === "datetime") {
      field = h("input", Object.assign({ type: "datetime-local", value: typeof def === "string" ? def.slice(0, 16) : "" }, fieldProps));
      field.addEventListener("keydown", onEnter(function () { return field.value; }));
    } else {
      field = h("textarea", Object.assign({ rows: "4", maxlength: "2000", value: typeof def === "string" ? def : "" }, fieldProps));
      field.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !isComposing(event)) {
          event.preventDefault();
          submit(field.value);
        }
      });
    }
    field.addEventListener("input", function () { field.removeAttribute("aria-invalid"); });
    box.appendChild(field);
    var row = h("div", { class: "row" }, button("次へ", function () { submit(field.value); }, "primary"));
    if (step.kind === "number" && step.allow_unknown) {
      row.appendChild(button("わからない", function () { submit("unknown"); }));
    }
    if (!step.required) {
      row.appendChild(button("スキップ", function () { submit(null); }));
    }
    box.appendChild(row);
    if (step.kind === "text") box.appendChild(h("p", { class: "muted", text: (step.required ? "" : "空欄のままでも進めます。") + MSG.privacy }));
    return box;
  }

  function renderConfirm(name, fs, body) {
    var view = fs.view;
    body.appendChild(noticeBox(fs));
    body.appendChild(h("p", { class: "muted", text: view.title }));
    body.appendChild(h("h3", { text: "回答内容の確認", tabindex: "-1", "data-autofocus": "", "data-step-id": "confirm" }));
    body.appendChild(h("p", { text: "内容を確認して「確定する」を押すと、報告書を作成します。直す場合は「戻る」で1つずつ戻れます。" }));
    var dl = h("dl", { class: "summary" });
    (view.summary || []).forEach(function (item) {
      dl.appendChild(h("dt", { text: item.prompt }));
      dl.appendChild(h("dd", { text: item.display }));
    });
    body.appendChild(dl);
    body.appendChild(errorBox(fs, nextId("err")));
    body.appendChild(h("div", { class: "row" },
      button("確定する", function () { finishFlow(name); }, "primary"),
      button("戻る", function () { goBack(name); })));
  }

  function renderReport(name, fs, body) {
    var report = fs.report;
    if (!report) {
      body.appendChild(h("p", { class: "error", role: "alert", text: fs.error || "報告書を読み込めませんでした。" }));
      body.appendChild(button("新しく始める", function () { restartFlow(name); }, "", { "data-autofocus": "" }));
      return;
    }
    body.appendChild(h("p", { class: "muted", role: "status", text: "報告書を作成しました（報告ID: " + report.id + "）。" }));
    body.appendChild(h("h3", { text: report.title, tabindex: "-1", "data-autofocus": "" }));
    if (report.case) body.appendChild(caseStatus(report.case));
    body.appendChild(h("div", { class: "row" },
      button("ダウンロード", function () { download(report); }, "primary"),
      button("新しく始める", function () { restartFlow(name); })));
    var doc = h("div", { class: "report", "aria-label": "報告書の内容" });
    var markdown = String(report.markdown || "");
    var heading = "# " + report.title + "\n";
    renderMarkdown(markdown.indexOf(heading) === 0 ? markdown.slice(heading.length) : markdown, doc);
    body.appendChild(doc);
  }

  // The office's handling of a finished incident report, on its card: status, the day it changed, and the way
  // to the 報告の状況 tab (every report of this visitor with its timeline).
  function caseStatus(c) {
    return h("div", { class: "case-status", role: "group", "aria-label": "対応状況" },
      h("p", null, "対応状況: ", h("span", { class: "status status-" + c.status, text: c.label }),
        "（" + c.updated_on + " 更新）"),
      h("div", { class: "row" }, button("報告の状況を見る", function () { selectTab(STATUS_TAB.id, true); })));
  }

  // ---------------------------------------------------------------------------------------------
  // 報告の状況: the incident reports made with this visitor's token (GET /api/reports lists only those), each with
  // the privacy office's status, the day it changed and its dated steps with the office's note for the reporter.

  function buildStatus() {
    var v = statusView;
    v.heading = h("h3", { text: "報告の状況", tabindex: "-1", "data-autofocus": "" });
    v.live = h("p", { class: "muted", role: "status" });
    v.error = h("p", { class: "error", role: "alert" });
    v.list = h("div");
    v.refresh = button("最新の状況に更新", function () { loadReports(); });
    tabPanels[STATUS_TAB.id].appendChild(h("div", { class: "scroll" }, v.heading,
      h("p", { class: "muted", text: "この画面から送った漏えい等事案の報告と、個人情報保護担当の対応状況" +
        "（受付 → 速報済 → 確報済 → 本人通知済 → 完了）です。ブラウザーのタブを閉じると表示されなくなるため、" +
        "報告IDを控えておいてください。" }),
      h("div", { class: "row" }, v.refresh), v.live, v.error, v.list));
  }

  async function loadReports() {
    var rs = state.reports, v = statusView;
    if (rs.loading) return;
    rs.loading = true;
    v.refresh.setAttribute("aria-disabled", "true");  // not disabled: a focused button keeps its focus
    tabPanels[STATUS_TAB.id].setAttribute("aria-busy", "true");
    v.live.textContent = MSG.loading;
    v.error.textContent = "";
    try {
      rs.list = await api("GET", "/api/reports");
      v.live.textContent = rs.list.length ? rs.list.length + "件の報告があります。" : "";
      updateReportCard(rs.list);
    } catch (e) {
      v.live.textContent = "";
      v.error.textContent = e.message || MSG.server;
    } finally {
      rs.loading = false;
      v.refresh.removeAttribute("aria-disabled");
      tabPanels[STATUS_TAB.id].setAttribute("aria-busy", "false");
    }
    renderReports();
  }

  function renderReports() {
    var list = state.reports.list;
    clear(statusView.list);
    if (!list) return;
    if (!list.length) {
      statusView.list.appendChild(h("p", { text: "この画面から送った事案の報告はまだありません。" +
        "報告は「" + FLOW_TABS[0].label + "」から行えます。" }));
      return;
    }
    statusView.list.appendChild(h("ul", { class: "cases", "aria-label": "報告の一覧" }, list.map(caseCard)));
  }

  function caseCard(r) {
    var c = r.case, titleId = nextId("case");
    var steps = h("ol", { class: "steps" }, c.timeline.map(function (s) {
      return h("li", null, s.on + " ", h("strong", { text: s.label }),
        s.note ? h("p", { class: "step-note", text: "担当からのメモ: " + s.note }) : null);
    }));
    return h("li", { class: "case", "aria-labelledby": titleId, "data-report-id": r.id },
      h("h4", { id: titleId, text: r.title }),
      h("p", { class: "muted", text: "報告ID: " + r.id + "・報告日: " + c.timeline[0].on }),
      h("p", null, "現在の状況: ", h("span", { class: "status status-" + c.status, text: c.label }),
        "（" + c.updated_on + " 更新）"),
      h("details", null, h("summary", { text: "経過を見る（" + c.timeline.length + "件）" }), steps));
  }

  // The finished report on the incident tab shows the status just read.
  function updateReportCard(list) {
    var fs = state.flow[FLOW_TABS[0].id];
    if (!fs || !fs.report) return;
    var found = list.filter(function (r) { return r.id === fs.report.id; })[0];
    if (!found) return;
    fs.report.case = found.case;
    renderFlow(FLOW_TABS[0].id);
  }

  function download(report) {
    var blob = new Blob([report.markdown || ""], { type: "text/markdown;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = h("a", { href: url, download: "hogo-report-" + String(report.id).replace(/[^A-Za-z0-9_-]/g, "") + ".md", hidden: true });
    shadow.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }

  // A small Markdown subset (headings, lists, quotes, tables, **bold**, `code`), built with text nodes.
  function renderMarkdown(text, target) {
    var lines = text.split(/\r?\n/);
    var list = null, listTag = "";
    var i = 0;

    function endList() { list = null; listTag = ""; }

    while (i < lines.length) {
      var line = lines[i];
      var m;
      if (!line.trim()) {
        endList();
        i += 1;
        continue;
      }
      if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        endList();
        target.appendChild(h(m[1].length === 1 ? "h4" : "h5", null, inline(m[2])));
      } else if (/^\s*\|/.test(line)) {
        endList();
        var rows = [];
        while (i < lines.length && /^\s*\|/.test(lines[i])) rows.push(lines[i++]);
        target.appendChild(table(rows));
        continue;
      } else if ((m = /^(\s*)[-*]\s+(.*)$/.exec(line)) || (m = /^(\s*)\d+[.)]\s+(.*)$/.exec(line))) {
        var tag = /^\s*\d/.test(line) ? "ol" : "ul";
        var nested = m[1].length >= 2 && list;
        var li = h("li", null, inline(m[2]));
        if (nested) {
          var parent = list.lastElementChild;
          var sub = parent.querySelector(":scope > ul, :scope > ol") || parent.appendChild(h(tag));
          sub.appendChild(li);
        } else {
          if (!list || listTag !== tag) {
            list = h(tag);
            listTag = tag;
            target.appendChild(list);
          }
          list.appendChild(li);
        }
      } else if ((m = /^>\s?(.*)$/.exec(line))) {
        endList();
        var quote = [];
        while (i < lines.length && (m = /^>\s?(.*)$/.exec(lines[i]))) {
          quote.push(m[1]);
          i += 1;
        }
        target.appendChild(h("blockquote", { text: quote.join("\n") }));
        continue;
      } else {
        endList();
        target.appendChild(h("p", null, inline(line)));
      }
      i += 1;
    }
  }

  function cells(row) {
    return row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map(function (c) { return c.trim(); });
  }

  function table(rows) {
    var body = rows.filter(function (r) { return !/^\s*\|?\s*:?-{3,}/.test(r); });
    var t = h("table");
    if (body.length) {
      t.appendChild(h("thead", null, h("tr", null, cells(body[0]).map(function (c) { return h("th", { scope: "col" }, inline(c)); }))));
      t.appendChild(h("tbody", null, body.slice(1).map(function (r) {
        return h("tr", null, cells(r).map(function (c) { return h("td", null, inline(c)); }));
      })));
    }
    return h("div", { class: "table-wrap" }, t);
  }

  function inline(text) {
    var out = [];
    var re = /\*\*([^*]+)\*\*|`([^`]+)`/g;
    var last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) out.push(text.slice(last, m.index));
      out.push(m[1] != null ? h("strong", { text: m[1] }) : h("code", { text: m[2] }));
      last = re.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // start

  function init() {
    var saved = store.get("messages");
    state.messages = Array.isArray(saved) ? saved.filter(function (m) { return m && typeof m.role === "string"; }) : [];
    var tab = store.get("tab");
    if (tab === "ask" || tab === STATUS_TAB.id || FLOW_TABS.some(function (t) { return t.id === tab; })) state.tab = tab;
    build();
    selectTab(state.tab, false);
    if (store.get("open")) open(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
