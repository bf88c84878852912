/* The editor's desk: select a passage, describe the claim, save; no page reload between claims.
 *
 * Offsets: the text container holds only plain text nodes of the raw document text (no
 * markup of its own, no whitespace added), so a DOM Range from the container's start to a
 * selection boundary, stringified, has exactly as many characters as the raw text before that
 * boundary. That holds for right-to-left text too: the DOM keeps logical order, only the display
 * is mirrored. innerText is never used (it depends on layout and folds whitespace).
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("desk-config").textContent);
  const rawText = config.document.text;
  const textRoot = document.getElementById("desk-text");
  const form = document.getElementById("desk-form");
  const quoteBox = document.getElementById("desk-quote");
  const namesBox = document.getElementById("desk-names");
  const sectionsBox = document.getElementById("desk-sections");
  const statusBox = document.getElementById("desk-status");
  const errorBox = document.getElementById("desk-error");
  const field = (id) => document.getElementById(id);

  let quotes = [];
  let appendNextPassage = false;
  let lastPicker = null;
  let activeRow = null; // the row of what statements the editor is filling now
  let highlights = config.highlights;
  let rowCount = 0; // every row gets a uid: a figure's part_of names its whole's row by it
  let reviewing = null; // the whole-document draft being reviewed in the form
  const lastRows = {}; // per kind, the values of the last row saved: a new claim's first row starts from them

  // --- the text and its highlights -----------------------------------------------------------

  function renderText() {
    const bounds = new Set([0, rawText.length]);
    highlights.forEach((h) => { bounds.add(h.start); bounds.add(h.end); });
    quotes.forEach((q) => { bounds.add(q.start); bounds.add(q.end); });
    const points = [...bounds].sort((a, b) => a - b);
    const fragment = document.createDocumentFragment();
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i], end = points[i + 1];
      const covering = highlights.filter((h) => h.start <= start && h.end >= end);
      const selected = quotes.some((q) => q.start <= start && q.end >= end);
      const piece = document.createTextNode(rawText.slice(start, end));
      if (!covering.length && !selected) { fragment.appendChild(piece); continue; }
      const claims = covering.flatMap((h) => h.claims);
      const element = document.createElement(claims.length ? "a" : "span");
      if (claims.length) {
        element.href = claims[0].url;
        element.className = "desk-hl";
        element.title = claims.map((c) => c.label).join("\n");
        element.dataset.claims = claims.map((c) => c.id).join(" ");
        element.draggable = false; // dragging across a highlight selects text, it does not drag the link
      }
      if (selected) element.classList.add("desk-selected");
      element.appendChild(piece);
      fragment.appendChild(element);
    }
    textRoot.replaceChildren(fragment);
  }

  function offsetOf(node, offset) {
    if (!textRoot.contains(node)) {
      const position = textRoot.compareDocumentPosition(node);
      return position & Node.DOCUMENT_POSITION_PRECEDING ? 0 : rawText.length;
    }
    const range = document.createRange();
    range.setStart(textRoot, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function selectedPassage() {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(textRoot)) return null;
    let start = offsetOf(range.startContainer, range.startOffset);
    let end = offsetOf(range.endContainer, range.endOffset);
    if (start > end) [start, end] = [end, start];
    while (start < end && /\s/.test(rawText[start])) start++;
    while (end > start && /\s/.test(rawText[end - 1])) end--;
    return end > start ? { start, end, text: rawText.slice(start, end) } : null;
  }

  function takeSelection() {
    const passage = selectedPassage();
    if (!passage) return;
    quotes = appendNextPassage ? [...quotes, passage] : [passage];
    appendNextPassage = false;
    window.getSelection().removeAllRanges();
    showQuotes();
    renderText();
    loadNames();
  }

  function showQuotes() {
    quoteBox.replaceChildren();
    if (!quotes.length) { quoteBox.textContent = "No passage selected."; return; }
    quotes.forEach((q) => {
      const line = document.createElement("p");
      line.textContent = q.text;
      line.dataset.start = q.start;
      line.dataset.end = q.end;
      quoteBox.appendChild(line);
    });
    const more = document.createElement("button");
    more.type = "button";
    more.className = "button desk-more";
    more.textContent = "+ Another passage";
    more.addEventListener("click", () => { appendNextPassage = true; more.textContent = "Select it in the text…"; });
    quoteBox.appendChild(more);
  }

  textRoot.addEventListener("mouseup", () => setTimeout(takeSelection, 0));
  // A drag that starts and ends inside one highlight is a selection, not a click on its link.
  textRoot.addEventListener("click", (event) => {
    if (event.target.closest("a.desk-hl") && !window.getSelection().isCollapsed) event.preventDefault();
  });
  textRoot.addEventListener("keyup", (event) => { if (event.shiftKey) takeSelection(); });

  // --- names found in the passage: one click puts them in the last name field used -------------

  async function loadNames() {
    namesBox.replaceChildren();
    if (!quotes.length) return;
    namesBox.dataset.state = "loading";
    // Chips name what is in the last passage; drafts read all the claim's passages together.
    const params = new URLSearchParams();
    quotes.forEach((q) => { params.append("start", q.start); params.append("end", q.end); });
    const response = await fetch(`${config.urls.passage}?${params}`, { credentials: "same-origin" });
    if (!response.ok) { namesBox.dataset.state = "ready"; return; }
    const names = await response.json();
    showDrafts(names.drafts || {});
    const groups = [["places", "Places"], ["actors", "Actors"], ["equipment_types", "Equipment"]];
    groups.forEach(([kind, title]) => {
      if (!names[kind] || !names[kind].length) return;
      const group = document.createElement("div");
      group.className = "desk-name-group";
      group.dataset.kind = kind;
      const label = document.createElement("span");
      label.textContent = `${title}:`;
      group.appendChild(label);
      names[kind].forEach((item) => group.appendChild(chip(item, item.spelling === item.name
        ? item.name : `${item.spelling} → ${item.name}`, [item], kind)));
      if (kind === "places" && names[kind].length > 1) {
        group.appendChild(chip(null, "all places", names[kind], kind));
      }
      namesBox.appendChild(group);
    });
    namesBox.dataset.state = "ready";
  }

  /* Where a name chip goes: the name field last used if it takes this kind of name, else the
     matching field of the row being filled (places and equipment types have one per row). */
  const CHIP_FIELDS = { places: ["place", "places"], actors: ["actor"], equipment_types: ["equipment_type"] };
  function chipTarget(kind) {
    const fits = (input) => input && document.body.contains(input) && CHIP_FIELDS[kind].includes(input.dataset.autocomplete);
    const row = activeRow && document.body.contains(activeRow) ? activeRow : null;
    let target = fits(lastPicker) && (!row || row.contains(lastPicker)) ? lastPicker : null;
    // A row has several actor fields: an actor goes only to the one focused.
    if (!target && row && kind !== "actors") target = [...row.querySelectorAll("[data-autocomplete]")].find(fits) || null;
    if (kind === "equipment_types" && (!target || target.value.trim())) {
      // An equipment name fills the row's empty type, else starts the next equipment row.
      return addRow("equipment_losses").querySelector("[data-field=equipment_type]");
    }
    return target;
  }

  function chip(item, text, items, kind) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "desk-chip";
    button.textContent = text;
    if (item) button.dataset.id = item.id;
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the field focused
    button.addEventListener("click", () => {
      const target = chipTarget(kind);
      if (!target) return;
      const multi = target.dataset.multi === "1";
      if (multi && item && nameIn(target, item.name)) {
        unpick(target, item.name); // a second click takes the name out again
      } else {
        items.forEach((entry) => { if (!multi || !nameIn(target, entry.name)) pick(target, { id: entry.id, text: entry.name }); });
      }
      target.focus();
    });
    return button;
  }

  // --- autocomplete on the admin's own endpoints (aliases and the place matcher included) --------

  function picker(input) {
    const kind = input.dataset.autocomplete;
    const spec = config.autocomplete[kind === "places" ? "place" : kind];
    const multi = input.dataset.multi === "1";
    input.picked = input.picked || {};
    const list = document.createElement("ul");
    list.className = "desk-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    let active = -1, pending = Promise.resolve(), timer = null;

    const term = () => (multi ? input.value.split(",").pop() : input.value).trim();

    /* Options are labelled (kind, district, governorate) and ranked by the matcher
       (conflictdb.autocomplete); only the matcher's match is marked, and only it is taken on Enter. */
    function show(results) {
      list.replaceChildren();
      active = -1;
      results.forEach((result, index) => {
        const option = document.createElement("li");
        option.setAttribute("role", "option");
        option.textContent = result.text;
        option.dataset.id = result.id;
        option.dataset.name = result.name || result.text; // what the field shows once picked
        option.dataset.match = result.match ? "1" : "0";
        if (result.match) option.classList.add("desk-match");
        option.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
        list.appendChild(option);
      });
      if (results.length && !results.some((result) => result.match)) {
        const ask = document.createElement("li");
        ask.className = "desk-ask";
        ask.setAttribute("role", "presentation");
        ask.textContent = "Not one clear match: choose one with the arrows or the mouse.";
        list.appendChild(ask);
      }
      list.hidden = !results.length;
    }

    function search() {
      const words = term();
      if (!words) { show([]); return Promise.resolve(); }
      const params = new URLSearchParams({ term: words, ...spec });
      pending = fetch(`${config.urls.autocomplete}?${params}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => { if (term() === words) show(data.results || []); })
        .catch(() => show([]));
      return pending;
    }

    const options = () => [...list.querySelectorAll("[role=option]")];

    function choose(index) {
      const option = options()[index];
      if (!option) return;
      pick(input, { id: option.dataset.id, text: option.dataset.name }, true);
      show([]);
    }

    function highlight(index) {
      options().forEach((option, i) => option.setAttribute("aria-selected", i === index));
      active = index;
    }

    input.addEventListener("focus", () => { lastPicker = input; });
    input.addEventListener("input", () => {
      if (!multi) delete input.dataset.id;
      clearTimeout(timer);
      timer = setTimeout(() => { timer = null; search(); }, 120);
    });
    input.addEventListener("blur", () => setTimeout(() => show([]), 150));
    input.addEventListener("keydown", async (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { await search(); }
        const count = options().length;
        if (count) highlight((active + (event.key === "ArrowDown" ? 1 : count - 1)) % count);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        const arrowed = active >= 0 ? options()[active].dataset.id : null;
        if (timer) { clearTimeout(timer); timer = null; await search(); }
        await pending;
        // An arrow choice, else the matcher's match; an ambiguous or unknown name takes nothing
        // (the candidates stay open and the field stays unresolved).
        const chosen = arrowed === null ? -1 : options().findIndex((option) => option.dataset.id === arrowed);
        const match = options().findIndex((option) => option.dataset.match === "1");
        if (chosen >= 0) choose(chosen);
        else if (match >= 0) choose(match);
      } else if (event.key === "Escape" && !list.hidden) {
        event.stopPropagation();
        show([]);
      }
    });
  }

  /* Put a chosen record in a name field: a single field takes it, a list field appends it. */
  function pick(input, record, replaceTyped) {
    if (input.dataset.multi === "1") {
      const parts = input.value.split(",").map((part) => part.trim()).filter(Boolean);
      if (replaceTyped && parts.length && !(parts[parts.length - 1] in input.picked)) parts.pop();
      if (!parts.includes(record.text)) parts.push(record.text);
      input.picked[record.text] = record.id;
      input.value = parts.join(", ") + ", ";
    } else {
      input.value = record.text;
      input.dataset.id = record.id;
    }
    input.dispatchEvent(new Event("change"));
  }

  const namesOf = (input) => input.value.split(",").map((part) => part.trim()).filter(Boolean);
  const nameIn = (input, name) => namesOf(input).includes(name);
  function unpick(input, name) {
    const rest = namesOf(input).filter((part) => part !== name);
    input.value = rest.length ? rest.join(", ") + ", " : "";
  }

  function reference(input) {
    const text = input.value.trim();
    return text ? { id: input.dataset.id ? Number(input.dataset.id) : null, text } : null;
  }

  function references(input) {
    return input.value.split(",").map((part) => part.trim()).filter(Boolean)
      .map((text) => ({ text, id: input.picked[text] ? Number(input.picked[text]) : null }));
  }

  // --- what the claim states: rows per kind ------------------------------------------------------

  const choices = config.choices;
  const SECTIONS = {
    casualty_figures: {
      title: "Casualty figures",
      fields: [["affiliation", "Whose people", "actor"], ["category", "Category", choices.category],
        ["subgroup", "Subgroup", choices.subgroup], ["outcome", "Outcome", choices.outcome],
        ["quantity", "Number as written", "text"], ["perpetrator", "By", "actor"], ["place", "Place", "place"],
        ["part_of", "Part of", "part_of"]],
      fresh: ["quantity", "subgroup", "part_of"],
    },
    equipment_losses: {
      title: "Equipment",
      fields: [["equipment_type", "Equipment type", "equipment_type"], ["quantity", "Number as written", "text"],
        ["status", "Status", choices.equipment_status], ["owner", "Lost by", "actor"],
        ["captor", "Captured by", "actor"], ["places", "Places (one row each)", "places"]],
      fresh: ["equipment_type", "quantity"],
    },
    territorial_changes: {
      title: "Territorial changes",
      fields: [["places", "Places (one row each)", "places"], ["kind", "Change", choices.territory_kind],
        ["gaining", "Gained by", "actor"], ["losing", "Lost by", "actor"]],
      fresh: ["places"],
    },
    attacks: {
      title: "Attacks",
      fields: [["kind", "Kind", choices.attack_kind], ["perpetrator", "By", "actor"],
        ["places", "Target places (one row each)", "places"], ["target", "Target", "text"],
        ["weapon", "Weapon", "text"], ["quantity", "Number as written", "text"]],
      fresh: ["places"],
    },
    displacements: {
      title: "Displacement",
      fields: [["quantity", "Number as written", "text"], ["unit", "Counted in", choices.displacement_unit],
        ["origins", "From (places)", "places"], ["destinations", "To (places)", "places"]],
      fresh: ["quantity", "origins", "destinations"],
    },
  };

  function sectionBox(name) {
    let box = sectionsBox.querySelector(`[data-section="${name}"]`);
    if (!box) {
      box = document.createElement("fieldset");
      box.className = "desk-section";
      box.dataset.section = name;
      const legend = document.createElement("legend");
      legend.textContent = SECTIONS[name].title;
      box.appendChild(legend);
      sectionsBox.appendChild(box);
    }
    return box;
  }

  function addRow(name, { focus = true } = {}) {
    const spec = SECTIONS[name];
    const box = sectionBox(name);
    const previousRow = [...box.querySelectorAll(".desk-row")].pop();
    const previous = previousRow ? null : lastRows[name];
    const row = document.createElement("div");
    row.className = "desk-row";
    row.dataset.section = name;
    let firstFresh = null;
    spec.fields.forEach(([key, label, kind]) => {
      const wrapper = document.createElement("label");
      wrapper.className = "desk-cell";
      const caption = document.createElement("span");
      caption.textContent = label;
      wrapper.appendChild(caption);
      let input;
      if (Array.isArray(kind)) {
        input = document.createElement("select");
        kind.forEach(([value, text]) => input.add(new Option(text, value)));
      } else if (kind === "part_of") {
        input = document.createElement("select"); // the larger figure above, by its label (partOfChoices)
      } else {
        input = document.createElement("input");
        if (kind !== "text") {
          input.dataset.autocomplete = kind;
          if (kind === "places") input.dataset.multi = "1";
        }
      }
      input.name = key;
      input.dataset.field = key;
      wrapper.appendChild(input);
      row.appendChild(wrapper);
      if (input.dataset.autocomplete) picker(input);
      if (input.dataset.autocomplete && input.dataset.multi !== "1") {
        input.addEventListener("change", () => fillDown(row, key, input));
      }
      // Carried from the row above (or the last row of the previous claim), except what usually differs.
      const above = previousRow ? previousRow.querySelector(`[data-field="${key}"]`) : previous && previous[key];
      if (above && !spec.fresh.includes(key)) {
        input.value = above.value;
        if (above.dataset && above.dataset.id) input.dataset.id = above.dataset.id;
        if (above.id && !above.dataset) input.dataset.id = above.id;
        if (above.picked) input.picked = { ...above.picked };
      } else if (!firstFresh) {
        firstFresh = input;
      }
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "desk-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove this ${spec.title.toLowerCase()} row`);
    remove.addEventListener("click", () => {
      row.remove();
      if (!box.querySelector(".desk-row")) box.remove();
      showDropDrafts();
      partOfChoices();
    });
    row.appendChild(remove);
    row.dataset.uid = String(++rowCount);
    box.appendChild(row);
    partOfChoices();
    row.addEventListener("focusin", () => { activeRow = row; row.dataset.touched = "1"; });
    if (focus) {
      activeRow = row;
      (firstFresh || row.querySelector("input, select")).focus();
    }
    return row;
  }

  /* A figure's "Part of" lists the figure rows above it by their number as written (never an id). */
  function figureRows() {
    return [...sectionsBox.querySelectorAll('.desk-row[data-section="casualty_figures"]')];
  }

  function partOfChoices() {
    const rows = figureRows();
    rows.forEach((row, index) => {
      const select = row.querySelector('[data-field="part_of"]');
      if (!select) return;
      const chosen = select.value;
      select.replaceChildren(new Option("—", ""));
      rows.slice(0, index).forEach((above, aboveIndex) => {
        const quantity = above.querySelector('[data-field="quantity"]').value || "(no number)";
        select.add(new Option(`${aboveIndex + 1}: ${quantity}`, above.dataset.uid));
      });
      select.value = [...select.options].some((option) => option.value === chosen) ? chosen : "";
    });
  }
  sectionsBox.addEventListener("change", (event) => {
    if (event.target.dataset.field === "quantity") partOfChoices();
  });

  // --- drafts: rows the server reads from the passage, shown for the editor to check -----------
  /* A draft row is an ordinary row, marked as a draft, that nothing writes until the editor saves.
     Its × drops it; "Drop drafts" drops them all. A new passage redrafts the rows not yet touched. */

  function setField(input, value) {
    if (input.dataset.multi === "1") {
      input.picked = {};
      (value || []).forEach((record) => { input.picked[record.text] = record.id; });
      input.value = (value || []).length ? value.map((record) => record.text).join(", ") + ", " : "";
    } else if (input.dataset.autocomplete) {
      input.value = value ? value.text : "";
      if (value && value.id) input.dataset.id = value.id; else delete input.dataset.id;
    } else {
      input.value = value == null ? "" : value;
    }
  }

  function draftRows() {
    return [...sectionsBox.querySelectorAll(".desk-row[data-draft='1']")];
  }

  function showDrafts(drafts) {
    draftRows().filter((row) => !row.dataset.touched).forEach((row) => {
      const box = row.parentElement;
      row.remove();
      if (!box.querySelector(".desk-row")) box.remove();
    });
    Object.keys(SECTIONS).forEach((name) => {
      const drafted = [];
      (drafts[name] || []).forEach((values) => {
        const row = addRow(name, { focus: false });
        drafted.push(row);
        row.dataset.draft = "1";
        row.classList.add("desk-draft");
        row.title = "Drafted from the passage: check it, correct it, or drop it with ×.";
        Object.entries(values).forEach(([key, value]) => {
          const input = row.querySelector(`[data-field="${key}"]`);
          if (key === "part_of") return;
          if (input) setField(input, value);
        });
        partOfChoices();
        // A drafted part names its whole by the whole's place among the drafted rows.
        if (values.part_of != null && drafted[values.part_of]) {
          row.querySelector('[data-field="part_of"]').value = drafted[values.part_of].dataset.uid;
        }
      });
    });
    showDropDrafts();
  }

  function showDropDrafts() {
    field("desk-drop-drafts").hidden = !draftRows().length;
  }

  /* Rows drafted from one passage usually share who did it to whom: a name chosen in one row also
     fills that field where it is still empty in the drafted rows below. */
  function fillDown(row, key, input) {
    const rows = [...sectionsBox.querySelectorAll(`.desk-row[data-section="${row.dataset.section}"]`)];
    rows.slice(rows.indexOf(row) + 1).filter((below) => below.dataset.draft === "1").forEach((below) => {
      const target = below.querySelector(`[data-field="${key}"]`);
      if (target && !target.value.trim() && input.value.trim()) {
        target.value = input.value;
        if (input.dataset.id) target.dataset.id = input.dataset.id;
      }
    });
  }

  form.querySelectorAll("[data-add]").forEach((button) => {
    button.addEventListener("click", () => addRow(button.dataset.add));
  });

  // --- saving ----------------------------------------------------------------------------------

  function payload() {
    const data = {
      quotes,
      claimant: reference(field("desk-claimant")),
      event: reference(field("desk-event")),
      statement: field("desk-statement").value.trim() || quotes.map((q) => q.text).join(" … "),
      date_start: field("desk-date-start").value,
      date_end: field("desk-date-end").value,
      credibility: field("desk-credibility").value,
      stance: field("desk-stance").value,
    };
    Object.keys(SECTIONS).forEach((name) => {
      data[name] = [...sectionsBox.querySelectorAll(`.desk-row[data-section="${name}"]`)].map((row, index) => {
        const values = {};
        row.querySelectorAll("[data-field]").forEach((input) => {
          const key = input.dataset.field;
          input.dataset.key = `${name}.${index}.${key}`;
          if (input.dataset.multi === "1") values[key] = references(input);
          else if (input.dataset.autocomplete) values[key] = reference(input);
          else if (key === "part_of") {
            const whole = figureRows().findIndex((other) => other.dataset.uid === input.value);
            values[key] = whole >= 0 ? whole : null;
          } else values[key] = input.value;
        });
        row.dataset.key = `${name}.${index}`;
        return values;
      });
    });
    return data;
  }

  function clearErrors() {
    form.querySelectorAll(".desk-errorlist").forEach((element) => element.remove());
    form.querySelectorAll(".desk-invalid").forEach((element) => element.classList.remove("desk-invalid"));
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function showErrors(errors) {
    const unplaced = [];
    let first = null;
    Object.entries(errors).forEach(([key, messages]) => {
      const target = form.querySelector(`[data-key="${CSS.escape(key)}"]`);
      if (!target) { unplaced.push(`${key}: ${messages.join(" ")}`); return; }
      target.classList.add("desk-invalid");
      target.setAttribute("aria-invalid", "true");
      const list = document.createElement("ul");
      list.className = "desk-errorlist errorlist";
      messages.forEach((message) => {
        const item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      target.after(list);
      first = first || target;
    });
    errorBox.textContent = "The claim was not saved: " + (unplaced.length ? unplaced.join(" ") : "see the marked fields.");
    errorBox.hidden = false;
    if (first && first.focus) first.focus();
  }

  let saving = false;
  async function save() {
    if (saving) return;
    saving = true;
    clearErrors();
    statusBox.textContent = "Saving…";
    try {
      const response = await fetch(config.urls.claims, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json",
          "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
        body: JSON.stringify(payload()),
      });
      const data = await response.json().catch(() => ({ errors: { claim: [`Server error ${response.status}.`] } }));
      if (!response.ok) { statusBox.textContent = ""; showErrors(data.errors || {}); return; }
      highlights = data.highlights;
      if (reviewing) { reviewing.dataset.state = "accepted"; reviewing.hidden = true; reviewing = null; }
      rememberRows();
      showRecent(data.defaults.recent || {});
      clearPassage();
      statusBox.replaceChildren();
      const link = document.createElement("a");
      link.href = data.claim.url;
      link.textContent = data.claim.label;
      statusBox.append("Saved ", link, ". Select the next passage.");
    } finally {
      saving = false;
    }
  }

  function rememberRows() {
    Object.keys(SECTIONS).forEach((name) => {
      const row = [...sectionsBox.querySelectorAll(`.desk-row[data-section="${name}"]`)].pop();
      if (!row) return;
      lastRows[name] = {};
      row.querySelectorAll("[data-field]").forEach((input) => {
        lastRows[name][input.dataset.field] = { value: input.value, id: input.dataset.id, picked: input.picked };
      });
    });
  }

  /* Clear what belongs to one passage; claimant, event, dates and credibility carry over. */
  function clearPassage() {
    quotes = [];
    appendNextPassage = false;
    field("desk-statement").value = "";
    sectionsBox.replaceChildren();
    namesBox.replaceChildren();
    showDropDrafts();
    clearErrors();
    showQuotes();
    renderText();
  }

  function applyDefaults(defaults) {
    const setReference = (input, value) => {
      input.value = value ? value.text : "";
      if (value && value.id) input.dataset.id = value.id; else delete input.dataset.id;
    };
    setReference(field("desk-claimant"), defaults.claimant);
    setReference(field("desk-event"), defaults.event);
    field("desk-date-start").value = defaults.date_start || "";
    field("desk-date-end").value = defaults.date_end || "";
    field("desk-credibility").value = String(defaults.credibility);
    showRecent(defaults.recent || {});
  }

  /* One-click buttons for the claimants and events already used on this document. */
  function showRecent(recent) {
    form.querySelectorAll(".desk-recent").forEach((box) => {
      const input = field(box.dataset.for);
      box.replaceChildren();
      (recent[input.name] || []).forEach((record) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "desk-chip";
        button.dataset.id = record.id;
        button.textContent = record.text;
        button.addEventListener("click", () => pick(input, record));
        box.appendChild(button);
      });
    });
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
  field("desk-clear").addEventListener("click", clearPassage);
  field("desk-drop-drafts").addEventListener("click", () => {
    draftRows().forEach((row) => {
      const box = row.parentElement;
      row.remove();
      if (!box.querySelector(".desk-row")) box.remove();
    });
    showDropDrafts();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); }
    else if (event.key === "Escape") { clearPassage(); }
  });

  // --- drafting the whole document: one proposed claim per passage, reviewed one by one ---------
  /* The server proposes a claim for every passage that states something (events.desk.drafting.
     draft_document). "Review" puts it in the form — its passage as the quote, the claimant named in
     it, its stance and rows — for the editor to correct and save; "Drop" hides it. Nothing is
     written until the editor saves. */

  const documentDrafts = field("desk-document-drafts");

  function describe(draft) {
    const parts = [];
    const counted = { casualty_figures: "figure", equipment_losses: "equipment", territorial_changes: "territory",
      attacks: "attack", displacements: "displacement" };
    Object.entries(counted).forEach(([name, label]) => {
      const rows = (draft.rows[name] || []).length;
      if (rows) parts.push(`${rows} ${label}${rows > 1 && !label.endsWith("t") ? "s" : ""}`);
    });
    if (!parts.length && draft.places.length) parts.push(`places: ${draft.places.map((p) => p.name).join(", ")}`);
    return parts.join(" · ") || "no rows";
  }

  function review(draft, item) {
    if (reviewing) reviewing.classList.remove("desk-reviewing");
    reviewing = item;
    item.classList.add("desk-reviewing");
    quotes = [{ start: draft.start, end: draft.end, text: draft.text }];
    appendNextPassage = false;
    showQuotes();
    renderText();
    if (draft.claimant) pick(field("desk-claimant"), draft.claimant.id ? draft.claimant
      : { id: "", text: draft.claimant.text });
    if (draft.claimant && !draft.claimant.id) delete field("desk-claimant").dataset.id;
    field("desk-stance").value = draft.stance;
    sectionsBox.replaceChildren();
    loadNames(); // the passage's chips and rows, drafted by the same rules
  }

  async function draftDocument() {
    documentDrafts.replaceChildren();
    documentDrafts.dataset.state = "loading";
    const response = await fetch(config.urls.drafts, { credentials: "same-origin" });
    const drafts = response.ok ? (await response.json()).drafts : [];
    drafts.forEach((draft) => {
      const item = document.createElement("li");
      item.className = "desk-document-draft" + (draft.claimed ? " desk-claimed" : "");
      item.dataset.start = draft.start;
      const text = document.createElement("q");
      text.textContent = draft.text.length > 160 ? `${draft.text.slice(0, 157)}…` : draft.text;
      const about = document.createElement("span");
      about.className = "desk-draft-about";
      about.textContent = [draft.claimant ? `by ${draft.claimant.text}${draft.claimant.id ? "" : " (to pick or add)"}` : "",
        draft.stance === "denies" ? "denial" : "", describe(draft), draft.claimed ? "already claimed" : ""]
        .filter(Boolean).join(" · ");
      const open = document.createElement("button");
      open.type = "button";
      open.className = "button desk-review";
      open.textContent = "Review";
      open.addEventListener("click", () => review(draft, item));
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "button desk-drop";
      drop.textContent = "Drop";
      drop.addEventListener("click", () => {
        item.dataset.state = "dropped";
        item.hidden = true;
        if (reviewing === item) { reviewing = null; clearPassage(); }
      });
      item.append(text, about, open, drop);
      documentDrafts.appendChild(item);
    });
    documentDrafts.dataset.state = "ready";
    statusBox.textContent = `${drafts.length} passages drafted: review each, correct it and save, or drop it.`;
  }
  field("desk-draft-document").addEventListener("click", draftDocument);

  // --- start -----------------------------------------------------------------------------------

  choices.credibility.forEach(([value, text]) => field("desk-credibility").add(new Option(text, value)));
  choices.stance.forEach(([value, text]) => field("desk-stance").add(new Option(text, value)));
  form.querySelectorAll("[data-autocomplete]").forEach(picker);
  applyDefaults(config.defaults);
  showQuotes();
  renderText();
  textRoot.dataset.ready = "1";
})();
