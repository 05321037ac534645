// The agent desktop: follows the agent's live state and shows the screen pop of each new call.
// Everything from the server goes into the page as text (textContent, value), never as HTML.
"use strict";

(() => {
  const desk = document.getElementById("desktop");
  if (!desk) return;
  const labels = JSON.parse(desk.dataset.labels || "{}");
  const label = (code) => (code && labels[code]) || code || "";

  function el(tag, text, className) {
    const element = document.createElement(tag);
    if (text !== undefined && text !== null) element.textContent = String(text);
    if (className) element.className = className;
    return element;
  }

  // Times in the site's time zone, as the server shows them.
  function localTime(iso) {
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) return "";
    try {
      return moment.toLocaleString(document.documentElement.lang, {timeZone: desk.dataset.zone});
    } catch (e) {
      return moment.toLocaleString();
    }
  }

  // A form the agent has typed into: a reload would lose it.
  function typing() {
    return Array.from(desk.querySelectorAll("textarea, input:not([type=hidden])"))
      .some((field) => field.value !== field.defaultValue);
  }

  // --- state ------------------------------------------------------------------------------

  function showState(view) {
    desk.dataset.state = view.state;
    const badge = document.getElementById("state-badge");
    badge.textContent = label(view.state);
    badge.className = `badge state-${view.state}`;
    document.getElementById("state-reason").textContent = view.reason ? label(view.reason) : "";
    const timer = document.getElementById("state-timer");
    if (view.since) timer.dataset.since = view.since; else { delete timer.dataset.since; timer.textContent = ""; }
    const left = document.getElementById("wrapup-left");
    if (view.wrapup_until) left.dataset.until = view.wrapup_until; else { delete left.dataset.until; left.textContent = ""; }
    document.getElementById("link-warning").hidden = Boolean(view.link_up);
    ACC.tick();
    countDown();
  }

  // Wrap-up time left: elements with data-until count down to zero.
  function countDown() {
    const now = Date.now();
    for (const element of desk.querySelectorAll("[data-until]")) {
      const until = Date.parse(element.dataset.until);
      if (!Number.isNaN(until)) element.textContent = ACC.elapsed(now, Math.max(now, until));
    }
  }

  // --- screen pop -------------------------------------------------------------------------

  function facts(pairs) {
    const list = el("dl", null, "facts");
    for (const [key, value] of pairs) {
      list.append(el("dt", key), el("dd", value === null || value === undefined ? "–" : value));
    }
    return list;
  }

  function moveForm(ticket) {
    const form = el("form", null, "move-form");
    form.method = "post";
    form.action = desk.dataset.moveUrl.replace("/0/", `/${encodeURIComponent(ticket.id)}/`);
    const token = el("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = ACC.csrf();
    const select = el("select");
    select.name = "target";
    for (const target of ticket.moves || []) {
      const option = el("option", label(target));
      option.value = target;
      select.append(option);
    }
    const note = el("input");
    note.name = "note"; note.maxLength = 2000; note.placeholder = label("note_optional");
    form.append(token, select, note, el("button", label("move")));
    return form;
  }

  function showPop(pop) {
    const body = document.getElementById("pop-body");
    if (!body) return;
    if (!pop.linkedid) {
      body.prepend(el("p", label("call_ended"), "flash"));
      return;
    }
    desk.dataset.call = pop.linkedid;
    // The call's forms (disposition, callback, complaint) are the server's: a new call loads
    // the page again, unless the agent is typing, who is then told to reload.
    if (pop.linkedid !== desk.dataset.renderedCall) {
      if (!typing()) {
        window.location.reload();
        return;
      }
      document.getElementById("new-call").hidden = false;
    }
    body.replaceChildren();
    const customer = pop.customer;
    const caller = el("p", null, "pop-caller");
    caller.append(el("strong", pop.caller || label("withheld")));
    const tier = customer ? customer.tier : pop.tier;
    if (tier) caller.append(" ", el("span", label(tier), `badge tier-${tier}`));
    body.append(caller);
    if (customer) {
      const pairs = [[label("caption_customer"), customer.name], [label("caption_account"), customer.account]];
      if (customer.language) pairs.push([label("caption_language"), customer.language]);
      for (const [key, value] of Object.entries(customer.fields || {})) pairs.push([key, value]);
      const list = facts(pairs);
      list.querySelector("dd").classList.add("pop-name");
      body.append(list);
    } else {
      body.append(el("p", label("no_customer"), "muted"));
    }
    if ((pop.ivr_path || []).length) {
      const path = el("ol", null, "ivr-path");
      for (const step of pop.ivr_path) path.append(el("li", step));
      body.append(el("h3", label("caption_ivr")), path);
    }
    const inputs = Object.entries(pop.ivr_inputs || {});
    if (inputs.length) body.append(facts(inputs));
    if (pop.lead) {
      body.append(el("h3", `${label("caption_lead")} · ${pop.lead.campaign || ""}`));
      body.append(facts([[label("caption_number"), pop.lead.phone], [label("caption_attempts"), pop.lead.attempts],
        ...Object.entries(pop.lead.fields || {})]));
    }
    body.append(el("h3", label("caption_tickets")));
    const tickets = el("ul", null, "pop-tickets");
    for (const ticket of pop.open_tickets || []) {
      const item = el("li");
      item.append(el("strong", `#${ticket.id}`), " ", el("span", label(ticket.state), "badge"));
      if ((ticket.moves || []).length) item.append(moveForm(ticket));
      tickets.append(item);
    }
    body.append((pop.open_tickets || []).length ? tickets : el("p", label("none"), "muted"));
    body.append(el("h3", label("caption_recent")));
    if ((pop.recent_calls || []).length) {
      const table = el("table", null, "compact");
      const rows = el("tbody");
      for (const call of pop.recent_calls) {
        const row = el("tr");
        row.append(el("td", localTime(call.started_at)), el("td", label(call.direction)),
          el("td", label(call.disposition)), el("td", call.talk_s === null ? "" : ACC.elapsed(0, call.talk_s * 1000), "num"));
        rows.append(row);
        if ((call.notes || []).length) {
          const cell = el("td");
          cell.colSpan = 4;
          const list = el("ul", null, "notes");
          for (const note of call.notes) {
            const item = el("li");
            item.append(el("span", localTime(note.at), "muted"), " ", note.text);
            list.append(item);
          }
          cell.append(el("span", label("caption_your_notes"), "muted"), list);
          const notesRow = el("tr", null, "pop-notes");
          notesRow.append(cell);
          rows.append(notesRow);
        }
      }
      table.append(rows);
      body.append(table);
    } else {
      body.append(el("p", label("none"), "muted"));
    }
    // The disposition list follows the kind of call: the campaign's codes for a dialer call.
    const kind = pop.lead ? "outbound" : "inbound";
    for (const option of desk.querySelectorAll("#disposition option[data-kind]")) {
      option.hidden = option.disabled = option.dataset.kind !== kind;
    }
    const card = document.getElementById("pop");
    card.classList.remove("pop-new");
    void card.offsetWidth;  // restart the highlight
    card.classList.add("pop-new");
  }

  setInterval(countDown, 1000);
  countDown();
  ACC.stream(desk.dataset.stream, {state: showState, pop: showPop});
})();
