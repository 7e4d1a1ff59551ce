/* Reports page: show the fields a kind needs, and poll the progress of unfinished reports.
   Plain JavaScript, no library, nothing fetched from outside this server. */
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("report-labels").textContent);

  function showFields() {
    var select = document.getElementById("kind");
    if (!select) { return; }
    var option = select.options[select.selectedIndex];
    var subject = option.getAttribute("data-subject");
    var kind = option.value;
    document.querySelectorAll("#report-form [data-for]").forEach(function (group) {
      var wanted = group.getAttribute("data-for");
      group.style.display = (wanted === subject || wanted === kind) ? "" : "none";
    });
  }

  function setRow(row, report) {
    row.setAttribute("data-status", report.status);
    var bar = row.querySelector(".progress-bar");
    bar.style.width = report.progress + "%";
    bar.setAttribute("aria-valuenow", report.progress);
    bar.textContent = (labels.status[report.status] || report.status) + " " + report.progress + "%";
    bar.classList.toggle("progress-bar-success", report.status === "done");
    bar.classList.toggle("progress-bar-danger", report.status === "failed");
    if (report.status === "done") {
      var cell = row.querySelector(".report-download");
      if (!cell.querySelector("a")) {
        var link = document.createElement("a");
        link.className = "btn btn-xs btn-success";
        link.href = labels.download_url.replace(/0$/, String(report.id));
        link.textContent = labels.download;
        cell.appendChild(link);
      }
    }
  }

  function poll() {
    var table = document.getElementById("report-list");
    var pending = table.querySelectorAll("tr[data-status='queued'], tr[data-status='running']");
    if (!pending.length) { return; }
    var ids = Array.prototype.map.call(pending, function (row) { return row.getAttribute("data-id"); });
    var request = new XMLHttpRequest();
    request.open("GET", table.getAttribute("data-status-url") + "?ids=" + ids.join(","));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status === 200) {
        JSON.parse(request.responseText).result.forEach(function (report) {
          var row = table.querySelector("tr[data-id='" + report.id + "']");
          if (row) { setRow(row, report); }
        });
      }
      window.setTimeout(poll, 2000);
    };
    request.onerror = function () { window.setTimeout(poll, 5000); };
    request.send();
  }

  var select = document.getElementById("kind");
  if (select) { select.addEventListener("change", showFields); }
  showFields();
  window.setTimeout(poll, 1500);
}());
