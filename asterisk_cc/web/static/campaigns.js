// Campaign pages: live progress of the campaign list, and the lead upload's column names.
// Server data is put into the page as text only (textContent, attribute values).
"use strict";

(() => {
  const REFRESH_MS = 5000;

  // The list: every few seconds, the figures of the campaigns shown, from a small JSON
  // endpoint (counts aggregated by the database).
  function watchList(table) {
    const rows = new Map();
    for (const row of table.querySelectorAll("tr[data-campaign-id]")) {
      rows.set(row.dataset.campaignId, row);
    }
    if (!rows.size) return;
    const url = `${table.dataset.progressUrl}?ids=${[...rows.keys()].join(",")}`;
    const lostText = document.documentElement.lang.startsWith("zh")
      ? "无法刷新外呼活动数据，正在重试…" : "Could not refresh the campaign figures; retrying…";

    async function refresh() {
      try {
        const response = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
        if (response.status === 401) { window.location.reload(); return; }
        if (!response.ok) throw new Error(response.statusText);
        const body = await response.json();
        for (const [id, figures] of Object.entries(body.campaigns || {})) {
          const row = rows.get(id);
          if (row) show(row, figures);
        }
        ACC.banner(null);
      } catch (error) {
        ACC.banner(lostText);
      }
    }

    function show(row, figures) {
      for (const cell of row.querySelectorAll("[data-field]")) {
        const name = cell.dataset.field;
        if (!(name in figures)) continue;
        const value = figures[name];
        if (cell.tagName === "PROGRESS") {
          cell.value = value === null ? 0 : Number(value);
        } else if (name === "status_label") {
          const badge = cell.querySelector(".badge") || cell;
          badge.textContent = String(value);
          badge.className = `badge campaign-${figures.status}`;
        } else {
          cell.textContent = String(value);
        }
        if (name === "drop_rate") {
          cell.classList.remove("good", "warn", "bad");
          if (figures.drop_level) cell.classList.add(figures.drop_level);
        }
      }
    }

    setInterval(refresh, REFRESH_MS);
  }

  // The lead upload: the chosen file's header, offered as column names.
  function offerColumns(input) {
    const list = document.getElementById(input.dataset.columnsFor);
    const found = document.querySelector("[data-columns-found]");
    const names = document.querySelector("[data-columns-list]");
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file || !list) return;
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        const columns = headerColumns(String(reader.result || ""));
        list.replaceChildren(...columns.map((name) => {
          const option = document.createElement("option");
          option.value = name;
          return option;
        }));
        if (found && names) {
          names.textContent = columns.join(", ");
          found.hidden = !columns.length;
        }
      });
      reader.readAsText(file.slice(0, 65536));
    });
  }

  function headerColumns(text) {
    const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/).filter((line) => line.trim());
    let line = lines[0] || "";
    if (/^sep=.$/i.test(line.trim())) line = lines[1] || "";
    const counts = [",", ";", "\t", "|"].map((d) => [d, line.split(d).length]);
    counts.sort((a, b) => b[1] - a[1]);
    const delimiter = counts[0][1] > 1 ? counts[0][0] : ",";
    return line.split(delimiter)
      .map((cell) => cell.trim().replace(/^"(.*)"$/, "$1").trim())
      .filter((cell) => cell);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const table = document.getElementById("campaign-list");
    if (table) watchList(table);
    for (const input of document.querySelectorAll("input[data-columns-for]")) offerColumns(input);
  });
})();
