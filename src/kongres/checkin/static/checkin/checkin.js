/* kongres check-in: scans by hand scanner, typing, camera or name search; an answer that fills
   the screen; an offline queue (localStorage) sent again when the network is back; live counts.
   Without this script the page still works with plain forms.

   The offline queue (security review 2026-12, L7) belongs to the signed-in staff member and the
   edition (the page's data-user and data-edition): each waiting scan is its own localStorage key
   "kongres-checkin-scan:EDITION:USER:NONCE", so two tabs never rewrite each other's list, and a
   scan saved under one account is never sent under another (the page says how many wait for
   another account, and offers to discard them). One tab at a time sends the queue (the Web
   Locks API); the others re-read it when it changes (the storage event). A scan the server
   refuses once sent (the gate was deleted, the person came in elsewhere) moves to the list
   "Refused after sending" with the server's words, until staff dismiss it.

   Deciding offline (issue 18): the page downloads, for the chosen day, the list of valid
   tickets as salted hashes of their codes with the names it shows, signed by the server
   (Ed25519, verified here with WebCrypto and the key the page was served with). Offline, a
   scanned code is at once valid, already in (on the list, or seen on this phone), or unknown
   (forged, replaced, cancelled, another day); it is queued with that verdict all the same, and
   the server's answer wins. A scan the server decides otherwise ("let in here, but already in
   at gate 2") goes to "Conflicts with the server" and the server records it. */
(function () {
  "use strict";

  var app = document.getElementById("ci-app");
  if (!app) { return; }

  var S = JSON.parse(document.getElementById("ci-strings").textContent);
  var SCAN_PREFIX = "kongres-checkin-scan:";
  var REFUSED_PREFIX = "kongres-checkin-refused:";
  var LEGACY_QUEUE_KEY = "kongres-checkin-queue";  /* before L7: one list, owner unknown */
  var OWNER = (app.dataset.edition || "") + ":" + (app.dataset.user || "") + ":";
  var SYNC_LOCK = "kongres-checkin-sync:" + OWNER;
  var DEVICE_KEY = "kongres-checkin-device";
  var CONFLICT_PREFIX = "kongres-checkin-conflict:";
  var LIST_PREFIX = "kongres-checkin-list:" + (app.dataset.edition || "") + ":";
  var SEEN_PREFIX = "kongres-checkin-seen:" + (app.dataset.edition || "") + ":";
  var LIST_REFRESH_MS = 60000;
  var POST_TIMEOUT_MS = 4000;
  var scanForm = document.getElementById("ci-scan");
  var codeInput = document.getElementById("ci-code");
  var resultBox = document.getElementById("ci-result");
  var resultBody = document.getElementById("ci-result-body");
  var announce = document.getElementById("ci-announce");
  var pendingSection = document.getElementById("ci-pending-section");
  var pendingList = document.getElementById("ci-pending");
  var refusedSection = document.getElementById("ci-refused-section");
  var refusedList = document.getElementById("ci-refused");
  var conflictsSection = document.getElementById("ci-conflicts-section");
  var conflictsList = document.getElementById("ci-conflicts");
  var listStatus = document.getElementById("ci-list-status");
  var othersBox = document.getElementById("ci-others");
  var othersText = document.getElementById("ci-others-text");
  var othersDiscard = document.getElementById("ci-others-discard");
  var recentList = document.getElementById("ci-recent");
  var network = document.getElementById("ci-network");
  var loginNeeded = document.getElementById("ci-login-needed");
  var countIn = document.getElementById("ci-count-in");
  var countExpected = document.getElementById("ci-count-expected");
  var searchForm = document.getElementById("ci-search-form");
  var resultsWrap = document.getElementById("ci-results-wrap");
  var csrf = scanForm.querySelector("[name=csrfmiddlewaretoken]").value;
  var hideTimer = null;
  var syncing = false;
  var offlineList = null;  /* {at, salt, entries: Map(hash → {name, inside})} */

  /* --- small helpers --- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, key) { return String(values[key]); });
  }

  function randomId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function deviceId() {
    var id = localStorage.getItem(DEVICE_KEY);
    if (!id) { id = randomId().slice(0, 12); localStorage.setItem(DEVICE_KEY, id); }
    return id;
  }

  /* Hours and minutes in the edition's time zone (the server's answers say the same), not the
     phone's. */
  var clock = null;
  try {
    clock = new Intl.DateTimeFormat("en-GB", {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: app.dataset.zone || undefined
    });
  } catch (e) { clock = null; }

  function hhmm(iso) {
    var d = new Date(iso);
    if (clock) { return clock.format(d); }
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function shortCode(code) {
    var clean = (code || "").replace(/\s+/g, "");
    return clean.length > 8 ? clean.slice(0, 8) + "…" : clean;
  }

  function refocus() {
    var active = document.activeElement;
    var busy = active && active !== document.body && active !== codeInput &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
    if (!busy) { codeInput.focus(); }
  }

  /* --- the offline queue: one key per scan, per edition and staff member --- */

  function storedKeys(prefix) {
    var keys = [];
    for (var i = 0; i < localStorage.length; i += 1) {
      var key = localStorage.key(i);
      if (key && key.indexOf(prefix) === 0) { keys.push(key); }
    }
    return keys;
  }

  function storedItems(prefix) {
    var items = [];
    storedKeys(prefix).forEach(function (key) {
      try {
        var item = JSON.parse(localStorage.getItem(key));
        if (item && item.nonce) { items.push(item); }
      } catch (e) { /* not ours to read */ }
    });
    items.sort(function (a, b) { return (a.at || "") < (b.at || "") ? -1 : (a.at || "") > (b.at || "") ? 1 : 0; });
    return items;
  }

  /* This staff member's waiting scans at this edition, oldest first. */
  function queueLoad() { return storedItems(SCAN_PREFIX + OWNER); }

  function refusedLoad() { return storedItems(REFUSED_PREFIX + OWNER); }

  function conflictsLoad() { return storedItems(CONFLICT_PREFIX + OWNER); }

  /* A scan decided offline that the server decided otherwise: kept until staff dismiss it. */
  function conflict(item, message) {
    var kept = { nonce: item.nonce, at: item.at, code: item.code, label: item.label, message: message };
    localStorage.setItem(CONFLICT_PREFIX + OWNER + item.nonce, JSON.stringify(kept));
    dequeue(item.nonce);
  }

  function enqueue(item) {
    localStorage.setItem(SCAN_PREFIX + OWNER + item.nonce, JSON.stringify(item));
    renderQueue();
  }

  function dequeue(nonce) {
    localStorage.removeItem(SCAN_PREFIX + OWNER + nonce);
    renderQueue();
  }

  /* A sent scan the server refused: kept, with the server's words, until staff dismiss it
     (written before the waiting copy is removed: a closed tab loses neither). */
  function refuse(item, message) {
    var refused = { nonce: item.nonce, at: item.at, code: item.code, label: item.label, message: message };
    localStorage.setItem(REFUSED_PREFIX + OWNER + item.nonce, JSON.stringify(refused));
    dequeue(item.nonce);
  }

  /* Scans waiting on this device for another account (or edition): never sent from here. */
  function othersKeys() {
    var mine = SCAN_PREFIX + OWNER;
    var keys = storedKeys(SCAN_PREFIX).filter(function (key) { return key.indexOf(mine) !== 0; });
    return localStorage.getItem(LEGACY_QUEUE_KEY) ? keys.concat([LEGACY_QUEUE_KEY]) : keys;
  }

  function othersCount() {
    var count = 0;
    othersKeys().forEach(function (key) {
      if (key !== LEGACY_QUEUE_KEY) { count += 1; return; }
      try { count += (JSON.parse(localStorage.getItem(key)) || []).length; } catch (e) { count += 1; }
    });
    return count;
  }

  /* One tab at a time sends the queue: the others skip (the sending tab reads new scans too). */
  function withSyncLock(run) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(SYNC_LOCK, { ifAvailable: true }, function (lock) {
        return lock ? run() : null;
      });
    }
    return run();
  }

  function renderPending() {
    var queue = queueLoad();
    pendingList.replaceChildren();
    queue.forEach(function (item) {
      var li = el("li", "ci-recent__item ci-recent__item--pending");
      li.appendChild(el("time", null, hhmm(item.at))).setAttribute("datetime", item.at);
      li.appendChild(el("span", "ci-recent__who", item.label || shortCode(item.code)));
      li.appendChild(el("span", "ci-recent__what", S.pending));
      pendingList.appendChild(li);
    });
    pendingSection.hidden = queue.length === 0;
  }

  function renderRefused() {
    var refused = refusedLoad();
    refusedList.replaceChildren();
    refused.forEach(function (item) {
      var li = el("li", "ci-recent__item ci-recent__item--no");
      var who = item.label || shortCode(item.code);
      li.appendChild(el("time", null, hhmm(item.at))).setAttribute("datetime", item.at);
      li.appendChild(el("span", "ci-recent__who", who));
      li.appendChild(el("span", "ci-recent__what", item.message || S.server_error));
      var dismiss = el("button", "ci-link-button ci-refused__dismiss", S.dismiss + " ");
      dismiss.type = "button";
      dismiss.dataset.nonce = item.nonce;
      dismiss.appendChild(el("span", "visually-hidden", who));
      li.appendChild(dismiss);
      refusedList.appendChild(li);
    });
    refusedSection.hidden = refused.length === 0;
  }

  function renderConflicts() {
    var kept = conflictsLoad();
    conflictsList.replaceChildren();
    kept.forEach(function (item) {
      var li = el("li", "ci-recent__item ci-recent__item--no");
      var who = item.label || shortCode(item.code);
      li.appendChild(el("time", null, hhmm(item.at))).setAttribute("datetime", item.at);
      li.appendChild(el("span", "ci-recent__who", who));
      li.appendChild(el("span", "ci-recent__what", item.message));
      var dismiss = el("button", "ci-link-button ci-refused__dismiss", S.dismiss + " ");
      dismiss.type = "button";
      dismiss.dataset.nonce = item.nonce;
      dismiss.appendChild(el("span", "visually-hidden", who));
      li.appendChild(dismiss);
      conflictsList.appendChild(li);
    });
    conflictsSection.hidden = kept.length === 0;
  }

  function renderOthers() {
    var count = othersCount();
    othersText.textContent = count ? format(S.others, { count: count }) : "";
    othersBox.hidden = count === 0;
  }

  function renderQueue() {
    renderPending();
    renderRefused();
    renderConflicts();
    renderOthers();
  }

  conflictsList.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-nonce]");
    if (!button) { return; }
    localStorage.removeItem(CONFLICT_PREFIX + OWNER + button.dataset.nonce);
    renderQueue();
    refocus();
  });

  /* --- the signed list for offline decisions --- */

  function placeKey() { return (app.dataset.day || "") + ":" + (app.dataset.session || ""); }

  function base64urlBytes(text) {
    var plain = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(plain.length);
    for (var i = 0; i < plain.length; i += 1) { bytes[i] = plain.charCodeAt(i); }
    return bytes;
  }

  function normalise(code) { return (code || "").replace(/\s+/g, "").replace(/-/g, "").toUpperCase().slice(0, 64); }

  function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("").slice(0, 32);
    });
  }

  /* The list's hash of a code (salted per list, as kongres.checkin.offline.code_hash). */
  function codeHash(salt, code) { return sha256(salt + ":" + normalise(code)); }

  /* The mark of a code seen on this phone: the same whatever list is loaded (a fresh list
     has a fresh salt, and may not know yet of the scans still waiting here). */
  function seenHash(code) { return sha256("seen:" + normalise(code)); }

  /* The payload of a signed list when its signature holds and it is this page's edition, day
     and session; otherwise null. */
  function verifyList(signed) {
    if (!signed || typeof signed.payload !== "string" || typeof signed.signature !== "string" ||
        !window.crypto || !crypto.subtle || !app.dataset.listKey) {
      return Promise.resolve(null);
    }
    return crypto.subtle.importKey("raw", base64urlBytes(app.dataset.listKey), { name: "Ed25519" }, false, ["verify"])
      .then(function (key) {
        return crypto.subtle.verify({ name: "Ed25519" }, key, base64urlBytes(signed.signature),
          new TextEncoder().encode(signed.payload));
      })
      .then(function (valid) {
        if (!valid) { return null; }
        var payload = JSON.parse(signed.payload);
        var same = String(payload.edition) === app.dataset.edition && String(payload.day) === app.dataset.day &&
          String(payload.session || "") === (app.dataset.session || "");
        return same ? payload : null;
      })
      .catch(function () { return null; });
  }

  function useList(payload) {
    if (!payload) {
      offlineList = null;
      return;
    }
    var entries = new Map();
    payload.entries.forEach(function (row) { entries.set(row[0], { name: row[1], inside: !!row[2] }); });
    offlineList = { at: payload.at, salt: payload.salt, entries: entries, place: placeKey() };
    listStatus.textContent = format(S.list_ready, { count: entries.size, time: hhmm(payload.at) });
    listStatus.hidden = false;
  }

  /* The list kept on this phone for the chosen day: used when its signature holds. */
  function loadStoredList() {
    var raw = localStorage.getItem(LIST_PREFIX + placeKey());
    if (!raw) { offlineList = null; listStatus.hidden = true; return Promise.resolve(); }
    var signed = null;
    try { signed = JSON.parse(raw); } catch (e) { signed = null; }
    return verifyList(signed).then(function (payload) {
      useList(payload);
      if (!payload) {
        listStatus.textContent = S.list_invalid;
        listStatus.hidden = false;
      }
    });
  }

  /* A fresh list from the server, kept (only the chosen day's: older ones are removed). */
  function fetchList() {
    var place = placeKey();
    var url = app.dataset.listUrl + "?day=" + encodeURIComponent(app.dataset.day || "") +
      (app.dataset.session ? "&session=" + encodeURIComponent(app.dataset.session) : "");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (signed) {
        return verifyList(signed).then(function (payload) {
          if (!payload || place !== placeKey()) { return; }
          storedKeys(LIST_PREFIX).forEach(function (key) { localStorage.removeItem(key); });
          try {
            localStorage.setItem(LIST_PREFIX + place, JSON.stringify(signed));
          } catch (e) { /* full: the list still serves in memory */ }
          useList(payload);
        });
      }, function () { /* offline: the stored list serves */ });
  }

  function seenKey(hash) { return SEEN_PREFIX + placeKey() + ":" + hash; }

  /* What the list says of a scanned code: {verdict: ok|already|unknown, name}, or null
     without a list (or for a check-in by name). A valid one is marked seen on this phone. */
  function decideOffline(item) {
    if (!offlineList || !item.code || offlineList.place !== placeKey()) { return Promise.resolve(null); }
    var list = offlineList;
    return Promise.all([codeHash(list.salt, item.code), seenHash(item.code)]).then(function (hashes) {
      var entry = list.entries.get(hashes[0]);
      if (!entry) { return { verdict: "unknown", name: "" }; }
      if (entry.inside || localStorage.getItem(seenKey(hashes[1]))) { return { verdict: "already", name: entry.name }; }
      localStorage.setItem(seenKey(hashes[1]), new Date().toISOString());
      return { verdict: "ok", name: entry.name };
    }, function () { return null; });
  }

  /* A scan the server let in (or found already in): seen on this phone. */
  function markSeen(item) {
    if (!item.code || !window.crypto || !crypto.subtle) { return; }
    var list = offlineList;
    if (list) {
      codeHash(list.salt, item.code).then(function (hash) {
        var entry = list.entries.get(hash);
        if (entry) { entry.inside = true; }
      }, function () { /* nothing to mark */ });
    }
    seenHash(item.code).then(function (hash) {
      localStorage.setItem(seenKey(hash), new Date().toISOString());
    }, function () { /* nothing to mark */ });
  }

  /* The phone's lists and marks name people: they go when staff log out. */
  function forgetLists() {
    storedKeys(LIST_PREFIX).concat(storedKeys(SEEN_PREFIX)).forEach(function (key) { localStorage.removeItem(key); });
  }

  refusedList.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-nonce]");
    if (!button) { return; }
    localStorage.removeItem(REFUSED_PREFIX + OWNER + button.dataset.nonce);
    renderQueue();
    refocus();
  });

  othersDiscard.addEventListener("click", function () {
    othersKeys().forEach(function (key) { localStorage.removeItem(key); });
    renderQueue();
    announce.textContent = S.others_discarded;
    refocus();
  });

  function setOffline(offline) {
    network.hidden = !offline;
  }

  /* --- answers --- */

  function hideResult() {
    clearTimeout(hideTimer);
    resultBox.hidden = true;
    refocus();
  }

  function showResult(kind, data) {
    clearTimeout(hideTimer);
    resultBody.replaceChildren();
    resultBody.appendChild(el("p", "ci-result__headline", (kind === "ok" ? "✔ " : kind === "no" ? "✖ " : "… ") + data.headline));
    if (data.name) { resultBody.appendChild(el("p", "ci-result__name", data.name)); }
    if (data.institution) { resultBody.appendChild(el("p", "ci-result__institution", data.institution)); }
    if (data.days && data.days.length) { resultBody.appendChild(el("p", "ci-result__days", S.days + " " + data.days.join(", "))); }
    if (data.message) { resultBody.appendChild(el("p", "ci-result__detail", data.message)); }
    var close = el("button", "ci-button ci-result__close", resultBox.dataset.closeLabel);
    close.type = "button";
    resultBody.appendChild(close);
    resultBox.className = "ci-result ci-result--overlay ci-result--" + kind;
    resultBox.hidden = false;
    announce.textContent = data.headline + (data.name ? ": " + data.name : "") + ". " + (data.message || "");
    if (navigator.vibrate) { navigator.vibrate(kind === "ok" ? 80 : [200, 100, 200]); }
    if (kind === "ok") { hideTimer = setTimeout(hideResult, 2500); }
    codeInput.focus();
  }

  function addRecent(data, label) {
    var empty = recentList.querySelector(".ci-recent__empty");
    if (empty) { empty.remove(); }
    var li = el("li", "ci-recent__item ci-recent__item--" + (data.ok ? "ok" : "no"));
    li.appendChild(el("time", null, hhmm(data.scanned_at))).setAttribute("datetime", data.scanned_at);
    li.appendChild(el("span", "ci-recent__who", data.name || label || "—"));
    li.appendChild(el("span", "ci-recent__what", data.headline + (data.previous ? " (" + data.message + ")" : "")));
    recentList.insertBefore(li, recentList.firstChild);
    while (recentList.children.length > 20) { recentList.lastChild.remove(); }
  }

  /* --- talking to the server --- */

  function post(item) {
    var body = new URLSearchParams();
    ["code", "registration", "day", "gate", "session", "nonce", "at", "device", "by", "offline"].forEach(function (key) {
      if (item[key]) { body.append(key, item[key]); }
    });
    /* A network that hangs is no network: after a few seconds the scan is decided here (if
       it did reach the server, its nonce makes the resend harmless). */
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, POST_TIMEOUT_MS) : null;
    return fetch(app.dataset.scanUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return null; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  /* What to do with a server's answer: "done" (answered, forget it) or "keep" (send again);
     "refused" when the server said no, with its words in "message". */
  function settle(answer, item, show) {
    var data = answer.data || {};
    if ((answer.status === 200 || answer.status === 409) && answer.data) {
      addRecent(data, item.label || shortCode(item.code));
      if (data.ok || data.code === "already_checked_in") { markSeen(item); }
      if (show) { showResult(data.ok ? "ok" : "no", data); }
      var said = data.headline + (data.message ? ": " + data.message : "");
      if (item.offline && data.conflict) {
        var words = item.offline === "ok"
          ? format(S.conflict_in, { headline: data.headline, message: data.message || "" })
          : S.conflict_out;
        return { done: true, refused: !data.ok, conflict: true, name: data.name, message: words };
      }
      /* Refused offline and by the server alike: nothing more to tell. */
      var agreed = item.offline && item.offline !== "ok" && !data.ok;
      return { done: true, refused: !data.ok, agreed: agreed, message: said };
    }
    /* 403: the session ended (our JSON says "login"), wants the second factor ("two_factor"),
       or Django's CSRF check refused the scan
       (an HTML page: the cookies are gone). Either way, log in again. */
    if (answer.status === 403 && (!answer.data || data.code === "login" || data.code === "two_factor")) {
      loginNeeded.hidden = false;
      if (show) { showResult("pending", { headline: S.saved_offline, message: S.login_again }); }
      return { done: false, login: true };
    }
    /* Any other 4xx but "not allowed", "too many" and "too slow" is the server's final no
       (422: the scan is not valid any more, for instance its gate was deleted). */
    if (answer.status >= 400 && answer.status < 500 && [403, 408, 429].indexOf(answer.status) < 0) {
      if (show) { showResult("no", { headline: data.message || S.server_error }); }
      return { done: true, refused: true, message: data.message || S.server_error };
    }
    if (show) { showResult("pending", { headline: S.saved_offline, message: data.message || S.server_error }); }
    return { done: false };
  }

  /* Keep a scan on the phone, decided from the list when there is one. */
  function keepOffline(item) {
    return decideOffline(item).then(function (decision) {
      if (!decision) {
        enqueue(item);
        showResult("pending", { headline: S.saved_offline, message: S.saved_offline_detail, name: item.label });
        return;
      }
      item.offline = decision.verdict;
      item.label = item.label || decision.name;
      enqueue(item);
      if (decision.verdict === "ok") {
        showResult("ok", { headline: S.offline_ok, name: decision.name, message: S.offline_saved });
      } else if (decision.verdict === "already") {
        showResult("no", { headline: S.offline_already, name: decision.name, message: S.offline_already_detail + " " + S.offline_saved });
      } else {
        showResult("no", { headline: S.offline_unknown, message: S.offline_unknown_detail + " " + S.offline_saved });
      }
    });
  }

  function scan(item) {
    item.nonce = randomId();
    item.at = new Date().toISOString();
    item.day = app.dataset.day;
    item.gate = app.dataset.gate;
    item.session = app.dataset.session;
    item.device = deviceId();
    item.by = app.dataset.user;
    if (queueLoad().length) {
      /* Keep the order: while older scans wait, this one waits too. */
      keepOffline(item).then(sync);
      return;
    }
    post(item).then(function (answer) {
      setOffline(false);
      var outcome = settle(answer, item, true);
      if (!outcome.done) { enqueue(item); }
      refreshCounts();
    }, function () {
      setOffline(true);
      keepOffline(item);
    });
  }

  /* Send the waiting scans, oldest first, one at a time, re-reading the queue after each (the
     other tabs may have added some); stop at the first that must wait (no network, no
     session). */
  function sync() {
    if (syncing || !queueLoad().length) { return; }
    syncing = true;
    var sent = 0;
    var refused = 0;
    var conflicts = 0;
    var tried = {};
    function next() {
      var item = queueLoad().filter(function (q) { return !tried[q.nonce]; })[0];
      if (!item) { return Promise.resolve(); }
      tried[item.nonce] = true;
      return post(item).then(function (answer) {
        setOffline(false);
        var outcome = settle(answer, item, false);
        loginNeeded.hidden = !outcome.login;
        if (!outcome.done) { return; }
        sent += 1;
        if (outcome.refused) { refused += 1; }
        if (outcome.conflict) {
          conflicts += 1;
          item.label = item.label || outcome.name;
          conflict(item, outcome.message);
        } else if (outcome.refused && !outcome.agreed) {
          refuse(item, outcome.message);
        } else {
          dequeue(item.nonce);
        }
        return next();
      });
    }
    Promise.resolve(withSyncLock(next)).then(function () {
      if (sent) {
        announce.textContent = format(S.synced, { sent: sent, refused: refused }) +
          (conflicts ? " " + format(S.conflicts_announce, { count: conflicts }) : "");
        refreshCounts();
        fetchList();
      }
    }, function () {
      setOffline(true);
    }).then(function () {
      syncing = false;
      renderQueue();
    });
  }

  function refreshCounts() {
    var url = app.dataset.countsUrl + "?day=" + encodeURIComponent(app.dataset.day) +
      (app.dataset.session ? "&session=" + encodeURIComponent(app.dataset.session) : "");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        setOffline(false);
        if (data) {
          countIn.textContent = data.checked_in;
          countExpected.textContent = data.expected;
        }
        if (queueLoad().length) { sync(); }
      }, function () { setOffline(true); });
  }

  /* --- search --- */

  function renderResults(results) {
    resultsWrap.replaceChildren();
    resultsWrap.appendChild(el("p", "ci-help", format(S.found, { count: results.length }))).id = "ci-results-count";
    var list = el("ul", "ci-list");
    list.id = "ci-results";
    results.forEach(function (person) {
      var li = el("li", "ci-person");
      li.appendChild(el("p", "ci-person__name", person.name));
      if (person.institution) { li.appendChild(el("p", "ci-person__institution", person.institution)); }
      li.appendChild(el("p", "ci-person__status", person.status_label));
      var button = el("button", "ci-button", S.check_in + " ");
      button.appendChild(el("span", "visually-hidden", person.name));
      button.type = "button";
      button.dataset.registration = person.id;
      button.dataset.label = person.name;
      li.appendChild(button);
      list.appendChild(li);
    });
    resultsWrap.appendChild(list);
  }

  searchForm.addEventListener("submit", function (event) {
    var q = searchForm.querySelector("[name=q]").value.trim();
    event.preventDefault();
    fetch(app.dataset.searchUrl + "?q=" + encodeURIComponent(q), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) { return response.json(); })
      .then(function (data) { setOffline(false); renderResults(data.results || []); },
        function () { setOffline(true); });
  });

  resultsWrap.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-registration]");
    if (button) { scan({ registration: button.dataset.registration, label: button.dataset.label }); }
  });

  /* Result forms rendered by the server (a search done without the script, then enhanced). */
  resultsWrap.addEventListener("submit", function (event) {
    var form = event.target.closest(".ci-checkin-form");
    if (!form) { return; }
    event.preventDefault();
    var name = form.closest(".ci-person").querySelector(".ci-person__name").textContent;
    scan({ registration: form.querySelector("[name=registration]").value, label: name });
  });

  /* --- scanning --- */

  scanForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    codeInput.value = "";
    if (code) { scan({ code: code }); }
  });

  codeInput.addEventListener("input", function () {
    if (!resultBox.hidden && resultBox.classList.contains("ci-result--overlay")) {
      clearTimeout(hideTimer);
      resultBox.hidden = true;
    }
  });
  resultBox.addEventListener("click", hideResult);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !resultBox.hidden) { hideResult(); }
  });

  /* Camera: the browser's BarcodeDetector where it exists, else jsQR on canvas frames. */
  var cameraButton = document.getElementById("ci-camera-button");
  var video = document.getElementById("ci-camera-view");
  var stream = null;
  var lastCode = "";
  var lastAt = 0;

  function found(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < 4000) { return; }
    lastCode = code;
    lastAt = now;
    scan({ code: code });
  }

  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    cameraButton.textContent = S.camera_start;
    cameraButton.setAttribute("aria-pressed", "false");
  }

  function startCamera() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        cameraButton.textContent = S.camera_stop;
        cameraButton.setAttribute("aria-pressed", "true");
        return video.play();
      })
      .then(function () {
        var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d", { willReadFrequently: true });
        function tick() {
          if (!stream) { return; }
          var done = function () { setTimeout(tick, 200); };
          if (video.readyState < 2) { done(); return; }
          if (detector) {
            detector.detect(video).then(function (codes) {
              if (codes.length) { found(codes[0].rawValue); }
            }).then(done, done);
            return;
          }
          if (typeof window.jsQR === "function") {
            canvas.width = video.videoWidth;
            canvas.height = video.videoHeight;
            context.drawImage(video, 0, 0, canvas.width, canvas.height);
            var image = context.getImageData(0, 0, canvas.width, canvas.height);
            var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
            if (code && code.data) { found(code.data); }
          }
          done();
        }
        tick();
      })
      .catch(function () {
        stopCamera();
        showResult("no", { headline: S.camera_unavailable });
      });
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", function () {
      if (stream) { stopCamera(); } else { startCamera(); }
    });
  }

  /* --- day and gate: change without a reload --- */

  var placeForm = document.getElementById("ci-place-form");
  placeForm.addEventListener("change", function () {
    /* A session (its door, its counts, the day's sessions) is chosen with the button: the
       page is then drawn for it. Only a gate and a day at the entrance change in place. */
    var sessionField = placeForm.querySelector("[name=session]");
    if (app.dataset.session || (sessionField && sessionField.value)) { return; }
    app.dataset.day = placeForm.querySelector("[name=day]").value;
    app.dataset.gate = placeForm.querySelector("[name=gate]").value;
    document.querySelectorAll("input[type=hidden][name=day]").forEach(function (input) { input.value = app.dataset.day; });
    document.querySelectorAll("input[type=hidden][name=gate]").forEach(function (input) { input.value = app.dataset.gate; });
    refreshCounts();
    loadStoredList().then(fetchList);
  });

  /* --- start --- */

  if (!resultBox.hidden) { resultBox.classList.add("ci-result--overlay"); }
  renderQueue();
  /* Another tab changed the queue: show it as it is now. */
  window.addEventListener("storage", function (event) {
    var key = event.key || "";
    if (!key || key.indexOf(SCAN_PREFIX) === 0 || key.indexOf(REFUSED_PREFIX) === 0 ||
        key.indexOf(CONFLICT_PREFIX) === 0 || key === LEGACY_QUEUE_KEY) {
      renderQueue();
    }
  });
  window.addEventListener("online", sync);
  window.addEventListener("offline", function () { setOffline(true); });
  setInterval(refreshCounts, (parseInt(app.dataset.poll, 10) || 5) * 1000);
  /* Marks of other days are of no use any more. */
  storedKeys(SEEN_PREFIX).forEach(function (key) {
    if (key.indexOf(SEEN_PREFIX + (app.dataset.day || "") + ":") !== 0) { localStorage.removeItem(key); }
  });
  loadStoredList().then(fetchList);
  setInterval(fetchList, LIST_REFRESH_MS);
  sync();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.swUrl).catch(function () { /* page still works */ });
  }
  document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
    form.addEventListener("submit", function () {
      forgetLists();
      if (window.caches) {

        caches.keys().then(function (keys) {
          keys.forEach(function (key) { if (key.indexOf("kongres-checkin-") === 0) { caches.delete(key); } });
        });
      }
    });
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refocus(); } });
})();
