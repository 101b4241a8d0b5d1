/* The admin's check-in list: refresh the day counts every five seconds, without a reload. */
(function () {
  "use strict";
  var table = document.getElementById("checkin-counts");
  if (!table) { return; }
  function refresh() {
    fetch(table.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.days.forEach(function (day) {
          var row = table.querySelector("tr[data-day='" + day.day + "']");
          if (!row) { return; }
          row.querySelector(".checkin-in").textContent = day.checked_in;
          row.querySelector(".checkin-expected").textContent = day.expected;
        });
      }, function () { /* keep the last numbers */ });
  }
  setInterval(refresh, 5000);
})();
