/*
 * 政务咨询助手 · 市民网页聊天组件（widget.js）
 *
 * 一个自包含的脚本：无依赖、无构建步骤、不引用任何外部资源。嵌入方式：
 *   <script src="https://网关/widget.js" data-gateway="https://网关"
 *           data-title="示例区政务咨询" data-color="#b3261e" defer></script>
 * data-gateway 省略时取脚本自身地址的源（origin）。
 *
 * 界面放在开放模式的 Shadow DOM 里，样式与宿主页面互不影响。传输优先用 WebSocket
 * （/api/v1/chat/{sender}/ws，断线指数退避重连 1→15 秒），连不上时改用 REST
 * （POST /api/v1/chat，并每 3 秒轮询 /messages?after=…）。页面刷新后用
 * /messages?after=0&history=true 重建聊天记录。每个请求都带 channel=widget（POST 的正文、
 * 读取消息和 WebSocket 的查询参数），网关把这些会话记为「网站对话窗口」渠道。
 * 会话凭证：开启会话的那次回复带有 conversation_token，与 sender id 一起存在 localStorage；
 * 读取消息时放在 X-Conversation-Token 请求头，WebSocket 用 ?token=。没有凭证的旧会话
 * 或被网关拒绝的凭证（401/403、关闭码 4401/4403）：忘掉旧身份，下一条消息开启新会话。
 *
 * 安全：消息文字一律用 textContent / DOM 接口插入，从不使用 innerHTML 一类接口；
 * 链接只接受 http/https。全局只暴露 window.ZhengwuWidget = {open(), close()}。
 */
(() => {
  "use strict";

  if (window.ZhengwuWidget) return; // 页面重复引入时只运行一次

  const SCRIPT = document.currentScript;
  const MAX_CHARS = 1000;
  const REPLY_TIMEOUT_MS = 30000;
  const POLL_MS = 3000;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 15000;
  const SOCKET_WAIT_MS = 3000;
  const HISTORY_PAGE = 200; // 网关每次最多返回的条数
  const STORAGE_KEY = "zw-widget-sender";
  const TOKEN_KEY = "zw-widget-token";
  const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
  const SENDER_PATTERN = /^[A-Za-z0-9_.:@-]+$/;
  const DEFAULT_COLOR = "#b3261e";
  const ROLES = ["citizen", "bot", "staff", "system"];
  // 网关把挂件的会话记为 widget 渠道（而非直接调用接口的 rest）：每个请求都带上
  const CHANNEL = "widget";

  const TEXT = {
    greeting: "您好！我是示例区政务咨询助手，可以问我办事要带什么材料、多少钱、在哪里办。",
    launcher: "打开政务咨询",
    launcherCaption: "在线咨询",
    close: "关闭",
    input: "输入您的问题",
    placeholder: "请输入您的问题",
    send: "发送",
    typing: "正在输入…",
    staff: "工作人员",
    srBot: "智能助手：",
    srCitizen: "我：",
    srSystem: "系统提示：",
    buttons: "可选项",
    log: "对话记录",
    claimed: "工作人员已接入",
    tooLong: (n) => `内容过长：最多 ${MAX_CHARS} 个字符，当前 ${n} 个，请精简后再发送。`,
    timeout: "等待回复超时，请稍后再试；急事请拨打 12345 政务服务便民热线。",
    network: "网络连接失败，请检查网络后再试；急事请拨打 12345 政务服务便民热线。",
    failed: (status) => `发送失败（错误 ${status}），请稍后再试；急事请拨打 12345 政务服务便民热线。`,
    generic: "服务暂时不可用，请稍后再试；急事请拨打 12345 政务服务便民热线。",
  };

  // ---------------------------------------------------------------- 配置与身份
  const config = readConfig(SCRIPT);

  function readConfig(script) {
    const attributes = (script && script.dataset) || {}; // data-gateway、data-title、data-color
    let gateway = location.origin;
    try {
      if (script && script.src) gateway = new URL(script.src, location.href).origin;
    } catch (_) {
      /* 保持默认 */
    }
    if (attributes.gateway) {
      try {
        const url = new URL(attributes.gateway, location.href);
        if (url.protocol === "http:" || url.protocol === "https:") {
          gateway = (url.origin + url.pathname).replace(/\/+$/, "");
        }
      } catch (_) {
        /* 地址无效时沿用默认 */
      }
    }
    const title = (attributes.title || "").trim() || "政务咨询";
    const wanted = (attributes.color || "").trim();
    const color = wanted && window.CSS && CSS.supports("color", wanted) ? wanted : DEFAULT_COLOR;
    return { gateway, title, color };
  }

  function validSender(id) {
    return typeof id === "string" && id.length > 0 && id.length <= 128 && SENDER_PATTERN.test(id);
  }

  /** 上次的会话（sender id 及其凭证）；没有凭证的旧会话不再沿用（读不到它的记录）。 */
  function storedSender() {
    try {
      const id = localStorage.getItem(STORAGE_KEY);
      const token = localStorage.getItem(TOKEN_KEY);
      if (validSender(id) && token && TOKEN_PATTERN.test(token)) {
        state.token = token;
        return id;
      }
      if (id) forgetStored();
      return null;
    } catch (_) {
      return null; // 浏览器禁用了存储
    }
  }

  function forgetStored() {
    try {
      localStorage.removeItem(STORAGE_KEY);
      localStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      /* 无存储可清 */
    }
  }

  function keepToken(token) {
    if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return;
    state.token = token;
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (_) {
      /* 只在本页有效 */
    }
  }

  /** 网关不认这个会话的凭证：换一个新身份，下一条消息开启新会话（不显示错误页）。 */
  function startOver() {
    forgetStored();
    state.sender = null;
    state.token = null;
    state.hasConversation = false;
    stopPolling();
  }

  function tokenHeaders() {
    return state.token ? { "X-Conversation-Token": state.token } : {};
  }

  function randomHex(bytes) {
    const buffer = new Uint8Array(bytes);
    if (window.crypto && crypto.getRandomValues) {
      crypto.getRandomValues(buffer);
    } else {
      for (let i = 0; i < bytes; i++) buffer[i] = Math.floor(Math.random() * 256);
    }
    return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function senderId() {
    if (state.sender) return state.sender;
    let id = storedSender();
    if (!id) {
      id = "w-" + randomHex(16);
      state.token = null;
      try {
        localStorage.removeItem(TOKEN_KEY);
        localStorage.setItem(STORAGE_KEY, id);
      } catch (_) {
        /* 只在本页有效 */
      }
    }
    state.sender = id;
    return id;
  }

  function apiUrl(path) {
    return config.gateway + path;
  }

  function senderPath() {
    return "/api/v1/chat/" + encodeURIComponent(senderId());
  }

  // ---------------------------------------------------------------- 状态
  const state = {
    sender: null,
    token: null, // 会话凭证（conversation_token）
    ready: null, // 历史记录加载完成的 Promise
    hasConversation: false,
    lastId: 0,
    seen: new Set(),
    buttonsOf: new Map(), // 消息 id → 该消息的按钮元素
    payloadTitle: new Map(), // 按钮 payload → 标题
    payloadOwner: new Map(), // 按钮 payload → 最近一条带该按钮的消息 id
    ws: null,
    wsOpen: false,
    backoff: BACKOFF_MIN_MS,
    reconnectTimer: 0,
    pollTimer: 0,
    polling: false,
    pending: null, // {timer, viaSocket, uncertain}
    isOpen: false,
    wantOpen: false,
    unread: 0,
    statusId: 0, // 决定状态行的最后一条消息 id
    statusKind: null,
  };

  let ui = null;

  // ---------------------------------------------------------------- DOM 工具
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute(
      "d",
      "M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-7l-5 4v-4H5a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3zm2 6.5a1.5 1.5 0 1 0 " +
        "0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"
    );
    svg.appendChild(path);
    return svg;
  }

  const CSS_TEXT = `
:host { all: initial !important; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.root {
  font-family: system-ui, -apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Noto Sans CJK SC", "Source Han Sans SC", sans-serif;
  font-size: 15px; line-height: 1.6; color: #1f1f1f; text-align: left;
  -webkit-font-smoothing: antialiased;
}
button, textarea { font: inherit; color: inherit; margin: 0; }
.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px; height: 56px; padding: 0 20px 0 16px;
  border: 0; border-radius: 28px; background: var(--zw-color); color: #fff; cursor: pointer;
  font-size: 16px; font-weight: 600; letter-spacing: .5px; box-shadow: 0 6px 20px rgba(0,0,0,.25);
}
.launcher:hover { filter: brightness(1.08); }
.launcher svg { width: 26px; height: 26px; fill: currentColor; flex: none; }
.badge {
  position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; background: #fff; color: var(--zw-color); font-size: 12px; font-weight: 700;
  line-height: 22px; text-align: center; box-shadow: 0 0 0 2px var(--zw-color);
}
button:focus-visible, textarea:focus-visible, a:focus-visible {
  outline: 3px solid #1a73e8; outline-offset: 2px;
}
.panel {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483001;
  width: 380px; max-width: calc(100vw - 40px); height: 620px; max-height: calc(100vh - 40px);
  display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border-radius: 12px; box-shadow: 0 12px 40px rgba(0,0,0,.28);
}
@media (prefers-reduced-motion: no-preference) {
  .panel { animation: zw-in .18s ease-out; }
  @keyframes zw-in { from { opacity: 0; transform: translateY(12px); } to { opacity: 1; transform: none; } }
}
.header {
  display: flex; align-items: center; gap: 8px; flex: none;
  padding: 10px 8px 10px 16px; background: var(--zw-color); color: #fff;
}
.header svg { width: 22px; height: 22px; fill: currentColor; flex: none; }
.title {
  flex: 1; margin: 0; font-size: 16px; font-weight: 600; line-height: 1.4;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
.close {
  width: 40px; height: 40px; flex: none; border: 0; border-radius: 50%;
  background: transparent; color: #fff; font-size: 26px; line-height: 1; cursor: pointer;
}
.close:hover { background: rgba(255,255,255,.2); }
.status {
  flex: none; padding: 8px 16px; font-size: 13px; line-height: 1.5;
  background: #fff4e5; color: #6b4100; border-bottom: 1px solid #f1d6a8;
}
.status.claimed { background: #e8f3ec; color: #1e5b34; border-bottom-color: #b9dcc5; }
.log {
  flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
  display: flex; flex-direction: column; gap: 10px; padding: 14px 12px; background: #f4f5f7;
}
.msg { display: flex; flex-direction: column; align-items: flex-start; flex: none; }
.msg.citizen { align-items: flex-end; }
.msg.system { align-items: center; }
.bubble {
  max-width: 88%; padding: 9px 12px; border-radius: 12px; background: #fff;
  border: 1px solid #e2e4e8; overflow-wrap: anywhere; word-break: break-word;
}
.msg.bot .bubble { border-bottom-left-radius: 4px; }
.msg.citizen .bubble {
  background: var(--zw-color); color: #fff; border-color: transparent;
  border-bottom-right-radius: 4px; white-space: pre-wrap;
}
.msg.staff .bubble { background: #eaf3ff; border-color: #b9d5f5; border-left: 4px solid #1a5fb4; }
.who { margin: 0 0 3px 4px; font-size: 12px; font-weight: 600; color: #1a5fb4; }
.note {
  max-width: 92%; padding: 5px 12px; border-radius: 10px; background: #e8e9ed; color: #50545a;
  font-size: 13px; text-align: center; white-space: pre-wrap; overflow-wrap: anywhere;
}
.note.error { background: #fdecea; color: #a50e0e; }
.text p { margin: 0; white-space: pre-wrap; }
.text p.blank { height: .6em; }
.text ol { margin: 4px 0; padding-left: 1.7em; }
.text li { margin: 2px 0; padding-left: 2px; white-space: pre-wrap; }
.text a { color: #1a5fb4; text-decoration: underline; word-break: break-all; }
.msg.citizen .text a { color: #fff; }
.buttons { display: flex; flex-wrap: wrap; gap: 6px; max-width: 92%; margin-top: 6px; }
.buttons button {
  padding: 5px 12px; border: 1px solid var(--zw-color); border-radius: 16px;
  background: #fff; color: var(--zw-color); font-size: 14px; line-height: 1.5; cursor: pointer; text-align: left;
}
.buttons button:hover:not(:disabled) { box-shadow: inset 0 0 0 1px var(--zw-color); }
.buttons button:disabled { opacity: .5; cursor: default; }
.typing { flex: none; background: #f4f5f7; }
.typing-text { display: block; padding: 2px 16px 6px; font-size: 13px; color: #5f6368; }
.composer {
  flex: none; display: flex; align-items: flex-end; gap: 8px;
  padding: 10px 12px 12px; border-top: 1px solid #e2e4e8; background: #fff;
}
.field { flex: 1; min-width: 0; display: flex; flex-direction: column; }
textarea {
  display: block; width: 100%; min-height: 42px; max-height: 120px; padding: 9px 10px; resize: none;
  border: 1px solid #c6c9cf; border-radius: 8px; background: #fff; line-height: 1.5;
}
textarea:focus { border-color: var(--zw-color); }
.counter { margin-top: 2px; font-size: 11px; line-height: 1.4; color: #80868b; text-align: right; }
.counter.over { color: #a50e0e; font-weight: 700; }
.send {
  flex: none; height: 42px; margin-bottom: 18px; padding: 0 18px; border: 0; border-radius: 8px;
  background: var(--zw-color); color: #fff; font-weight: 600; cursor: pointer;
}
.send:disabled { opacity: .5; cursor: default; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
@media (max-width: 480px) {
  .panel {
    top: 0; right: 0; bottom: 0; left: 0; width: 100%; max-width: none;
    height: 100%; max-height: none; border-radius: 0;
  }
  .launcher { right: 14px; bottom: 14px; }
  textarea { font-size: 16px; }
}
`;

  // ---------------------------------------------------------------- 界面
  function buildUi() {
    const host = document.createElement("zhengwu-widget");
    host.setAttribute("data-zw-widget", "");
    const shadow = host.attachShadow({ mode: "open" });

    const style = document.createElement("style");
    style.textContent = CSS_TEXT;
    const root = el("div", "root");
    root.style.setProperty("--zw-color", config.color);

    const launcher = el("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", TEXT.launcher);
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.setAttribute("aria-expanded", "false");
    const badge = el("span", "badge");
    badge.hidden = true;
    badge.setAttribute("aria-hidden", "true");
    launcher.append(svgIcon(), el("span", "caption", TEXT.launcherCaption), badge);

    const panel = el("div", "panel");
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", config.title);

    const header = el("div", "header");
    const title = el("h2", "title", config.title);
    const closeButton = el("button", "close", "×");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", TEXT.close);
    header.append(svgIcon(), title, closeButton);

    const status = el("div", "status");
    status.hidden = true;
    status.setAttribute("role", "status");

    const log = el("div", "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", TEXT.log);
    log.tabIndex = 0; // 键盘用户可以滚动聊天记录
    const greeting = el("div", "msg bot greeting");
    greeting.append(el("span", "sr-only", TEXT.srBot));
    const greetingBubble = el("div", "bubble");
    greetingBubble.append(el("div", "text", TEXT.greeting));
    greeting.append(greetingBubble);
    log.append(greeting);

    const typing = el("div", "typing");
    typing.setAttribute("aria-live", "polite");
    const typingText = el("span", "typing-text", TEXT.typing);
    typingText.hidden = true;
    typing.append(typingText);

    const composer = el("div", "composer");
    const field = el("div", "field");
    const input = el("textarea", "input");
    input.rows = 1;
    input.setAttribute("aria-label", TEXT.input);
    input.placeholder = TEXT.placeholder;
    input.setAttribute("enterkeyhint", "send");
    const counter = el("div", "counter", `0/${MAX_CHARS}`);
    counter.id = "zw-counter";
    input.setAttribute("aria-describedby", counter.id);
    field.append(input, counter);
    const sendButton = el("button", "send", TEXT.send);
    sendButton.type = "button";
    sendButton.setAttribute("aria-label", TEXT.send);
    composer.append(field, sendButton);

    panel.append(header, status, log, typing, composer);
    root.append(launcher, panel);
    shadow.append(style, root);
    document.body.appendChild(host);

    launcher.addEventListener("click", () => open());
    closeButton.addEventListener("click", () => close());
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault(); // Enter 发送；Shift+Enter 换行；输入法选字时的 Enter 不发送
      sendFromInput();
    });
    input.addEventListener("input", () => {
      updateCounter();
      autoGrow();
    });
    sendButton.addEventListener("click", () => {
      sendFromInput();
      input.focus();
    });

    return { host, shadow, launcher, badge, panel, status, log, typing, typingText, input, counter, sendButton };
  }

  function charCount(text) {
    return Array.from(text).length; // 按字符（码点）计数，与网关一致
  }

  function updateCounter() {
    const n = charCount(ui.input.value);
    ui.counter.textContent = `${n}/${MAX_CHARS}`;
    ui.counter.classList.toggle("over", n > MAX_CHARS);
  }

  function autoGrow() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + "px";
  }

  function scrollToBottom() {
    if (ui) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function updateBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
  }

  function open() {
    if (!ui) {
      state.wantOpen = true;
      return;
    }
    if (!state.isOpen) {
      state.isOpen = true;
      ui.panel.hidden = false;
      ui.launcher.hidden = true;
      ui.launcher.setAttribute("aria-expanded", "true");
      state.unread = 0;
      updateBadge();
      start();
      if (state.hasConversation) ensureSocket();
      scrollToBottom();
    }
    ui.input.focus();
  }

  function close() {
    if (!ui) {
      state.wantOpen = false;
      return;
    }
    if (!state.isOpen) return;
    const hadFocus = ui.shadow.activeElement !== null;
    state.isOpen = false;
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    if (hadFocus) ui.launcher.focus(); // 只在焦点原本就在组件里时归还给启动按钮
  }

  // ---------------------------------------------------------------- 文本渲染
  const NUMBERED = /^\s*(\d{1,3})(?:[.．]\s+|、\s*)(\S.*)$/;
  // 只认 ASCII 网址字符：中文标点和汉字自然成为网址的结尾
  const URL_PATTERN = /https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/gi;

  function appendLinkified(parent, text) {
    let last = 0;
    URL_PATTERN.lastIndex = 0;
    let match;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      let url = match[0];
      const trailing = /[.,;:!?)\]}'"]+$/.exec(url);
      if (trailing) url = url.slice(0, url.length - trailing[0].length);
      let href = null;
      try {
        const parsed = new URL(url);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
      } catch (_) {
        href = null;
      }
      if (!href || !url) continue;
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      const link = document.createElement("a");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = url;
      parent.appendChild(link);
      last = match.index + url.length;
      URL_PATTERN.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  /** 按行渲染：连续的编号行（“1. …”）成为 <ol>，其余每行一个段落。 */
  function renderRich(container, text) {
    let list = null;
    let expected = 0;
    for (const line of String(text).split(/\r?\n/)) {
      const numbered = NUMBERED.exec(line);
      if (numbered) {
        const number = parseInt(numbered[1], 10);
        if (!list || number !== expected) {
          list = document.createElement("ol");
          if (number !== 1) list.start = number;
          container.appendChild(list);
        }
        expected = number + 1;
        const item = document.createElement("li");
        appendLinkified(item, numbered[2]);
        list.appendChild(item);
        continue;
      }
      list = null;
      if (line.trim() === "") {
        container.appendChild(el("p", "blank"));
        continue;
      }
      const paragraph = document.createElement("p");
      appendLinkified(paragraph, line);
      container.appendChild(paragraph);
    }
  }

  function citizenNode(text) {
    const node = el("div", "msg citizen");
    node.append(el("span", "sr-only", TEXT.srCitizen));
    const bubble = el("div", "bubble");
    bubble.append(el("div", "text", text)); // 市民自己的文字：原样显示，不做任何解析
    node.append(bubble);
    return node;
  }

  function messageNode(role, text, buttons, id) {
    const node = el("div", "msg " + role);
    if (role === "system") {
      node.append(el("span", "sr-only", TEXT.srSystem));
      const note = el("div", "note");
      appendLinkified(note, text);
      node.append(note);
      return node;
    }
    node.append(role === "staff" ? el("div", "who", TEXT.staff) : el("span", "sr-only", TEXT.srBot));
    if (text) {
      const bubble = el("div", "bubble");
      const body = el("div", "text");
      renderRich(body, text);
      bubble.append(body);
      node.append(bubble);
    }
    if (buttons.length) {
      const group = el("div", "buttons");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", TEXT.buttons);
      const elements = buttons.map((button) => {
        const element = el("button", null, button.title);
        element.type = "button";
        element.addEventListener("click", () => {
          if (element.disabled) return;
          if (submit(button.payload, button.title)) disableButtons(id);
        });
        group.append(element);
        return element;
      });
      state.buttonsOf.set(id, elements);
      node.append(group);
    }
    return node;
  }

  function disableButtons(id) {
    for (const element of state.buttonsOf.get(id) || []) element.disabled = true;
  }

  function sortKey(node) {
    const key = parseFloat(node.dataset.sort);
    return Number.isNaN(key) ? -Infinity : key;
  }

  /** 按消息 id 插入（推送可能晚到或重复）。 */
  function insertSorted(node, key) {
    node.dataset.sort = String(key);
    const children = ui.log.children;
    for (let i = children.length - 1; i >= 0; i--) {
      if (sortKey(children[i]) <= key) {
        children[i].after(node);
        return;
      }
    }
    ui.log.append(node);
  }

  function appendLocal(node) {
    insertSorted(node, state.lastId + 0.5); // 排在已收到的消息之后、服务器稍后的回复之前
    scrollToBottom();
  }

  function showNote(text, isError) {
    const node = el("div", "msg system local");
    const note = el("div", isError ? "note error" : "note", text);
    node.append(note);
    appendLocal(node);
  }

  // ---------------------------------------------------------------- 人工服务状态行
  function setStatus(kind, data, id) {
    if (id !== undefined) {
      if (id < state.statusId) return; // 晚到的旧消息不回退状态
      state.statusId = id;
    }
    state.statusKind = kind;
    if (!kind) {
      ui.status.hidden = true;
      ui.status.textContent = "";
      return;
    }
    const caseNumber = data && data.case_number ? String(data.case_number) : "";
    const position = data && data.queue_position !== undefined && data.queue_position !== null
      ? String(data.queue_position)
      : "";
    let text;
    if (kind === "queued") {
      text = "人工服务排队中" + (position ? `：第 ${position} 位` : "");
      if (caseNumber) text += `（受理编号 ${caseNumber}）`;
    } else {
      text = TEXT.claimed + (caseNumber ? `（受理编号 ${caseNumber}）` : "");
    }
    ui.status.className = kind === "claimed" ? "status claimed" : "status";
    ui.status.textContent = text;
    ui.status.hidden = false;
  }

  // 消息的 data 由 bot/contracts/replies.py 定义（按 type 区分）。这里只读其中三个字段：
  // type；case_number（handoff_ack、queued、claimed、transferred、back_to_bot、closed 带有，
  // 网关还会把它加到人工服务结束后机器人的回复上）；queue_position（handoff_ack、queued、
  // transferred 带有）。tests/unit/connectors/webchat/test_widget_contract.py 核对这些名称。
  function applyData(role, data, id) {
    const type = data.type;
    if (type === "handoff_ack" || type === "queued" || type === "transferred") {
      setStatus("queued", data, id); // 转办：换到另一领域的队列重新排队
    } else if (type === "claimed") {
      setStatus("claimed", data, id);
    } else if (
      role === "bot" &&
      state.statusKind &&
      (type === "back_to_bot" || type === "closed" || data.case_number)
    ) {
      setStatus(null, null, id); // 工作人员处理完毕，回到智能助手
    }
  }

  function applyState(conversationState) {
    if (conversationState === "bot" || conversationState === "closed") {
      if (state.statusKind) setStatus(null, null);
    } else if (conversationState === "human" && state.statusKind !== "claimed") {
      setStatus("claimed", null);
    } else if (conversationState === "queued" && !state.statusKind) {
      setStatus("queued", null);
    }
  }

  // ---------------------------------------------------------------- 消息处理
  function normalise(message) {
    if (!message || typeof message !== "object" || !Number.isInteger(message.id)) return null;
    const buttons = Array.isArray(message.buttons)
      ? message.buttons.filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
      : [];
    return {
      id: message.id,
      role: ROLES.includes(message.role) ? message.role : "bot",
      text: typeof message.text === "string" ? message.text : "",
      buttons,
      data: message.data && typeof message.data === "object" ? message.data : {},
    };
  }

  /** 渲染一批消息；返回新增的非市民消息数。 */
  function addMessages(list, options) {
    const fromHistory = Boolean(options && options.history);
    const messages = (Array.isArray(list) ? list : [])
      .map(normalise)
      .filter((m) => m !== null && !state.seen.has(m.id))
      .sort((a, b) => a.id - b.id);
    let fresh = 0;
    for (const message of messages) {
      state.seen.add(message.id);
      state.lastId = Math.max(state.lastId, message.id);
      state.hasConversation = true;
      let node = null;
      if (message.role === "citizen") {
        const title = state.payloadTitle.get(message.text);
        node = citizenNode(title !== undefined ? title : message.text);
        if (title !== undefined) disableButtons(state.payloadOwner.get(message.text));
      } else if (message.text || message.buttons.length) {
        node = messageNode(message.role, message.text, message.buttons, message.id);
      }
      if (node) {
        node.dataset.id = String(message.id);
        insertSorted(node, message.id);
      }
      for (const button of message.buttons) {
        state.payloadTitle.set(button.payload, button.title);
        state.payloadOwner.set(button.payload, message.id);
      }
      applyData(message.role, message.data, message.id);
      if (message.role !== "citizen") fresh++;
    }
    if (fresh && !fromHistory && !state.isOpen) {
      state.unread += fresh;
      updateBadge();
    }
    if (messages.length) scrollToBottom();
    return fresh;
  }

  function handleReply(body) {
    if (!body || typeof body !== "object") return;
    keepToken(body.conversation_token);
    addMessages(body.messages);
    if (typeof body.state === "string") applyState(body.state);
  }

  function detailOf(body) {
    return body && typeof body.detail === "string" && body.detail ? body.detail : null;
  }

  // ---------------------------------------------------------------- 等待回复
  function beginPending() {
    const pending = { timer: 0, viaSocket: false, uncertain: false };
    pending.timer = setTimeout(() => {
      if (state.pending !== pending) return;
      endPending();
      showNote(TEXT.timeout, true); // 迟到的回复到达时照常显示
    }, REPLY_TIMEOUT_MS);
    state.pending = pending;
    ui.typingText.hidden = false;
    ui.sendButton.disabled = true;
    scrollToBottom();
    return pending;
  }

  function endPending(expected) {
    const pending = state.pending;
    if (!pending || (expected && expected !== pending)) return;
    clearTimeout(pending.timer);
    state.pending = null;
    ui.typingText.hidden = true;
    ui.sendButton.disabled = false;
    if (state.wsOpen) stopPolling();
  }

  // ---------------------------------------------------------------- 发送
  function sendFromInput() {
    if (submit(ui.input.value)) {
      ui.input.value = "";
      updateCounter();
      autoGrow();
    }
  }

  /** 校验并开始发送；返回是否已受理（空内容、超长、正在等待回复时返回 false）。 */
  function submit(raw, display) {
    const text = String(raw).trim();
    if (!text) return false;
    const length = charCount(text);
    if (length > MAX_CHARS) {
      showNote(TEXT.tooLong(length), true);
      return false;
    }
    if (state.pending) return false; // 防止重复发送
    const pending = beginPending();
    deliver(text, display === undefined ? text : display, pending);
    return true;
  }

  async function deliver(text, display, pending) {
    start();
    try {
      await state.ready;
    } catch (_) {
      /* 历史记录加载失败不影响发送 */
    }
    appendLocal(citizenNode(display));
    const socket = await socketForSending();
    if (state.pending !== pending) return; // 已超时
    if (socket) {
      try {
        socket.send(JSON.stringify({ text }));
        pending.viaSocket = true;
        state.hasConversation = true;
        return;
      } catch (_) {
        /* 改用 REST */
      }
    }
    try {
      const response = await fetch(apiUrl("/api/v1/chat"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({ sender_id: senderId(), text, channel: CHANNEL }),
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        state.hasConversation = true;
        endPending(pending);
        handleReply(body);
        ensureSocket();
      } else {
        endPending(pending);
        showNote(detailOf(body) || TEXT.failed(response.status), true);
      }
    } catch (_) {
      endPending(pending);
      showNote(TEXT.network, true);
    }
  }

  /** 已连接的 WebSocket；正在连接时最多等 3 秒；连不上返回 null（走 REST）。 */
  function socketForSending() {
    ensureSocket();
    const ws = state.ws;
    if (!ws) return Promise.resolve(null);
    if (ws.readyState === 1) return Promise.resolve(ws);
    if (ws.readyState !== 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (value) => {
        clearTimeout(timer);
        ws.removeEventListener("open", onOpen);
        ws.removeEventListener("close", onClose);
        resolve(value);
      };
      const onOpen = () => done(ws);
      const onClose = () => done(null);
      const timer = setTimeout(() => done(null), SOCKET_WAIT_MS);
      ws.addEventListener("open", onOpen);
      ws.addEventListener("close", onClose);
    });
  }

  // ---------------------------------------------------------------- 连接
  function start() {
    if (!state.ready) state.ready = loadHistory();
    return state.ready;
  }

  async function loadHistory() {
    const id = storedSender();
    if (!id) return; // 新访客：没有历史
    state.sender = id;
    let after = 0;
    let conversationState = null;
    try {
      for (let page = 0; page < 50; page++) {
        const response = await fetch(
          apiUrl(`${senderPath()}/messages?after=${after}&history=true&channel=${CHANNEL}`),
          { cache: "no-store", credentials: "omit", headers: tokenHeaders() }
        );
        if (response.status === 404) break; // 还没有会话
        if (response.status === 401 || response.status === 403) {
          startOver();
          return;
        }
        if (!response.ok) break;
        const body = await response.json();
        const messages = Array.isArray(body.messages) ? body.messages : [];
        conversationState = typeof body.state === "string" ? body.state : conversationState;
        state.hasConversation = true;
        addMessages(messages, { history: true });
        if (messages.length < HISTORY_PAGE) break;
        after = state.lastId;
      }
    } catch (_) {
      /* 网络问题：不显示历史，照常使用 */
    }
    if (conversationState) applyState(conversationState);
    // 正在等人工时即使面板关着也保持连接，工作人员的回复能立即收到（启动按钮显示未读数）
    if (state.isOpen || conversationState === "queued" || conversationState === "human") {
      if (state.hasConversation) ensureSocket();
    }
  }

  function ensureSocket() {
    if (state.ws || state.reconnectTimer) return;
    if (typeof WebSocket !== "function") {
      startPolling();
      return;
    }
    connect();
  }

  function socketUrl() {
    const url = new URL(apiUrl(`${senderPath()}/ws`), location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("after", String(state.lastId));
    url.searchParams.set("channel", CHANNEL);
    if (state.token) url.searchParams.set("token", state.token);
    return url.href;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (_) {
      startPolling();
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.addEventListener("open", () => {
      if (state.ws !== ws) return;
      state.wsOpen = true;
      state.hasConversation = true;
      state.backoff = BACKOFF_MIN_MS;
      // 断线时正在等的回复可能在重连之后才存好（不会推送）：轮询到它到达为止
      if (!(state.pending && state.pending.uncertain)) stopPolling();
    });
    ws.addEventListener("message", (event) => {
      if (state.ws === ws) onSocketEvent(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      state.wsOpen = false;
      if (state.pending && state.pending.viaSocket) state.pending.uncertain = true;
      startPolling(); // 断线期间用 REST 轮询
      if (event.code === 4422) return; // 网关拒绝了该 sender_id，重连也没用
      if (event.code === 4401 || event.code === 4403) {
        startOver(); // 凭证不被接受：下一条消息开启新会话
        return;
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (state.reconnectTimer) return;
    const delay = state.backoff;
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    const jitter = delay * (0.85 + Math.random() * 0.15);
    state.reconnectTimer = setTimeout(connect, jitter);
  }

  function onSocketEvent(raw) {
    let event;
    try {
      event = JSON.parse(raw);
    } catch (_) {
      return;
    }
    if (!event || typeof event !== "object") return;
    if (event.type === "reply") {
      endPending();
      handleReply(event);
    } else if (event.type === "message") {
      const fresh = addMessages([event.message]);
      // 断线重连后补回的回复：结束等待
      if (fresh && state.pending && state.pending.uncertain) endPending();
    } else if (event.type === "error") {
      endPending();
      showNote(detailOf(event) || TEXT.generic, true);
    }
  }

  function startPolling() {
    if (state.pollTimer) return;
    state.pollTimer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = 0;
  }

  async function poll() {
    if (state.polling || !state.sender) return;
    state.polling = true;
    try {
      const response = await fetch(apiUrl(`${senderPath()}/messages?after=${state.lastId}&channel=${CHANNEL}`), {
        cache: "no-store",
        credentials: "omit",
        headers: tokenHeaders(),
      });
      if (response.status === 401 || response.status === 403) {
        startOver();
        return;
      }
      if (response.status === 404 || !response.ok) return; // 404：还没有会话
      const body = await response.json();
      const fresh = addMessages(body.messages);
      if (fresh && state.pending && state.pending.uncertain) endPending();
      if (typeof body.state === "string" && !state.pending) applyState(body.state);
    } catch (_) {
      /* 下次再试 */
    } finally {
      state.polling = false;
    }
  }

  // ---------------------------------------------------------------- 启动
  function init() {
    if (ui) return;
    ui = buildUi();
    if (storedSender()) start(); // 回访用户：恢复聊天记录（以及待处理的人工服务）
    if (state.wantOpen) open();
  }

  window.ZhengwuWidget = Object.freeze({ open, close });

  if (document.body) {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init, { once: true });
  }
})();
