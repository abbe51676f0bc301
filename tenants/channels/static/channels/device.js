/* The window rating device (评价器). Plain JavaScript, no build step.
 *
 * - The device key lives in this browser's localStorage (set at /device/setup). Every API call sends it as
 *   `Authorization: Api-Key …` with credentials "omit": a staff session in the same browser is never used.
 * - Every rating is first written to a queue in localStorage with its own idempotency key, then sent with
 *   POST /api/v1/evaluations/bulk. The server de-duplicates by that key, so a retry (lost answer, second
 *   tab, reload) never counts a rating twice. Failures back off exponentially; going online retries at once.
 * - The transaction comes from ?txn= (the window system) or from staff typing it; it is used for one rating
 *   only. With ?item= and no transaction, each rating registers its own transaction on the server.
 */
(function () {
  "use strict";

  var KEY = "hcp.device.key";
  var INFO = "hcp.device.info";
  var QUEUE = "hcp.device.queue";
  var REJECTED = "hcp.device.rejected";
  var BATCH = 100;
  var MAX_BACKOFF_MS = 5 * 60 * 1000;
  var IDLE_MS = 60 * 1000;
  var CHECK_EVERY_MS = 30 * 1000;

  var S = {};
  var info = null;
  var apiKey = null;
  var params = new URLSearchParams(window.location.search);
  var state = {
    txn: (params.get("txn") || "").trim().slice(0, 64),
    item: (params.get("item") || "").trim().slice(0, 64),
    txnKnown: true,
    level: null,
    tags: [],
    keyRefused: false,
  };
  var resetSeconds = Math.min(60, Math.max(1, parseInt(params.get("reset") || "6", 10) || 6));
  var sync = { running: false, failures: 0, timer: null, batch: BATCH };
  var timers = { reset: null, tick: null, idle: null };

  function $(id) { return document.getElementById(id); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }
  function readJSON(name, fallback) {
    try {
      var value = JSON.parse(window.localStorage.getItem(name));
      return value === null || value === undefined ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }
  function writeJSON(name, value) { window.localStorage.setItem(name, JSON.stringify(value)); }
  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }
  function api(path, options) {
    options = options || {};
    var headers = { Authorization: "Api-Key " + apiKey, Accept: "application/json" };
    if (options.body) { headers["Content-Type"] = "application/json"; }
    return window.fetch(path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body,
      credentials: "omit",
      cache: "no-store",
    });
  }

  // --- screens -----------------------------------------------------------------------------------------
  function show(screen) {
    ["screen-rate", "screen-reasons", "screen-thanks"].forEach(function (id) {
      $(id).hidden = id !== screen;
    });
    var heading = $(screen).querySelector("h1");
    if (heading) { heading.focus({ preventScroll: true }); }
  }
  function notice(text, withSetupLink) {
    var box = $("kiosk-notice");
    box.hidden = !text;
    $("kiosk-notice-text").textContent = text || "";
    $("kiosk-setup-link").hidden = !withSetupLink;
    $("kiosk-setup-link").textContent = S.setUpLink;
  }
  function canRate() {
    return !!info && !state.keyRefused && (!!state.item || (!!state.txn && state.txnKnown));
  }
  function renderRateScreen() {
    var need = $("kiosk-need");
    var ready = canRate();
    document.querySelectorAll(".kiosk-level").forEach(function (button) { button.disabled = !ready; });
    if (!info || state.keyRefused) {
      need.hidden = true;
    } else if (state.txn && !state.txnKnown && !state.item) {
      need.hidden = false;
      need.textContent = fmt(S.unknownTxn, { n: state.txn });
    } else {
      need.hidden = ready;
      need.textContent = ready ? "" : S.needInput;
    }
    $("txn-input").value = state.txn;
  }
  function renderInfo() {
    $("kiosk-org").textContent = info.tenant.name;
    $("kiosk-window").textContent = info.window.name + (info.hall ? " · " + info.hall.name : "");
    var levels = $("kiosk-levels");
    levels.textContent = "";
    info.levels.forEach(function (lv) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kiosk-level";
      button.textContent = lv.word;
      button.setAttribute("data-level", String(lv.level));
      button.addEventListener("click", function () { chooseLevel(lv); });
      levels.appendChild(button);
    });
    var tags = $("kiosk-tags");
    tags.textContent = "";
    info.reason_tags.forEach(function (tag) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kiosk-tag";
      button.textContent = tag.label;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("data-code", tag.code);
      button.addEventListener("click", function () {
        var on = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", on ? "true" : "false");
        if (on) { $("reasons-error").hidden = true; }
        touchIdle();
      });
      tags.appendChild(button);
    });
    renderRateScreen();
  }

  // --- rating ------------------------------------------------------------------------------------------
  function wordOf(level) {
    for (var i = 0; i < info.levels.length; i += 1) {
      if (info.levels[i].level === level) { return info.levels[i].word; }
    }
    return String(level);
  }
  function chooseLevel(lv) {
    if (!canRate()) { return; }
    if (!lv.is_bad) {
      record(lv.level, []);
      return;
    }
    state.level = lv.level;
    document.querySelectorAll(".kiosk-tag").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    $("reasons-error").hidden = true;
    $("reasons-chosen").textContent = fmt(S.youChose, { word: lv.word });
    show("screen-reasons");
    touchIdle();
  }
  function touchIdle() {
    window.clearTimeout(timers.idle);
    timers.idle = window.setTimeout(function () { backToRate(); }, IDLE_MS);
  }
  function backToRate() {
    window.clearTimeout(timers.idle);
    state.level = null;
    show("screen-rate");
    renderRateScreen();
  }
  function submitReasons() {
    var chosen = [];
    document.querySelectorAll(".kiosk-tag[aria-pressed='true']").forEach(function (b) {
      chosen.push(b.getAttribute("data-code"));
    });
    if (!chosen.length) {
      var error = $("reasons-error");
      error.textContent = S.chooseReason;
      error.hidden = false;
      touchIdle();
      return;
    }
    window.clearTimeout(timers.idle);
    record(state.level, chosen);
  }
  function stamp(date) {
    function two(n) { return ("0" + n).slice(-2); }
    return date.getFullYear() + two(date.getMonth() + 1) + two(date.getDate()) +
      two(date.getHours()) + two(date.getMinutes()) + two(date.getSeconds());
  }
  function transactionNumber(key, now) {
    if (state.txn) { return state.txn; }
    // A rating by item alone registers its own transaction: device code, time and a random suffix.
    var prefix = (info.device.code || "DEV").replace(/[^A-Za-z0-9-]/g, "").slice(0, 30);
    return (prefix + "-" + stamp(now) + "-" + key.replace(/-/g, "").slice(0, 8)).toUpperCase();
  }
  function record(level, tags) {
    var now = new Date();
    var key = uuid();
    var item = {
      idempotency_key: key,
      transaction: transactionNumber(key, now),
      level: level,
      channel: "device",
      reason_tags: tags,
      rated_at: now.toISOString(),
    };
    if (state.item) { item.item_code = state.item; }
    var queue = readJSON(QUEUE, []);
    queue.push(item);
    writeJSON(QUEUE, queue);
    renderBadge();
    thank(level);
    scheduleSync(0);
  }
  function thank(level) {
    var bad = info.levels.some(function (lv) { return lv.level === level && lv.is_bad; });
    $("thanks-heading").textContent = bad ? S.thanksBad : S.thanks;
    $("thanks-chosen").textContent = fmt(S.youChose, { word: wordOf(level) });
    show("screen-thanks");
    var left = resetSeconds;
    var tick = function () {
      $("thanks-reset").textContent = fmt(S.resetIn, { s: left });
      left -= 1;
    };
    tick();
    window.clearInterval(timers.tick);
    timers.tick = window.setInterval(tick, 1000);
    window.clearTimeout(timers.reset);
    timers.reset = window.setTimeout(function () {
      window.clearInterval(timers.tick);
      consumeTransaction();
      backToRate();
    }, resetSeconds * 1000);
  }
  function consumeTransaction() {
    // One transaction, one rating ("一次一评"): the next citizen needs the next number.
    if (!state.txn) { return; }
    state.txn = "";
    state.txnKnown = true;
    var url = new URL(window.location.href);
    url.searchParams.delete("txn");
    window.history.replaceState(null, "", url.pathname + url.search);
  }
  function setTransaction(number) {
    state.txn = (number || "").trim().slice(0, 64);
    state.txnKnown = true;
    renderRateScreen();
    if (!state.txn || !apiKey || !navigator.onLine) { return; }
    var asked = state.txn;
    api("/api/v1/transactions/" + encodeURIComponent(asked)).then(function (res) {
      if (asked !== state.txn) { return; }
      state.txnKnown = res.status !== 404;
      renderRateScreen();
    }).catch(function () { /* offline: accept it, the server decides later */ });
  }

  // --- queue and sync ----------------------------------------------------------------------------------
  function renderBadge() {
    var n = readJSON(QUEUE, []).length;
    var badge = $("sync-badge");
    badge.hidden = n === 0;
    badge.textContent = n === 0 ? "" : n === 1 ? S.waitingOne : fmt(S.waiting, { n: n });
    badge.setAttribute("data-count", String(n));
    var rejected = readJSON(REJECTED, []).length;
    $("rejected-note").hidden = rejected === 0;
    $("rejected-note").textContent = rejected ? fmt(S.rejected, { n: rejected }) : "";
    $("offline-note").hidden = navigator.onLine;
    $("offline-note").textContent = S.offline;
  }
  function scheduleSync(delay) {
    window.clearTimeout(sync.timer);
    sync.timer = window.setTimeout(runSync, delay);
  }
  function backoff() {
    sync.failures += 1;
    var delay = Math.min(MAX_BACKOFF_MS, 2000 * Math.pow(2, sync.failures - 1));
    scheduleSync(delay / 2 + Math.random() * (delay / 2));
  }
  function settle(batch, results) {
    var done = {};
    var rejected = readJSON(REJECTED, []);
    results.forEach(function (r) {
      var sent = batch[r.index];
      if (!sent) { return; }
      if (r.status === "created" || r.status === "duplicate") {
        done[sent.idempotency_key] = true;
      } else if (r.status === "error") {
        done[sent.idempotency_key] = true;
        rejected.push({ rating: sent, errors: r.errors || [], at: new Date().toISOString() });
      }
    });
    writeJSON(REJECTED, rejected.slice(-200));
    // Re-read: ratings may have been queued while the request was in flight.
    writeJSON(QUEUE, readJSON(QUEUE, []).filter(function (q) { return !done[q.idempotency_key]; }));
  }
  function runSync() {
    if (sync.running || !apiKey) { return; }
    var queue = readJSON(QUEUE, []);
    renderBadge();
    if (!queue.length) { sync.failures = 0; return; }
    // The browser knows it has no network: wait for its "online" event instead of sending into the void.
    // (It also keeps a page served by the service worker from syncing past an emulated offline switch.)
    if (!navigator.onLine) { return; }
    var batch = queue.slice(0, sync.batch);
    sync.running = true;
    api("/api/v1/evaluations/bulk", { method: "POST", body: JSON.stringify({ items: batch }) })
      .then(function (res) {
        if (res.status === 200) {
          return res.json().then(function (body) {
            settle(batch, body.results || []);
            sync.failures = 0;
            sync.batch = BATCH;
            state.keyRefused = false;
            return true;
          });
        }
        if (res.status === 401 || res.status === 403) {
          state.keyRefused = true;
          notice(S.keyRefused, true);
          renderRateScreen();
        } else if (res.status === 400) {
          // The batch itself was refused (not one rating): isolate the culprit by sending one at a time.
          if (batch.length === 1) {
            settle(batch, [{ index: 0, status: "error", errors: [] }]);
            return true;
          }
          sync.batch = 1;
        }
        return false;
      })
      .catch(function () { return false; })
      .then(function (ok) {
        sync.running = false;
        renderBadge();
        if (ok) {
          if (readJSON(QUEUE, []).length) { scheduleSync(0); }
        } else {
          backoff();
        }
      });
  }

  // --- start -------------------------------------------------------------------------------------------
  function loadInfo() {
    api("/api/v1/device").then(function (res) {
      if (res.status === 200) {
        return res.json().then(function (body) {
          info = body;
          writeJSON(INFO, body);
          state.keyRefused = false;
          notice("");
          renderInfo();
          setTransaction(state.txn);
        });
      }
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        state.keyRefused = true;
        notice(S.keyRefused, true);
        renderRateScreen();
        return null;
      }
      throw new Error("status " + res.status);
    }).catch(function () {
      // Offline at start: the last known setup keeps the device usable; try again later.
      if (!info) {
        var cached = readJSON(INFO, null);
        if (cached) { info = cached; renderInfo(); }
      }
      window.setTimeout(loadInfo, 15000);
    });
  }

  function init() {
    S = JSON.parse($("device-strings").textContent);
    $("rate-heading").textContent = S.prompt;
    $("reasons-heading").textContent = S.reasonsPrompt;
    $("reasons-back").textContent = S.back;
    $("reasons-submit").textContent = S.submit;
    $("txn-label").textContent = S.txnLabel;
    $("txn-apply").textContent = S.txnApply;
    $("reasons-back").addEventListener("click", backToRate);
    $("reasons-submit").addEventListener("click", submitReasons);
    $("txn-form").addEventListener("submit", function (event) {
      event.preventDefault();
      setTransaction($("txn-input").value);
      $("txn-input").blur();
    });
    window.addEventListener("online", function () { sync.failures = 0; renderBadge(); scheduleSync(0); });
    window.addEventListener("offline", renderBadge);
    window.addEventListener("storage", function (event) { if (event.key === QUEUE) { renderBadge(); } });
    window.setInterval(function () { if (!sync.timer || sync.failures === 0) { scheduleSync(0); } }, CHECK_EVERY_MS);

    apiKey = window.localStorage.getItem(KEY);
    renderBadge();
    if (!apiKey) {
      notice(S.notSetUp, true);
      return;
    }
    show("screen-rate");
    renderRateScreen();
    loadInfo();
    scheduleSync(0);
    var sw = $("kiosk").getAttribute("data-sw-url");
    if (sw && "serviceWorker" in navigator) {
      navigator.serviceWorker.register(sw, { scope: "/device/" }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        var urls = [window.location.pathname];
        document.querySelectorAll("link[rel=stylesheet][href], script[src]").forEach(function (node) {
          urls.push(node.getAttribute("href") || node.getAttribute("src"));
        });
        registration.active.postMessage({ precache: urls });
      }).catch(function () { /* offline reload is a bonus; the queue works without it */ });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
