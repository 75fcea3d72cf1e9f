// propdesk console: the little the pages need beyond htmx (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  const zh = () => document.body.dataset.lang !== "en";

  // the live dot: on while the SSE stream is open
  document.addEventListener("htmx:sseOpen", () => document.querySelectorAll("[data-live-dot]").forEach((d) => { d.classList.add("on"); d.classList.remove("lost"); }));
  document.addEventListener("htmx:sseError", () => document.querySelectorAll("[data-live-dot]").forEach((d) => { d.classList.remove("on"); d.classList.add("lost"); }));

  // countdowns tick in the browser between refreshes
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach((el) => {
      const due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      const s = Math.round((due - now) / 1000), m = Math.floor(Math.abs(s) / 60);
      const span = m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}m`;
      const text = s < 0 ? (zh() ? "已超时 " : "overdue ") + span : (zh() ? "剩余 " : "left ") + span;
      const target = el.querySelector("b") || el;
      const label = el.querySelector("b") ? null : el.textContent.split(" ")[0];
      target.textContent = label && el.classList.contains("countdown") ? `${label} ${text}` : text;
      el.classList.toggle("late", s < 0); el.classList.toggle("warn", s >= 0 && s < 1200); el.classList.toggle("ok", s >= 1200);
    });
  }
  setInterval(tick, 30000);

  // an estate picker submits itself
  document.addEventListener("change", (e) => { if (e.target.matches("[data-autosubmit]")) e.target.form.submit(); });

  // the drawer closes with its button or Esc
  // a drawer the user closed stays closed: a slow answer asked for before the close is not shown
  let closedAt = 0;
  function closeDrawer() { const d = document.getElementById("drawer"); if (d) d.innerHTML = ""; closedAt = Date.now(); }
  document.addEventListener("htmx:beforeRequest", (e) => { e.detail.xhr.propdeskAskedAt = Date.now(); });
  document.addEventListener("htmx:beforeSwap", (e) => {
    const asked = e.detail.xhr && e.detail.xhr.propdeskAskedAt;
    if (e.detail.target && e.detail.target.id === "drawer" && asked && asked <= closedAt) e.detail.shouldSwap = false;
  });
  document.addEventListener("click", (e) => { if (e.target.closest("[data-close-drawer]")) closeDrawer(); });

  // a live refresh keeps the keyboard's place: the order that had the focus has it again after the swap
  let focusedOrder = null;
  document.addEventListener("htmx:beforeSwap", (e) => {
    if (!e.detail.target || e.detail.target.id !== "board-body") return;
    const row = document.activeElement && document.activeElement.closest && document.activeElement.closest(".order");
    focusedOrder = row ? row.dataset.orderId : null;
  });
  document.addEventListener("htmx:afterSettle", (e) => {
    if (!e.detail.target || e.detail.target.id !== "board-body" || !focusedOrder) return;
    const row = document.querySelector(`#board-body .order[data-order-id="${focusedOrder}"]`);
    if (row) row.focus();
    focusedOrder = null;
  });

  // keyboard: J/K move through the queue, Enter opens, A assigns, / filters, Esc closes
  function rows() { return Array.from(document.querySelectorAll("#board-body .order")); }
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, textarea, select") && e.key !== "Escape") return;
    const list = rows(); const i = list.indexOf(document.activeElement);
    if (e.key === "j" || e.key === "k") {
      if (!list.length) return;
      const next = e.key === "j" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
      list[next].focus(); e.preventDefault();
    } else if (e.key === "Escape") { closeDrawer(); }
    else if (e.key === "/") { const f = document.getElementById("filter-building"); if (f) { f.focus(); e.preventDefault(); } }
    else if (e.key === "a" || e.key === "A") {
      const sel = document.querySelector("#drawer [data-assign-select]");
      if (sel) { sel.focus(); e.preventDefault(); }
      else if (i >= 0 && !document.querySelector("#drawer .drawer-inner")) { list[i].click(); }
    }
  });

  // drag an order onto a technician: the drawer opens with that technician picked (a reason may be needed)
  document.addEventListener("dragstart", (e) => {
    const row = e.target.closest && e.target.closest(".order");
    if (!row) return;
    e.dataTransfer.setData("text/plain", row.dataset.orderId); row.classList.add("dragging");
  });
  // a live refresh waits while an order is being dragged (it would replace the board under the mouse)
  let dragging = false, refreshLater = false;
  document.addEventListener("htmx:confirm", (e) => {
    if (dragging && e.target.id === "board-body") { e.preventDefault(); refreshLater = true; }
  });
  document.addEventListener("dragstart", () => { dragging = true; });
  document.addEventListener("dragend", (e) => {
    dragging = false;
    const row = e.target.closest && e.target.closest(".order");
    if (row) row.classList.remove("dragging");
    if (refreshLater && window.htmx) { refreshLater = false; htmx.trigger(document.body, "board-changed"); }
  });
  document.addEventListener("dragover", (e) => { const lane = e.target.closest && e.target.closest(".lane"); if (lane) { e.preventDefault(); lane.classList.add("drop"); } });
  document.addEventListener("dragleave", (e) => { const lane = e.target.closest && e.target.closest(".lane"); if (lane) lane.classList.remove("drop"); });
  document.addEventListener("drop", (e) => {
    const lane = e.target.closest && e.target.closest(".lane");
    if (!lane) return;
    e.preventDefault(); lane.classList.remove("drop");
    const id = e.dataTransfer.getData("text/plain");
    if (id && window.htmx) htmx.ajax("GET", `/board/orders/${id}?assign_to=${lane.dataset.technicianId}`, { target: "#drawer" });
  });
})();
