/* Service worker of the rating device: the kiosk page and its assets load even when the hall's network is
   down (network first, the last good copy as fallback). API calls are never cached or answered here: the
   page queues ratings itself and syncs them when the network is back. */
"use strict";
var CACHE = "hcp-device-v1";

self.addEventListener("install", function (event) {
  // API calls bypass this worker altogether where the browser can route statically (Chromium 123+): they are
  // never cached here, and the page's own offline handling then sees exactly what the network does.
  if (event.addRoutes) {
    event.waitUntil(
      event.addRoutes({ condition: { urlPattern: "/api/*" }, source: "network" }).catch(function () {})
    );
  }
  self.skipWaiting();
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// The kiosk page tells us what it is made of (its own URL, stylesheets, scripts), so that the very first
// load is enough to come back offline; asset URLs carry content hashes the worker cannot guess.
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.precache) || [];
  var same = urls.filter(function (u) { return new URL(u, self.location.href).origin === self.location.origin; });
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(same); }).catch(function () {}));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  var cacheable = path === "/device/" || path.indexOf("/static/") === 0 || path.indexOf("/theme/") === 0;
  if (!cacheable) { return; }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, { ignoreSearch: path === "/device/", ignoreVary: true }).then(function (hit) {
        return hit || Response.error();
      });
    })
  );
});
