// aup console: keyboard shortcuts for decisions and the reveal button. The
// pages work without it; it only saves moderators the mouse.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const reveal = document.getElementById("reveal");
  if (reveal) {
    reveal.addEventListener("click", () => {
      const text = document.getElementById("case-text");
      text.classList.remove("blurred");
      reveal.remove();
      text.focus();
    });
  }
  const form = document.getElementById("decide");
  const action = document.getElementById("action");
  const reason = document.getElementById("reason");
  const buttons = form ? Array.from(form.querySelectorAll("button.decision")) : [];
  const choose = (button) => {
    buttons.forEach((b) => b.classList.toggle("selected", b === button));
    buttons.forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
    action.value = button.value;
    reason.focus();
  };
  // Single-key shortcuts can be turned off (WCAG 2.1.4); the choice is
  // remembered in this browser.
  const toggle = document.getElementById("shortcuts-toggle");
  const enabled = () => localStorage.getItem("aup.shortcuts") !== "off";
  if (toggle) {
    toggle.checked = enabled();
    toggle.addEventListener("change", () => localStorage.setItem("aup.shortcuts", toggle.checked ? "on" : "off"));
  }
  const typing = (el) => el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT" || el.isContentEditable);
  document.addEventListener("keydown", (e) => {
    if (form && (e.ctrlKey || e.metaKey) && e.key === "Enter" && form.contains(document.activeElement)) {
      if (!action.value) { return; }
      e.preventDefault();
      form.requestSubmit(buttons.find((b) => b.value === action.value));
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement) || !enabled()) { return; }
    const b = buttons.find((x) => x.dataset.key === e.key);
    if (b) { e.preventDefault(); choose(b); return; }
    if (e.key === "j") {
      const next = document.getElementById("claim-next");
      if (next) { e.preventDefault(); next.click(); }
    }
  });
});
