// Quality pages: more item rows on the scorecard form, the score as the evaluator scores, and
// a clear message when a recording cannot be played. Text only ever goes in as textContent.
"use strict";

(() => {
  const POINTS = {pass: 1, partial: 0.5, fail: 0};

  // Scorecard form: "Add item" copies the empty row of the <template>, numbered after the last.
  function setUpItemRows() {
    const button = document.querySelector(".qa-add-item");
    const template = document.querySelector("template.qa-item-template");
    const rows = document.querySelector(".qa-item-rows");
    if (!button || !template || !rows) return;
    button.addEventListener("click", () => {
      const next = rows.querySelectorAll("tr.qa-item-row").length + 1;
      const row = template.content.firstElementChild.cloneNode(true);
      for (const input of row.querySelectorAll("input")) {
        input.name = input.name.replace("__N__", String(next));
      }
      row.querySelector(".qa-row-number").textContent = String(next);
      rows.appendChild(row);
      row.querySelector(".qa-question").focus();
    });
  }

  // Evaluation form: the weighted score of the items scored so far (the server computes the
  // stored score itself; this is only a preview).
  function setUpPreview() {
    const form = document.querySelector("form.qa-scoring");
    const preview = form && form.querySelector(".qa-preview");
    if (!form || !preview) return;
    const update = () => {
      let weight = 0, earned = 0, scored = 0, major = false;
      const items = form.querySelectorAll(".qa-item");
      for (const item of items) {
        const chosen = item.querySelector("input[type=radio]:checked");
        if (!chosen) continue;
        const w = Number(item.dataset.weight) || 0;
        const points = POINTS[chosen.value];
        weight += w;
        earned += w * points;
        scored += 1;
        if (item.dataset.critical === "1" && points < 1) major = true;
      }
      if (!scored) { preview.textContent = ""; return; }
      const score = (100 * earned / weight).toFixed(1);
      let text = `${preview.dataset.label}: ${score} (${scored}/${items.length})`;
      if (major) text += ` · ${preview.dataset.major}`;
      preview.textContent = text;
      preview.classList.toggle("bad", major);
    };
    form.addEventListener("change", update);
    update();
  }

  function setUpPlayer() {
    const player = document.querySelector("audio.qa-player");
    const message = document.querySelector(".qa-player-error");
    if (!player || !message) return;
    player.addEventListener("error", () => {
      message.textContent = player.dataset.errorText;
      message.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpItemRows();
    setUpPreview();
    setUpPlayer();
  });
})();
