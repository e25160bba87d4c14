// As-you-type suggestions of the intake form (issue 16). The form works without this: its
// "Suggest" button re-renders the page with the same suggestions.
(() => {
  const panel = document.getElementById("intake-suggestions");
  if (!panel) return;
  const form = panel.closest("form");
  const title = form.querySelector("#title");
  const description = form.querySelector("#description");
  const token = form.querySelector("input[name=csrf_token]");
  const offered = form.querySelector("input[name=suggested]");
  const touched = new Set();
  form.addEventListener("change", (event) => {
    if (event.isTrusted && event.target.name) touched.add(event.target.name);
  });

  const offeredSet = () => new Set((offered.value || "").split(",").filter(Boolean));

  function prefill(row) {
    const name = row.field;
    const mine = offeredSet();
    if (touched.has(name) && !mine.has(name)) return false;
    const values = row.values.map((v) => v.value);
    const boxes = form.querySelectorAll(`input[type=checkbox][name="${name}"]`);
    if (boxes.length) {
      const chosen = [...boxes].some((b) => b.checked);
      if (chosen && !mine.has(name)) return false;
      boxes.forEach((b) => { b.checked = values.includes(b.value); });
      return true;
    }
    const el = form.querySelector(`[name="${name}"]`);
    if (!el || (el.value && !mine.has(name))) return false;
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === values[0])) return false;
    el.value = values[0];
    return true;
  }

  function render(rows) {
    panel.replaceChildren();
    const h = document.createElement("h3");
    h.textContent = panel.dataset.heading;
    panel.append(h);
    if (!rows.length) {
      const p = document.createElement("p");
      p.textContent = panel.dataset.none;
      panel.append(p);
      return;
    }
    const mine = offeredSet();
    const ul = document.createElement("ul");
    rows.forEach((row) => {
      if (prefill(row)) mine.add(row.field);
      const li = document.createElement("li");
      const strong = document.createElement("strong");
      strong.textContent = `${row.label}: `;
      li.append(strong);
      row.values.forEach((v, i) => {
        li.append(v.name);
        if (v.evidence) {
          const span = document.createElement("span");
          span.className = "hint";
          span.textContent = ` (${panel.dataset.from} “${v.evidence}”)`;
          li.append(span);
        }
        if (i < row.values.length - 1) li.append("; ");
      });
      ul.append(li);
    });
    offered.value = [...mine].sort().join(",");
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = panel.dataset.prefilled;
    panel.append(ul, hint);
  }

  let timer = null;
  let last = "";
  function ask() {
    const text = `${title.value}\n${description.value}`;
    if (text.trim().length < 12 || text === last) return;
    last = text;
    fetch(panel.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token.value },
      body: JSON.stringify({ title: title.value, description: description.value }),
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => { if (data) render(data.suggestions); })
      .catch(() => {});
  }
  [title, description].forEach((el) => el && el.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 700);
  }));
})();
