/* 好差评 rating widget for online service platforms ("一事一评"). Served from https://<tenant host>/widget.js,
 * which bakes in the tenant's host, scale words and reasons; this raw file alone does nothing.
 *
 *   <script src="https://<tenant host>/widget.js" data-key="<integration key>"
 *           data-transaction="<transaction number>" data-item="<item code>"></script>
 *
 * Optional: data-unit and data-platform (codes) let a rating register a transaction the server does not know
 * yet. The widget draws inside a shadow root right after its script tag: the host page's styles do not reach
 * it, and it adds no style, global name or listener to the host page.
 */
(function (CONFIG) {
  "use strict";
  var script = document.currentScript;
  if (!CONFIG || !script || !script.parentNode) { return; }
  var key = (script.getAttribute("data-key") || "").trim();
  var txn = (script.getAttribute("data-transaction") || "").trim();
  var item = (script.getAttribute("data-item") || "").trim();
  var unit = (script.getAttribute("data-unit") || "").trim();
  var platform = (script.getAttribute("data-platform") || "").trim();
  var S = CONFIG.strings;
  if (!key || (!txn && !(item && unit))) {
    if (window.console) { window.console.error(S.misconfigured); }
    return;
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  if (!txn) { txn = "WEB-" + uuid().replace(/-/g, "").slice(0, 24).toUpperCase(); }
  function colour(value, fallback) { return /^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value : fallback; }
  // The tenant's theme (checked server-side for contrast), inside the shadow root only.
  var brand = colour(CONFIG.color, "#1d4ed8");
  var onBrand = colour(CONFIG.onColor, "#ffffff");
  var ink = colour(CONFIG.textColor, "#111827");
  var paper = colour(CONFIG.background, "#ffffff");
  var font = /^[\w\s",'-]+$/.test(CONFIG.font || "") ? CONFIG.font : "system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif";

  var host = document.createElement("div");
  host.setAttribute("data-hcp-rating", "");
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow({ mode: "open" });

  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial;display:block;contain:content;--brand:" + brand + ";--on-brand:" + onBrand + ";",
    "--ink:" + ink + ";--bg:" + paper + ";font-family:" + font + ";font-size:16px;",
    "line-height:1.5;color:var(--ink);text-align:left}",
    "*{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".w{border:1px solid #d1d5db;border-radius:10px;padding:16px;background:var(--bg);max-width:720px}",
    ".org{margin:0;color:var(--ink);font-size:14px}",
    "h2{margin:4px 0 12px;font-size:20px;line-height:1.3;color:var(--ink)}",
    ".levels{display:flex;flex-wrap:wrap;gap:8px}",
    "button{font:inherit;cursor:pointer;min-height:48px;min-width:48px;border-radius:8px;margin:0}",
    ".lv{flex:1 1 110px;padding:8px 12px;font-size:18px;font-weight:700;background:#fff;color:#111827;",
    "border:2px solid #374151}",
    ".lv[aria-pressed=true]{background:var(--brand);border-color:var(--brand);color:var(--on-brand)}",
    ".reasons{margin-top:16px}",
    ".label{display:block;font-weight:700;margin:0 0 8px}",
    ".tags{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}",
    ".tag{padding:8px 12px;background:#fff;color:#111827;border:2px solid #374151}",
    ".tag[aria-pressed=true]{background:#9a3412;border-color:#9a3412;color:#fff}",
    "textarea{display:block;width:100%;min-height:88px;font:inherit;padding:8px;border:1px solid #374151;",
    "border-radius:6px;margin-bottom:12px;color:#111827;background:#fff}",
    ".consent{display:flex;gap:8px;align-items:center;min-height:44px;margin-bottom:12px;cursor:pointer}",
    ".consent input{width:22px;height:22px;margin:0;flex:none;accent-color:var(--brand)}",
    ".submit{padding:8px 24px;background:var(--brand);color:var(--on-brand);border:0;font-weight:700}",
    "button:disabled{opacity:.6;cursor:progress}",
    "button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    ".status{margin:12px 0 0;min-height:1.5em;font-weight:700}",
    ".status.err{color:#b91c1c}",
    ".done{color:#166534;font-size:20px;font-weight:700;margin:0}",
    ".done:focus{outline:none}",
  ].join("");
  root.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var box = el("section", { class: "w", "aria-labelledby": "hcp-title" });
  box.appendChild(el("p", { class: "org" }, CONFIG.organisation));
  var title = el("h2", { id: "hcp-title", tabindex: "-1" }, S.title);
  box.appendChild(title);
  var levels = el("div", { class: "levels", role: "group", "aria-labelledby": "hcp-title" });
  box.appendChild(levels);
  var reasons = el("div", { class: "reasons", hidden: "" });
  reasons.appendChild(el("p", { class: "label", id: "hcp-reasons" }, S.reasons));
  var tags = el("div", { class: "tags", role: "group", "aria-labelledby": "hcp-reasons" });
  reasons.appendChild(tags);
  reasons.appendChild(el("label", { class: "label", for: "hcp-comment" }, S.comment));
  var comment = el("textarea", { id: "hcp-comment", maxlength: String(CONFIG.commentMax), rows: "3" });
  reasons.appendChild(comment);
  // Consent to show the comment (personal data removed) on the public portal: unchecked unless ticked.
  var consentRow = el("label", { class: "consent", for: "hcp-public" });
  var consent = el("input", { type: "checkbox", id: "hcp-public" });
  consentRow.appendChild(consent);
  consentRow.appendChild(el("span", {}, S.publish));
  reasons.appendChild(consentRow);
  var submit = el("button", { type: "button", class: "submit" }, S.submit);
  reasons.appendChild(submit);
  box.appendChild(reasons);
  var status = el("p", { class: "status", role: "status", "aria-live": "polite" });
  box.appendChild(status);
  root.appendChild(box);

  var chosen = null;
  var pending = { body: null, key: null };
  var levelButtons = CONFIG.levels.map(function (lv) {
    var button = el("button", { type: "button", class: "lv", "aria-pressed": "false" }, lv.word);
    button.addEventListener("click", function () { choose(lv, button); });
    levels.appendChild(button);
    return button;
  });
  CONFIG.tags.forEach(function (tag) {
    var button = el("button", { type: "button", class: "tag", "aria-pressed": "false", "data-code": tag.code }, tag.label);
    button.addEventListener("click", function () {
      button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
    });
    tags.appendChild(button);
  });
  submit.addEventListener("click", function () {
    var codes = Array.prototype.filter.call(tags.children, function (b) {
      return b.getAttribute("aria-pressed") === "true";
    }).map(function (b) { return b.getAttribute("data-code"); });
    if (!codes.length) { say(S.chooseReason, true); tags.firstChild && tags.firstChild.focus(); return; }
    send(chosen.level, codes, comment.value.trim(), consent.checked);
  });

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "status err" : "status";
  }
  function choose(lv, button) {
    chosen = lv;
    levelButtons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
    say("");
    if (lv.bad) {
      reasons.hidden = false;
      tags.firstChild && tags.firstChild.focus();
    } else {
      reasons.hidden = true;
      send(lv.level, [], "", false);
    }
  }
  function busy(on) {
    levelButtons.concat([submit]).forEach(function (b) { b.disabled = on; });
  }
  function send(level, codes, text, publish) {
    var body = { transaction: txn, level: level, reason_tags: codes, comment: text, comment_public: !!(publish && text) };
    if (item) { body.item_code = item; }
    if (unit) { body.unit_code = unit; }
    if (platform) { body.platform_code = platform; }
    var json = JSON.stringify(body);
    // The same rating retried keeps its key (the server answers with the first result); a changed one gets a new key.
    if (pending.body !== json) { pending = { body: json, key: uuid() }; }
    busy(true);
    say(S.sending);
    window.fetch(CONFIG.origin + CONFIG.submitPath, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { Authorization: "Api-Key " + key, "Content-Type": "application/json", "Idempotency-Key": pending.key },
      body: json,
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 200 || res.status === 201) {
          done(data.is_bad);
        } else if (res.status === 400) {
          busy(false);
          say(S.refused.replace("%(detail)s", data.detail || ""), true);
        } else {
          busy(false);
          say(S.failed, true);
        }
      });
    }).catch(function () {
      busy(false);
      say(S.failed, true);
    });
  }
  function done(isBad) {
    box.textContent = "";
    var message = el("p", { class: "done", tabindex: "-1", role: "status" }, isBad ? S.thanksBad : S.thanks);
    box.appendChild(message);
    message.focus();
  }
})(/*__HCP_CONFIG__*/null);
