// The supervisor's pages: SLA timers that tick, and the agents table kept live from the
// server's stream. Server data is only ever put into the page as text (textContent).
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

  function followAgents(table) {
    const meta = document.getElementById("agents-meta");
    const canMonitor = meta && meta.dataset.hasPhone === "yes";
    ACC.stream(table.dataset.stream, {
      agents: (data) => {
        for (const row of table.querySelectorAll("tbody tr[data-login]")) {
          const agent = Object.prototype.hasOwnProperty.call(data.agents, row.dataset.login)
            ? data.agents[row.dataset.login] : null;
          applyAgent(row, agent, data.logged_out_label, canMonitor);
        }
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
