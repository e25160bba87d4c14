// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so screen-reader users hear what to fix.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // Buttons that need a confirmation carry data-confirm.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});

// Jobs: poll each unfinished job's progress (JSON) and update it in place; no page reload.
document.addEventListener("DOMContentLoaded", () => {
  const live = Array.from(document.querySelectorAll("[data-job-live]"));
  if (!live.length) return;
  const update = async (el) => {
    const response = await fetch(el.getAttribute("data-job-progress"), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) return false;
    const data = await response.json();
    const field = (name) => el.querySelector(`[data-job-field="${name}"]`);
    if (field("state_label").textContent !== data.state_label) {
      field("state_label").textContent = data.state_label;
    }
    if (field("text").textContent !== data.text) field("text").textContent = data.text;
    const bar = el.querySelector("progress");
    bar.max = data.total || 1;
    bar.value = data.total ? data.done : (data.finished ? 1 : 0);
    bar.textContent = `${data.percent || 0}%`;
    const error = field("error");
    if (data.error) { error.hidden = false; error.textContent = data.error; }
    if (data.result_url) {
      const result = field("result");
      result.hidden = false;
      result.querySelector("a").href = data.result_url;
    }
    if (data.finished) {
      const cancel = el.querySelector("[data-job-cancel]");
      if (cancel) cancel.remove();
      el.removeAttribute("data-job-live");
    }
    return !data.finished;
  };
  const poll = () => {
    const pending = live.filter((el) => el.hasAttribute("data-job-live"));
    if (!pending.length) return;
    Promise.all(pending.map((el) => update(el).catch(() => true)))
      .finally(() => window.setTimeout(poll, 2000));
  };
  window.setTimeout(poll, 1000);
});
