// The supervisor's pages: SLA timers that tick, and the agents table and the monitorings
// the supervisor may stop kept live from the server's stream. Server data is only ever put into the page as text (textContent).
"use strict";

(() => {
  const texts = () => document.getElementById("sla-texts");

  // Elements with data-deadline="<ISO time>": time left, or overdue by, every second.
  function tickDeadlines() {
    const labels = texts();
    if (!labels) return;
    const now = Date.now();
    for (const element of document.querySelectorAll("[data-deadline]")) {
      const deadline = Date.parse(element.dataset.deadline);
      if (Number.isNaN(deadline)) continue;
      const left = deadline - now;
      const template = left > 0 ? labels.dataset.left : labels.dataset.overdue;
      const time = left > 0 ? ACC.elapsed(now, deadline) : ACC.elapsed(deadline, now);
      element.textContent = template.replace("{time}", time);
      if (left <= 0) {
        element.classList.remove("good", "warn");
        element.classList.add("bad");
      }
    }
  }

  function setText(row, field, text) {
    const element = row.querySelector(`[data-field="${field}"]`);
    if (element) element.textContent = text;
    return element;
  }

  // One agent's row from the stream's state (or logged out when the agent is not in it).
  function applyAgent(row, agent, loggedOutLabel, canMonitor) {
    const state = agent ? agent.state : "logged_out";
    const badge = setText(row, "state", agent ? agent.state_label : loggedOutLabel);
    if (badge) badge.className = `badge state-${state}`;
    setText(row, "reason", agent ? agent.reason : "");
    setText(row, "call", agent ? agent.call : "");
    const since = row.querySelector('[data-field="since"]');
    if (since) {
      if (agent) {
        since.dataset.since = agent.since;
      } else {
        delete since.dataset.since;
        since.textContent = "";
      }
    }
    for (const control of row.querySelectorAll(".live-only")) {
      const monitoring = control.name === "mode";
      control.disabled = !agent || (monitoring && !canMonitor);
    }
  }

  // The monitorings the user may stop, rebuilt from the stream's list: each row a copy of
  // the page's <template>, its Stop form aimed at the session.
  function showMonitorings(section, monitorings) {
    const template = document.getElementById("monitoring-row");
    const body = section.querySelector("tbody");
    if (!template || !body) return;
    const rows = monitorings.map((monitoring) => {
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.session = monitoring.session;
      for (const field of ["agent", "mode", "supervisor", "endpoint", "status"]) {
        setText(row, field, monitoring[field]);
      }
      row.querySelector('[data-field="since"]').dataset.since = monitoring.since;
      const form = row.querySelector("form");
      form.action = form.dataset.action.replace("SESSION", encodeURIComponent(monitoring.session));
      return row;
    });
    body.replaceChildren(...rows);
    section.hidden = rows.length === 0;
  }

  function followAgents(table) {
    const meta = document.getElementById("agents-meta");
    const canMonitor = meta && meta.dataset.hasPhone === "yes";
    const monitoringSection = document.getElementById("monitorings");
    ACC.stream(table.dataset.stream, {
      agents: (data) => {
        for (const row of table.querySelectorAll("tbody tr[data-login]")) {
          const agent = Object.prototype.hasOwnProperty.call(data.agents, row.dataset.login)
            ? data.agents[row.dataset.login] : null;
          applyAgent(row, agent, data.logged_out_label, canMonitor);
        }
        if (monitoringSection && data.monitorings) showMonitorings(monitoringSection, data.monitorings);
        ACC.tick();
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    tickDeadlines();
    setInterval(tickDeadlines, 1000);
    const table = document.getElementById("agents");
    if (table && table.dataset.stream && window.EventSource) followAgents(table);
  });
})();
