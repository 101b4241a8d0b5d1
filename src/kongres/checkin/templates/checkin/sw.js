/* kongres check-in service worker: keeps the check-in page and its files, so that the page
   opens without a network. The page is asked from the network first (a fresh CSRF token and
   counts), the files from the cache. Scans are queued by the page itself, not here. */
"use strict";
const CACHE = "kongres-checkin-{{ version }}";
const PAGE = "{{ page_url|escapejs }}";
const FILES = [{% for file in files %}"{{ file|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([PAGE, ...FILES]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((key) => key.startsWith("kongres-checkin-") && key !== CACHE)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

function pageFromNetwork(request, url) {
  return fetch(request).then((response) => {
    if (response.ok && !response.redirected && url.search === "") {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(PAGE, copy));
    }
    return response;
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(new Promise((resolve) => {
      let settled = false;
      const fallback = () => caches.match(PAGE).then((hit) => {
        if (hit && !settled) { settled = true; resolve(hit); }
        return hit;
      });
      const timer = setTimeout(fallback, NETWORK_WAIT_MS);
      pageFromNetwork(request, url).then((response) => {
        clearTimeout(timer);
        if (!settled) { settled = true; resolve(response); }
      }, () => {
        clearTimeout(timer);
        fallback().then((hit) => {
          if (!settled) { settled = true; resolve(hit || Response.error()); }
        });
      });
    }));
    return;
  }
  if (FILES.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
  }
});
