// Administration pages: the agent field of a user form is shown only for the agent role.
"use strict";

(() => {
  function syncAgentField(form) {
    const role = form.querySelector("[data-role-select]");
    const field = form.querySelector("[data-agent-field]");
    if (!role || !field) return;
    field.hidden = role.value !== "agent";
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const role of document.querySelectorAll("[data-role-select]")) {
      const form = role.closest("form");
      syncAgentField(form);
      role.addEventListener("change", () => syncAgentField(form));
    }
  });
})();
