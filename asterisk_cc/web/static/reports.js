// Report pages: a report still being prepared reloads the page until it is ready.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const waiting = document.querySelector("[data-reports-refresh]");
  if (!waiting) return;
  const seconds = Number(waiting.dataset.reportsRefresh) || 3;
  window.setTimeout(() => window.location.reload(), seconds * 1000);
});
