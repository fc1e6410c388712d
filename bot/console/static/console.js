// 工作台：队列、工单详情、回复、接单、结束；通过 WebSocket 实时更新。所有文字都用 textContent 插入。
"use strict";
(function () {
  // Labels of areas, handoff reasons and ticket statuses: GET /api/v1/labels, at start.
  let AREAS = {};
  let REASONS = {};
  let STATUS = {};
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const staffMeta = document.querySelector('meta[name="staff"]');
  const me = staffMeta.content;
  const isAdmin = staffMeta.dataset.role === "admin";
  const readOnly = staffMeta.dataset.role === "supervisor";
  let myAreas = [];
  const $ = (sel, root) => (root || document).querySelector(sel);
  let tickets = [];
  let selected = null; // case number
  let canned = {};

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (response.status === 401) { location.href = "/console/login"; }
    if (!response.ok) { throw new Error(data.detail || ("请求失败（" + response.status + "）")); }
    return data;
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function waited(since) {
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
    if (seconds < 60) return seconds + " 秒";
    if (seconds < 3600) return Math.floor(seconds / 60) + " 分 " + (seconds % 60) + " 秒";
    return Math.floor(seconds / 3600) + " 小时 " + Math.floor((seconds % 3600) / 60) + " 分";
  }

  async function loadQueue() {
    const params = new URLSearchParams({ status: $("#status-filter").value });
    if ($("#area-filter").value) params.set("area", $("#area-filter").value);
    if ($("#search").value.trim()) params.set("q", $("#search").value.trim());
    tickets = (await api("GET", "/api/v1/tickets?" + params)).tickets;
    renderQueue();
  }

  function renderQueue() {
    const list = $("#queue");
    list.replaceChildren();
    const byArea = {};
    for (const t of tickets) {
      if (t.status === "queued") byArea[t.area] = (byArea[t.area] || 0) + 1;
      const item = el("li", null, "ticket " + t.status + (t.case_number === selected ? " selected" : ""));
      item.dataset.case = t.case_number;
      item.tabIndex = 0;
      item.setAttribute("role", "button");
      item.append(
        el("strong", t.case_number, "case"),
        el("span", AREAS[t.area] || t.area, "area"),
        el("span", REASONS[t.reason] || t.reason, "reason"),
        el("span", STATUS[t.status] + (t.claimed_by_name ? "（" + t.claimed_by_name + "）" : ""), "state"),
      );
      const wait = el("span", "", "wait");
      wait.dataset.since = t.created_at;
      item.append(wait);
      if (t.priority === 1) item.append(el("span", "优先", "priority"));
      // An open ticket's note says who answers it outside the console (企业微信), so nobody here answers twice.
      if (t.note && (t.status === "queued" || t.status === "claimed")) item.append(el("span", t.note, "note"));
      const open = () => select(t.case_number);
      item.addEventListener("click", open);
      item.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
      list.append(item);
    }
    const summary = Object.entries(byArea).map(([a, n]) => (AREAS[a] || a) + " " + n + " 人排队");
    $("#queue-summary").textContent = summary.length ? summary.join("；") : "当前没有排队的市民";
    tickWaits();
  }

  function tickWaits() {
    for (const node of document.querySelectorAll(".wait[data-since]")) node.textContent = "已等待 " + waited(node.dataset.since);
  }

  function transcriptLine(m) {
    const who = { citizen: "市民", bot: "机器人", staff: "工作人员", system: "系统" }[m.role] || m.role;
    const line = el("li", null, "msg " + m.role);
    line.dataset.id = m.id;
    // a pressed button: its title, as the citizen saw it (the payload sent to Rasa on hover)
    const text = el("span", m.button_payload ? "［按钮］" + m.text : m.text, "text");
    if (m.button_payload) text.title = m.button_payload;
    line.append(el("span", who, "who"), text);
    return line;
  }

  async function select(caseNumber) {
    selected = caseNumber;
    renderQueue();
    const t = await api("GET", "/api/v1/tickets/" + encodeURIComponent(caseNumber));
    const detail = $("#detail");
    detail.replaceChildren($("#detail-template").content.cloneNode(true));
    detail.dataset.case = caseNumber;
    $(".case", detail).textContent = t.case_number + " · " + (AREAS[t.area] || t.area) + " · " + STATUS[t.status];
    const packet = $(".packet", detail);
    const rows = [
      ["原因", REASONS[t.reason] || t.reason],
      ["事项", t.packet.service_item_name || "（未识别）"],
      ["问题类型", t.question_type || "—"],
      ["情况描述", t.packet.description || "—"],
      ["机器人最后的回答", t.packet.last_bot_answer || "—"],
      ["渠道", t.channel],
      ["排队位置", t.status === "queued" ? "第 " + t.queue_position + " 位" : "—"],
      ["处理备注", t.note || "—"],
    ];
    for (const [k, v] of rows) packet.append(el("dt", k), el("dd", v));
    const transcript = $(".transcript", detail);
    for (const m of t.messages) transcript.append(transcriptLine(m));
    transcript.scrollTop = transcript.scrollHeight;
    const cannedSelect = $(".canned", detail);
    for (const area of ["common", t.area]) {
      for (const text of canned[area] || []) { const o = el("option", text); o.value = text; cannedSelect.append(o); }
    }
    cannedSelect.addEventListener("change", () => { if (cannedSelect.value) $(".reply-text", detail).value = cannedSelect.value; });
    const mine = t.status === "claimed" && t.claimed_by_name === me;
    $(".claim", detail).disabled = t.status !== "queued";
    for (const sel of [".send", ".resolve", ".reply-text", ".faq-question"]) $(sel, detail).disabled = !mine;
    $(".close", detail).disabled = !(mine || t.status === "queued");
    $(".claim", detail).addEventListener("click", () => act(() => api("POST", path(t, "claim")), "已接单"));
    $(".send", detail).addEventListener("click", sendReply);
    $(".resolve", detail).addEventListener("click", () => act(() => api("POST", path(t, "resolve"), { note: $(".note", detail).value }), "已解决，会话已交回机器人"));
    $(".close", detail).addEventListener("click", () => act(() => api("POST", path(t, "close"), { note: $(".note", detail).value }), "会话已结束"));
    const target = $(".transfer-area", detail);
    for (const area of Object.keys(AREAS)) {
      if (area === t.area) continue;
      const o = el("option", AREAS[area]); o.value = area; target.append(o);
    }
    for (const sel of [".transfer", ".transfer-area", ".transfer-reason"]) $(sel, detail).disabled = !(mine || t.status === "queued");
    $(".transfer", detail).addEventListener("click", async () => {
      try {
        await api("POST", path(t, "transfer"), { area: target.value, reason: $(".transfer-reason", detail).value.trim() });
        selected = null; // it may now be outside this staff member's areas
        detail.replaceChildren(el("p", t.case_number + " 已转办到「" + AREAS[target.value] + "」，市民已收到通知。", "empty"));
        await loadQueue();
      } catch (error) {
        $(".status", detail).textContent = error.message;
      }
    });
    if (readOnly) { $(".actions", detail).hidden = true; $(".read-only", detail).hidden = false; }
  }

  function path(t, verb) { return "/api/v1/tickets/" + encodeURIComponent(t.case_number) + "/" + verb; }

  async function act(call, done) {
    const status = $("#detail .status");
    try {
      await call();
      await loadQueue();
      if (selected) await select(selected);
      $("#detail .status").textContent = done;
    } catch (error) {
      status.textContent = error.message;
    }
  }

  async function sendReply() {
    const detail = $("#detail");
    const text = $(".reply-text", detail).value.trim();
    if (!text) { $(".status", detail).textContent = "回复内容不能为空"; return; }
    const body = { text, faq_question: $(".faq-question", detail).value.trim() };
    try {
      const result = await api("POST", "/api/v1/tickets/" + encodeURIComponent(selected) + "/reply", body);
      $(".reply-text", detail).value = "";
      $(".faq-question", detail).value = "";
      const sent = result.notice || "已发送";
      $(".status", detail).textContent = result.faq_draft ? sent + "（并已存为 FAQ 草稿）" : sent;
    } catch (error) {
      $(".status", detail).textContent = error.message;
    }
  }

  function onEvent(event) {
    if (event.type === "ticket") { loadQueue(); return; }
    if (event.type === "message" && event.case_number === selected) {
      const transcript = $("#detail .transcript");
      if (transcript && !transcript.querySelector('[data-id="' + event.message.id + '"]')) {
        transcript.append(transcriptLine(event.message));
        transcript.scrollTop = transcript.scrollHeight;
      }
    }
  }

  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/v1/tickets/ws");
    socket.addEventListener("open", () => { retry = 1000; $("#live").textContent = "实时连接正常"; loadQueue(); });
    socket.addEventListener("message", (e) => onEvent(JSON.parse(e.data)));
    socket.addEventListener("close", () => {
      $("#live").textContent = "连接断开，正在重连…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    });
  }

  async function loadDrafts() {
    const list = $("#draft-list");
    list.replaceChildren();
    for (const d of (await api("GET", "/api/v1/kb/drafts")).drafts) {
      const item = el("li", null, "draft");
      item.append(el("strong", "【" + (AREAS[d.area] || d.area) + "】" + d.question), el("p", d.answer), el("small", "提交人：" + d.author));
      const publish = el("button", "发布到知识库", "publish");
      publish.type = "button";
      publish.addEventListener("click", async () => { await api("POST", "/api/v1/kb/drafts/" + d.id + "/publish"); loadDrafts(); });
      const reject = el("button", "不采用", "reject");
      reject.type = "button";
      reject.addEventListener("click", async () => { await api("POST", "/api/v1/kb/drafts/" + d.id + "/reject"); loadDrafts(); });
      item.append(publish, reject);
      list.append(item);
    }
  }

  async function start() {
    const labels = await api("GET", "/api/v1/labels");
    AREAS = labels.areas;
    REASONS = labels.handoff_reasons;
    STATUS = labels.ticket_statuses;
    myAreas = staffMeta.dataset.areas ? staffMeta.dataset.areas.split(",") : Object.keys(AREAS);
    for (const option of $("#status-filter").options) if (STATUS[option.value]) option.textContent = STATUS[option.value];
    for (const area of myAreas) { const o = el("option", AREAS[area] || area); o.value = area; $("#area-filter").append(o); }
    for (const sel of ["#area-filter", "#status-filter"]) $(sel).addEventListener("change", loadQueue);
    let debounce = null;
    $("#search").addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(loadQueue, 300); });
    canned = await api("GET", "/api/v1/tickets/canned");
    if (isAdmin) { $("#drafts").hidden = false; loadDrafts(); }
    setInterval(tickWaits, 1000);
    connect();
  }
  start();
})();
