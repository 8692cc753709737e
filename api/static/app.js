// stancewire review page. Plain JS, no build step.
//
// Safety rule: article text and model output are only ever put in the page
// with textContent / createTextNode, never parsed as markup, so a quote containing
// "<script>" or an <img onerror> shows as text and never runs.
"use strict";

(function () {
  const KEY_STORAGE = "stancewire-api-key";
  const $ = (id) => document.getElementById(id);

  const state = { targets: [], lastFileName: null, lastFileIsHtml: false };

  // ------------------------------------------------------------------ DOM helpers

  /** Create an element; `text` is set with textContent, children are appended. */
  function el(tag, options, children) {
    const node = document.createElement(tag);
    const opts = options || {};
    if (opts.className) node.className = opts.className;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.attrs) {
      for (const [name, value] of Object.entries(opts.attrs)) node.setAttribute(name, String(value));
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function percent(value) {
    return typeof value === "number" ? Math.round(value * 100) + "%" : "";
  }

  function chip(kind, label, value, confidence) {
    const node = el("span", { className: "chip " + kind + "-" + value }, [
      document.createTextNode(label ? label + ": " + value : value),
    ]);
    if (typeof confidence === "number") {
      node.append(el("span", { className: "conf", text: percent(confidence) }));
      node.setAttribute("title", (label || value) + " confidence " + percent(confidence));
    }
    return node;
  }

  // ------------------------------------------------------------------ API

  function apiKey() {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  }

  class ApiError extends Error {
    constructor(status, body) {
      const err = body && body.error ? body.error : null;
      super(err ? err.message : "request failed with status " + status);
      this.status = status;
      this.code = err ? err.code : null;
      this.field = err ? err.field : null;
    }
  }

  async function api(path, payload) {
    const headers = { Accept: "application/json" };
    const key = apiKey();
    if (key) headers["X-API-Key"] = key;
    const init = { method: payload === undefined ? "GET" : "POST", headers };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(path, init);
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  function showError(err) {
    const box = $("error");
    let message = err && err.message ? err.message : String(err);
    if (err && err.code) message = "[" + err.code + "] " + message;
    if (err && err.status === 401) {
      message += " Enter the API key below.";
      $("key-box").open = true;
      $("api-key").focus();
    }
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  // ------------------------------------------------------------------ targets and model

  function renderTargets(targets) {
    const box = $("targets");
    for (const old of box.querySelectorAll("label")) old.remove();
    $("targets-empty").hidden = targets.length > 0;
    for (const target of targets) {
      const input = el("input", {
        attrs: { type: "checkbox", name: "target", value: target.name, checked: "" },
      });
      const label = el("label", { attrs: target.description ? { title: target.description } : {} }, [
        input,
        document.createTextNode(target.name),
      ]);
      box.append(label);
    }
  }

  function renderModel(info) {
    $("model-name").textContent = "Model: " + info.name;
    const facts = $("model-facts");
    clear(facts);
    const add = (term, value) => {
      facts.append(el("dt", { text: term }), el("dd", { text: value }));
    };
    add("Version", info.version);
    if (info.base_model) add("Encoder", info.base_model);
    add("Targets", info.targets.join(", "));
    const heldout = info.metrics && info.metrics.heldout;
    if (heldout) {
      const parts = Object.entries(heldout).map(([k, v]) => k + " " + Number(v).toFixed(3));
      add("Held-out metrics (shipped)", parts.join(" · "));
    }
    if (info.evaluation) {
      const parts = Object.entries(info.evaluation.metrics || {})
        .slice(0, 6)
        .map(([k, v]) => k + " " + Number(v).toFixed(3));
      add("Latest evaluation (" + info.evaluation.run + ")", parts.join(" · ") || "see the report");
      $("report-link").href = info.evaluation.report_url;
    }
    $("model-card-text").textContent = info.model_card || "This model has no MODEL_CARD.md.";
  }

  async function loadInfo() {
    try {
      const targets = await api("/v1/targets");
      state.targets = targets.targets;
      renderTargets(targets.targets);
      renderModel(await api("/v1/model"));
      hideError();
    } catch (err) {
      $("targets-empty").textContent = "Targets load once the server accepts the request.";
      showError(err);
    }
  }

  // ------------------------------------------------------------------ results

  function quoteNumber(i) {
    return "Q" + (i + 1);
  }

  function renderSpeakers(result, targets) {
    const head = $("speakers-head");
    clear(head);
    const columns = ["Speaker", "Type", "Affiliation", ...targets, "Quotes"];
    for (const name of columns) head.append(el("th", { text: name, attrs: { scope: "col" } }));
    const body = $("speakers").querySelector("tbody");
    clear(body);
    if (result.speakers.length === 0) {
      const cell = el("td", { text: "No attributed quotes.", attrs: { colspan: columns.length } });
      body.append(el("tr", {}, [cell]));
      return;
    }
    for (const sp of result.speakers) {
      const row = el("tr", { className: "speaker-row" });
      const nameCell = el("th", { className: "speaker-name", text: sp.speaker, attrs: { scope: "row" } });
      if (sp.speaker_aliases && sp.speaker_aliases.length) {
        nameCell.setAttribute("title", "also: " + sp.speaker_aliases.join(", "));
      }
      row.append(nameCell);
      row.append(el("td", { text: sp.speaker_type || "" }));
      row.append(el("td", { text: sp.affiliation || "" }));
      for (const t of targets) {
        row.append(el("td", {}, [chip("stance", "", sp.stance[t] || "none")]));
      }
      const links = el("td");
      sp.quotes.forEach((qi, n) => {
        if (n > 0) links.append(document.createTextNode(" "));
        links.append(el("a", { text: quoteNumber(qi), attrs: { href: "#quote-" + qi } }));
      });
      row.append(links);
      body.append(row);
    }
  }

  function renderArticle(result) {
    const view = $("article-view");
    clear(view);
    const text = result.text;
    const spans = result.quotes
      .map((q, i) => ({ q, i }))
      .filter(({ q }) => Number.isInteger(q.start) && Number.isInteger(q.end) && q.end > q.start)
      .sort((a, b) => a.q.start - b.q.start);
    let cursor = 0;
    for (const { q, i } of spans) {
      if (q.start < cursor || q.end > text.length) continue; // overlapping: listed, not marked
      view.append(document.createTextNode(text.slice(cursor, q.start)));
      const mark = el("mark", {
        className: "quote",
        text: text.slice(q.start, q.end),
        attrs: { id: "mark-" + i, "data-quote": i },
      });
      view.append(mark);
      const who = q.speaker || "unattributed";
      view.append(
        el("a", {
          className: "qtag",
          text: quoteNumber(i) + " · " + who,
          attrs: { href: "#quote-" + i, "aria-label": "quote " + (i + 1) + " by " + who },
        })
      );
      cursor = q.end;
    }
    view.append(document.createTextNode(text.slice(cursor)));
  }

  function renderQuotes(result, targets) {
    const list = $("quotes");
    clear(list);
    result.quotes.forEach((q, i) => {
      const conf = q.confidence || {};
      const chips = el("div", { className: "chips" }, [
        ...targets.map((t) => chip("stance", t, q.stance[t] || "none", conf[t])),
        chip("sentiment", "sentiment", q.sentiment, conf.sentiment),
        el("span", { className: "chip kind", text: q.kind }),
      ]);
      const speaker = el("p", { className: "speaker-line" }, [
        document.createTextNode(q.speaker || "Unattributed"),
        q.affiliation ? el("span", { className: "aff", text: " · " + q.affiliation }) : null,
      ]);
      const item = el("li", { attrs: { id: "quote-" + i, tabindex: "-1" } }, [
        el("p", { className: "quote-text", text: "“" + q.text + "”" }),
        speaker,
        chips,
      ]);
      if (Number.isInteger(q.start)) {
        item.append(
          el("a", { className: "help", text: "show in article", attrs: { href: "#mark-" + i } })
        );
      }
      list.append(item);
    });
  }

  function renderResult(result, targets, seconds) {
    $("summary").textContent =
      result.quotes.length + " quote(s), " + result.speakers.length + " speaker(s) · " +
      (result.model || "") + " · " + seconds.toFixed(1) + " s";
    renderSpeakers(result, targets);
    renderArticle(result);
    renderQuotes(result, targets);
    $("results").hidden = false;
  }

  // ------------------------------------------------------------------ events

  function selectedTargets() {
    return Array.from(document.querySelectorAll('#targets input[name="target"]:checked')).map(
      (input) => input.value
    );
  }

  async function onSubmit(event) {
    event.preventDefault();
    hideError();
    const text = $("article").value;
    if (!text.trim()) {
      showError(new Error("Paste an article or upload a file first."));
      $("article").focus();
      return;
    }
    const targets = selectedTargets();
    if (state.targets.length && targets.length === 0) {
      showError(new Error("Choose at least one target."));
      return;
    }
    const payload = { id: state.lastFileName || "pasted-article" };
    payload[state.lastFileIsHtml ? "html" : "text"] = text;
    if (targets.length && targets.length !== state.targets.length) payload.targets = targets;
    const button = $("label-button");
    button.disabled = true;
    setStatus("Labelling…");
    const started = performance.now();
    try {
      const result = await api("/v1/label", payload);
      const first = result.quotes[0] || result.speakers[0];
      const shown = targets.length ? targets : Object.keys((first && first.stance) || {});
      renderResult(result, shown, (performance.now() - started) / 1000);
      setStatus(
        "Labelled: " + result.quotes.length + " quote(s), " + result.speakers.length + " speaker(s)."
      );
    } catch (err) {
      setStatus("");
      showError(err);
    } finally {
      button.disabled = false;
    }
  }

  async function onFile(event) {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    $("article").value = await file.text();
    state.lastFileName = file.name.replace(/\.[^.]+$/, "") || file.name;
    state.lastFileIsHtml = /\.html?$/i.test(file.name);
    setStatus("Loaded " + file.name + " (" + file.size + " bytes).");
  }

  function onKeyChange() {
    const value = $("api-key").value.trim();
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
    loadInfo();
  }

  function highlight(event) {
    const target = event.target.closest("mark.quote");
    if (!target) return;
    const item = $("quote-" + target.dataset.quote);
    if (item) {
      item.scrollIntoView({ block: "nearest" });
      item.focus({ preventScroll: true });
    }
  }

  function init() {
    $("label-form").addEventListener("submit", onSubmit);
    $("file").addEventListener("change", onFile);
    $("api-key").value = apiKey();
    $("api-key").addEventListener("change", onKeyChange);
    $("article").addEventListener("input", () => {
      state.lastFileName = null;
      state.lastFileIsHtml = false;
    });
    $("clear-button").addEventListener("click", () => {
      $("article").value = "";
      $("file").value = "";
      state.lastFileName = null;
      $("results").hidden = true;
      hideError();
      setStatus("");
    });
    $("card-link").addEventListener("click", () => {
      $("model-card").open = true;
    });
    $("article-view").addEventListener("click", highlight);
    document.body.dataset.ready = "true";
    loadInfo();
  }

  init();
})();
