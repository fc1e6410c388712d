// 效能报表：筛选、指标表格（可访问的 <table>）、导出链接、差评回访任务。所有文字都用 textContent 插入。
"use strict";
(function () {
  let AREAS = {}; // the areas' labels: GET /api/v1/labels, at start
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const staffMeta = document.querySelector('meta[name="staff"]');
  const readOnly = staffMeta.dataset.role === "supervisor";
  let myAreas = [];
  const form = document.getElementById("report-filter");
  const $ = (sel, root) => (root || document).querySelector(sel);

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function emptyRow(body, text, span) {
    const row = el("tr"); const cell = el("td", text); cell.colSpan = span; row.append(cell); body.append(row);
  }

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) { location.href = "/console/login"; }
    if (!response.ok) { throw new Error(data.detail || ("请求失败（" + response.status + "）")); }
    return data;
  }

  function params() {
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) query.set(key, value);
    return query;
  }

  function exportLink(name, format) {
    const query = name in DRILL_NAMES ? drillQuery() : params();
    query.set("report", name);
    query.set("format", format);
    const link = el("a", "导出 " + format.toUpperCase());
    link.href = "/api/v1/reports/export?" + query;
    return link;
  }

  // A link opening the list behind a figure, in the #drill section (or the follow-up list).
  function listLink(target, text, title) {
    const link = el("a", text); link.href = target.list === "follow_ups" ? "#follow-up-title" : "#drill";
    link.title = LIST_TITLES[target.list] || "查看明细";
    link.addEventListener("click", (event) => { event.preventDefault(); openList(target, title); });
    return link;
  }

  // A row's first cell opens the list behind its figures: the table's own links (from the
  // server, which knows what each figure counted), or `drill(rowIndex)` for the staff tables;
  // where every cell is a figure (the heat map), each cell opens its own (`cell_links`).
  function renderTable(name, table, drill) {
    const section = el("section", null, "report-section");
    const wrap = el("table", null, "report-table");
    wrap.append(el("caption", table.title));
    const head = el("tr");
    for (const h of table.headers) { const th = el("th", h); th.scope = "col"; head.append(th); }
    const thead = el("thead"); thead.append(head);
    const body = el("tbody");
    if (!table.rows.length) emptyRow(body, "（无数据）", table.headers.length);
    for (const [rowIndex, r] of table.rows.entries()) {
      const row = el("tr");
      const target = table.links ? table.links[rowIndex] : (drill ? drill(rowIndex) : null);
      r.forEach((value, i) => {
        const cell = el(i === 0 ? "th" : "td", value === null ? "—" : value);
        if (i === 0) cell.scope = "row";
        const cellTarget = i === 0 ? target : (table.cell_links ? table.cell_links[rowIndex][i] : null);
        if (cellTarget) cell.replaceChildren(listLink(cellTarget, value, i === 0 ? String(value) : r[0] + " " + table.headers[i]));
        row.append(cell);
      });
      body.append(row);
    }
    wrap.append(thead, body);
    const links = el("p", null, "exports");
    links.append(exportLink(name, "csv"), " ", exportLink(name, "xlsx"));
    section.append(wrap, links);
    return section;
  }

  async function load() {
    const status = $("#report-status");
    status.textContent = "加载中…";
    try {
      const query = params();
      const reports = ["/api/v1/reports/summary", "/api/v1/reports/staff", "/api/v1/reports/volume",
        "/api/v1/reports/breakdowns", "/api/v1/reports/bot-answers"];
      const [data, staff, volume, breakdowns, answers] = await Promise.all(reports.map((path) => api("GET", path + "?" + query)));
      const holder = $("#report-tables");
      holder.replaceChildren();
      for (const [name, table] of Object.entries(data.tables)) holder.append(renderTable(name, table));
      // the tickets behind a staff row, by the measure chosen in the list's own selector
      holder.append(renderTable("staff_by_area", staff.tables.staff_by_area, (i) => ({ list: "tickets", area: staff.by_area[i].key })));
      holder.append(renderTable("staff_by_member", staff.tables.staff_by_member, (i) => ({ list: "tickets", staff: staff.by_staff[i].key })));
      holder.append(renderTable("volume", volume.table));
      for (const [name, table] of Object.entries(breakdowns.tables)) holder.append(renderTable(name, table));
      for (const [name, table] of Object.entries(answers.tables)) holder.append(renderTable(name, table));
      showUncovered(data.uncovered_queues || []);
      drawCharts(data, volume, breakdowns, answers);
      const names = $("#staff-names");  // who can be chosen: those in the staff breakdown
      if (!names.children.length) for (const g of breakdowns.by_staff) { const o = el("option"); o.value = g.key; names.append(o); }
      status.textContent = data.date_from + " 至 " + data.date_to + "，" + (data.areas ? data.areas.map((a) => AREAS[a] || a).join("、") : "全部领域");
    } catch (error) {
      status.textContent = error.message;
    }
    loadFollowUps();
    loadGaps();
  }

  // Queues nobody covers (as of now, whatever the dates): their tickets wait with nobody to claim them.
  function showUncovered(queues) {
    const note = $("#uncovered-queues");
    note.hidden = !queues.length;
    note.textContent = queues.length
      ? "无人负责的队列：" + queues.map((q) => q.label + "（" + q.area + "）").join("、") +
        "。没有在职的工作人员负责这些领域，转入的工单无人接单；请管理员用 python -m bot staff add 用户名 --areas 领域 指定负责人。"
      : "";
  }

  // Charts (Apache ECharts, served by the gateway); the same numbers are in the tables below.
  const charts = [];
  function chart(title) {
    const box = el("figure", null, "chart");
    const canvas = el("div", null, "chart-canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title + "（图表；数字见下方表格）");
    box.append(el("figcaption", title), canvas);
    $("#report-charts").append(box);
    const drawn = window.echarts.init(canvas);
    charts.push(drawn);
    return drawn;
  }

  function bars(title, labels, series, stacked) {
    chart(title).setOption({
      tooltip: { renderMode: "richText", trigger: "axis" },
      legend: series.length > 1 ? { top: 0 } : undefined,
      grid: { containLabel: true, left: 8, right: 8, top: series.length > 1 ? 32 : 16, bottom: 8 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map((s) => ({ type: "bar", name: s.name, data: s.data, stack: stacked ? "all" : undefined })),
    });
  }

  const LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];
  const CHANNELS = { rest: "REST 接口", widget: "网站对话窗口", telegram: "Telegram", wechat: "微信公众号", wecom: "企业微信客服" };

  function drawBreakdowns(breakdowns, answers) {
    const channels = breakdowns.by_channel.map((g) => CHANNELS[g.key] || g.key);
    bars("会话量（按渠道）", channels, [
      { name: "会话数", data: breakdowns.by_channel.map((g) => g.conversations) },
      { name: "转人工会话", data: breakdowns.by_channel.map((g) => g.handoff_conversations) },
    ]);
    bars("会话量（按领域）", breakdowns.by_area.map((g) => AREAS[g.key] || g.key), [
      { name: "会话数", data: breakdowns.by_area.map((g) => g.conversations) },
    ]);
    bars("满意度（按领域，五级好差评）", breakdowns.by_area.map((g) => AREAS[g.key] || g.key),
      LEVELS.map((name, i) => ({ name, data: breakdowns.by_area.map((g) => g.satisfaction[i]) })), true);
    bars("机器人答复（按问题类型）", answers.by_question.map((c) => c.label), [
      { name: "答复数", data: answers.by_question.map((c) => c.count) },
    ]);
  }

  function drawCharts(summary, volume, breakdowns, answers) {
    for (const old of charts.splice(0)) old.dispose();
    $("#report-charts").replaceChildren();
    if (!window.echarts) return;  // the tables carry every number
    const tooltip = { renderMode: "richText" };  // no inline HTML: the page's CSP forbids inline styles
    chart("满意度（好差评）").setOption({
      tooltip, grid: { containLabel: true, left: 8, right: 8, top: 16, bottom: 8 },
      xAxis: { type: "category", data: summary.satisfaction.map((c) => c.label) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: summary.satisfaction.map((c) => c.count), label: { show: true, position: "top" } }],
    });
    chart("市民消息量（按天）").setOption({
      tooltip: { ...tooltip, trigger: "axis" }, grid: { containLabel: true, left: 8, right: 8, top: 16, bottom: 8 },
      xAxis: { type: "category", data: volume.by_day.map((d) => d.day.slice(5)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", data: volume.by_day.map((d) => d.count) }],
    });
    const cells = [];
    volume.by_hour_of_week.forEach((hours, day) => hours.forEach((n, hour) => cells.push([hour, day, n])));
    const heat = chart("市民消息量（星期 × 小时）");
    heat.setOption({
      tooltip, grid: { containLabel: true, left: 8, right: 8, top: 16, bottom: 48 },
      xAxis: { type: "category", data: [...Array(24).keys()].map((h) => h + "时"), splitArea: { show: true } },
      yAxis: { type: "category", data: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"], inverse: true },
      visualMap: { min: 0, max: Math.max(1, ...cells.map((c) => c[2])), calculable: false, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", data: cells }],
    });
    heat.on("click", (point) => {  // a cell opens the same list as its cell in the table below
      const [hour, day] = point.value;
      const target = volume.table.cell_links[day][hour + 1];
      if (target) openList(target, volume.table.rows[day][0] + " " + volume.table.headers[hour + 1]);
    });
    drawBreakdowns(breakdowns, answers);
  }
  window.addEventListener("resize", () => { for (const c of charts) c.resize(); });

  // The list behind a figure: conversations or tickets (in the #drill section, exportable),
  // or the follow-up tasks (the section below, with the link's filter).
  const LIST_TITLES = { conversations: "查看背后的会话", tickets: "查看背后的工单", transferred: "查看转办记录", follow_ups: "查看回访任务", follow_up_tasks: "查看回访任务" };
  const DRILL_NAMES = { conversations: "会话明细", tickets: "工单明细", transferred: "转办明细", follow_up_tasks: "回访任务明细" };
  const DRILL_UNITS = { conversations: " 个会话", tickets: " 张工单", transferred: " 次转办", follow_up_tasks: " 个回访任务" };
  const DRILL_PATHS = { follow_up_tasks: "follow-up-tasks" };  // otherwise the list's own name
  let drillLink = { list: "tickets" };

  function drillQuery() {
    const query = params();
    for (const [key, value] of Object.entries(drillLink)) if (key !== "list") query.set(key, value);
    if (drillLink.list === "tickets") query.set("measure", $("#drill-measure").value);
    return query;
  }

  function openList(link, title) {
    if (link.list === "follow_ups") { loadFollowUps(link); return; }
    drillLink = link;
    if (link.list === "tickets" && link.measure) $("#drill-measure").value = link.measure;
    loadDrill(title);
  }

  async function loadDrill(title) {
    const section = $("#drill");
    section.hidden = false;
    $("#drill-measure-label").hidden = drillLink.list !== "tickets";
    const name = DRILL_NAMES[drillLink.list];
    if (title) $("#drill-title").textContent = name + "：" + title;
    try {
      const data = await api("GET", "/api/v1/reports/" + (DRILL_PATHS[drillLink.list] || drillLink.list) + "?" + drillQuery());
      const listed = data.count > data.table.rows.length ? "（列出最近的 " + data.table.rows.length + " 条）" : "";
      $("#drill-count").textContent = "共 " + data.count + DRILL_UNITS[drillLink.list] + listed;
      $("#drill-note").textContent = data.note || "";  // a figure of replies or messages: why the counts differ
      $("#drill-note").hidden = !data.note;
      $("#drill-table").replaceChildren(renderTable(drillLink.list, data.table));
      section.scrollIntoView();
    } catch (error) { $("#drill-count").textContent = error.message; }
  }

  async function loadGaps() {
    const query = params();
    for (const [id, format] of [["#gap-export", "csv"], ["#gap-export-xlsx", "xlsx"]]) {
      const link = new URLSearchParams(query); link.set("report", "gaps"); link.set("format", format);
      $(id).href = "/api/v1/reports/export?" + link;
    }
    const body = $("#gaps tbody");
    body.replaceChildren();
    let topics = [];
    try { topics = (await api("GET", "/api/v1/reports/gaps?" + query)).topics; } catch (error) { $("#report-status").textContent = error.message; }
    if (!topics.length) emptyRow(body, "（本期没有未能回答的问题）", 7);
    for (const t of topics) body.append(gapRow(t));
  }

  function gapRow(t) {
    const row = el("tr");
    const label = el("th", t.label); label.scope = "row";
    const trend = t.count > t.previous ? "↑" : (t.count < t.previous ? "↓" : "");
    const examples = el("td"); const list = el("ul", null, "notes");
    for (const e of t.examples) list.append(el("li", e.asked_at.slice(0, 10) + " " + e.text));
    examples.append(list);
    const items = el("td", t.closest_items.map((i) => i.name).join("、") || "—");
    const act = el("td");
    const said = el("span", null, "status"); said.setAttribute("role", "status");
    const draft = el("button", "转为 FAQ 草稿"); draft.type = "button";
    const out = el("button", "不属于服务范围"); out.type = "button";
    const form = el("div", null, "gap-draft"); form.hidden = true;
    const question = el("input"); question.value = t.label; question.setAttribute("aria-label", "FAQ 问题：" + t.label);
    const answer = el("textarea"); answer.placeholder = "答复（必填，交管理员审核后发布）"; answer.setAttribute("aria-label", "FAQ 答复：" + t.label);
    const save = el("button", "提交草稿"); save.type = "button";
    form.append(question, answer, save);
    draft.addEventListener("click", () => { form.hidden = !form.hidden; if (!form.hidden) answer.focus(); });
    save.addEventListener("click", async () => {
      try {
        const done = await api("POST", "/api/v1/reports/gaps/draft", { area: t.area, question: question.value.trim(), answer: answer.value.trim(), questions: t.questions });
        said.textContent = "已生成草稿 #" + done.draft.id + "，待管理员审核";
        draft.disabled = out.disabled = true; form.hidden = true;
      } catch (error) { said.textContent = error.message; }
    });
    out.addEventListener("click", async () => {
      try {
        await api("POST", "/api/v1/reports/gaps/out-of-scope", { area: t.area, questions: t.questions });
        said.textContent = "已标记为不属于服务范围";
        draft.disabled = out.disabled = true;
      } catch (error) { said.textContent = error.message; }
    });
    act.append(draft, " ", out, form, said);
    row.append(label, el("td", t.count + trend), el("td", t.previous), el("td", AREAS[t.area] || t.area), examples, items, act);
    return row;
  }

  let followUpStatus = "";
  async function loadFollowUps(link) {
    if (link) {
      followUpStatus = link.status || "";
      $("#overdue-only").checked = link.overdue === "true";
      $("#period-only").checked = false;  // the figures behind these links are as of today
      $("#follow-up-filter").textContent = followUpStatus ? "（只列未办结的任务）" : "";
      $("#follow-up-title").scrollIntoView();
    }
    const query = new URLSearchParams();
    const chosen = new FormData(form);  // the area and staff member always; the dates when asked:
    for (const key of ["area", "staff"]) if (chosen.get(key)) query.set(key, chosen.get(key));
    if ($("#period-only").checked) for (const key of ["from", "to"]) query.set(key, chosen.get(key));  // an old open task stays in view otherwise
    if ($("#overdue-only").checked) query.set("overdue", "true");
    if (followUpStatus) query.set("status", followUpStatus);
    const body = $("#follow-ups tbody");
    body.replaceChildren();
    let tasks = [];
    try { tasks = (await api("GET", "/api/v1/follow-ups?" + query)).follow_ups; } catch (error) { $("#report-status").textContent = error.message; }
    if (!tasks.length) emptyRow(body, "（没有回访任务）", 8);
    for (const t of tasks) body.append(taskRow(t));
  }

  function taskRow(t) {
    const row = el("tr", null, t.overdue ? "overdue" : "");
    const id = el("th", "#" + t.id); id.scope = "row";
    const due = el("td", t.due_on + (t.overdue ? "（超期）" : ""));
    const notes = el("td");
    const list = el("ol", null, "notes");
    for (const n of t.notes) list.append(el("li", n.at.slice(0, 16).replace("T", " ") + " " + n.staff + "：" + n.note));
    notes.append(list);
    const next = el("td");
    if (!readOnly && t.next_statuses.length) {
      const choice = el("select"); choice.setAttribute("aria-label", "任务 " + t.id + " 的下一步");
      for (const s of t.next_statuses) { const o = el("option", s.label); o.value = s.status; choice.append(o); }
      const note = el("input"); note.placeholder = "处理说明（必填）"; note.setAttribute("aria-label", "任务 " + t.id + " 的处理说明");
      const save = el("button", "保存"); save.type = "button";
      const said = el("span", null, "status"); said.setAttribute("role", "status");
      save.addEventListener("click", async () => {
        try {
          await api("POST", "/api/v1/follow-ups/" + t.id + "/advance", { status: choice.value, note: note.value.trim() });
          loadFollowUps();
        } catch (error) { said.textContent = error.message; }
      });
      next.append(choice, note, save, said);
    } else {
      next.textContent = t.next_statuses.length ? "（只读）" : "已办结";
    }
    const second = t.second_score ? "；追评 " + t.second_score + " 分" : "";
    row.append(id, el("td", t.case_number || "—"), el("td", AREAS[t.area] || t.area), el("td", t.score + " 分" + second), el("td", t.status_label), due, notes, next);
    return row;
  }

  async function start() {
    AREAS = (await api("GET", "/api/v1/labels")).areas;
    myAreas = staffMeta.dataset.areas ? staffMeta.dataset.areas.split(",") : Object.keys(AREAS);
    // The date inputs arrive filled by the gateway: the last 30 days up to *its* today (the
    // figures are counted by day in its timezone; the browser's clock may be a day behind).
    for (const area of myAreas) { const o = el("option", AREAS[area] || area); o.value = area; form.elements.area.append(o); }
    form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
    $("#overdue-only").addEventListener("change", () => loadFollowUps());
    $("#period-only").addEventListener("change", () => loadFollowUps());
    $("#drill-measure").addEventListener("change", () => loadDrill());
    $("#follow-up-all").addEventListener("click", () => loadFollowUps({}));
    load();
  }
  start();
})();
