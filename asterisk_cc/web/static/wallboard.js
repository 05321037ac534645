// The wallboard: follows /wallboard/stream and redraws the page from each view it sends.
// Every value from the server goes into the page as text (textContent), never as HTML.
"use strict";

(() => {
  const root = document.getElementById("wallboard");
  if (!root || !window.EventSource) return;

  const lookup = (object, path) =>
    path.split(".").reduce((value, key) => (value == null ? value : value[key]), object);

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  function sinceCell(iso, text) {
    const td = cell(text, "num");
    if (iso) td.dataset.since = iso;
    return td;
  }

  function badge(text, className) {
    const span = document.createElement("span");
    span.className = `badge ${className}`;
    span.textContent = text;
    return span;
  }

  // Replace the rows of a table body; a single muted row when there are none.
  function fillRows(tbody, rows, columns) {
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "wb-empty";
      const td = cell(tbody.dataset.empty, "muted");
      td.colSpan = columns;
      tr.append(td);
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(...rows);
  }

  function queueCard(queue) {
    const template = document.getElementById("wb-queue-template");
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.queue = queue.name;
    for (const element of card.querySelectorAll("[data-field]")) {
      const value = lookup(queue, element.dataset.field);
      element.textContent = value == null ? "" : String(value);
    }
    for (const element of card.querySelectorAll("[data-rag]")) {
      const rag = lookup(queue, element.dataset.rag);
      element.classList.remove("rag-green", "rag-amber", "rag-red");
      if (rag) element.classList.add(`rag-${rag}`);
    }
    for (const element of card.querySelectorAll("[data-since-field]")) {
      const since = lookup(queue, element.dataset.sinceField);
      if (since) element.dataset.since = since;
      else delete element.dataset.since;
    }
    card.querySelector('[data-field="waiting"]').classList.toggle("wb-busy", queue.waiting > 0);
    return card;
  }

  function renderQueues(view) {
    const section = document.getElementById("wb-queues");
    if (view.queues.length === 0) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = section.dataset.empty;
      section.replaceChildren(p);
      return;
    }
    section.replaceChildren(...view.queues.map(queueCard));
  }

  function renderCalls(view) {
    const rows = [];
    for (const queue of view.queues) {
      for (const call of queue.calls) {
        const tr = document.createElement("tr");
        tr.append(cell(queue.name), cell(call.position, "num"), cell(call.caller_text),
          sinceCell(call.entered_at, call.wait_text));
        rows.push(tr);
      }
    }
    fillRows(document.getElementById("wb-calls"), rows, 4);
  }

  function renderAgents(view) {
    const rows = view.agents.map((agent) => {
      const tr = document.createElement("tr");
      const state = document.createElement("td");
      state.append(badge(agent.state_label, `state-${agent.bucket}`));
      tr.append(cell(agent.name), cell(agent.login), state, cell(agent.reason),
        sinceCell(agent.since, agent.since_text), cell(agent.queues_text));
      return tr;
    });
    fillRows(document.getElementById("wb-agents"), rows, 6);
  }

  function renderAlerts(view) {
    const rows = view.alerts.map((alert) => {
      const tr = document.createElement("tr");
      tr.className = `wb-alert-${alert.severity}`;
      const rule = document.createElement("td");
      rule.append(badge(alert.severity_label, `wb-severity-${alert.severity}`),
        document.createTextNode(` ${alert.rule_label}`));
      tr.append(rule, cell(alert.scope_label), cell(alert.since_text), cell(alert.message));
      return tr;
    });
    fillRows(document.getElementById("wb-alerts"), rows, 4);
  }

  function renderTotals(view) {
    document.getElementById("wb-total-waiting").textContent = String(view.totals.waiting);
    for (const element of document.querySelectorAll("[data-total]")) {
      element.textContent = String(view.totals.agents[element.dataset.total]);
    }
  }

  function renderLinks(view) {
    const links = view.links;
    document.getElementById("wb-links").hidden = !links.banner;
    document.getElementById("wb-links-banner").textContent = links.banner;
    document.getElementById("wb-links-detail").textContent = links.detail;
  }

  function render(view) {
    renderLinks(view);
    renderTotals(view);
    renderQueues(view);
    renderCalls(view);
    renderAgents(view);
    renderAlerts(view);
    document.getElementById("wb-at").textContent = view.at_text;
    ACC.tick();
  }

  ACC.stream(root.dataset.stream, {wallboard: render});
})();
