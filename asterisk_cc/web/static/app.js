// Shared by every page: CSRF for scripted requests, live streams, and ticking timers.
// Data from the server is only ever put into the page as text (textContent), never as HTML.
"use strict";

const ACC = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf(), "Accept": "application/json"},
      body: JSON.stringify(data || {}),
      credentials: "same-origin",
    });
    let body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    if (!response.ok) {
      throw new Error(body.error || response.statusText);
    }
    return body;
  }

  // Server-sent events: handlers by event name; the browser reconnects by itself.
  function stream(url, handlers) {
    const source = new EventSource(url);
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
    }
    source.addEventListener("error", () => banner(document.documentElement.lang.startsWith("zh")
      ? "与服务器的连接中断，正在重连…" : "Connection to the dashboard lost; reconnecting…"));
    source.addEventListener("open", () => banner(null));
    return source;
  }

  function banner(text) {
    const element = document.getElementById("link-banner");
    if (!element) return;
    element.hidden = !text;
    element.textContent = text || "";
  }

  function elapsed(since, now) {
    const total = Math.max(0, Math.round((now - since) / 1000));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }

  // Elements with data-since="<ISO time>" show the time since then, every second.
  function tick() {
    const now = Date.now();
    for (const element of document.querySelectorAll("[data-since]")) {
      const since = Date.parse(element.dataset.since);
      if (!Number.isNaN(since)) element.textContent = elapsed(since, now);
    }
  }

  // Forms and buttons that ask first: data-confirm="question".
  document.addEventListener("submit", (event) => {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  return {csrf, post, stream, banner, elapsed, tick};
})();
