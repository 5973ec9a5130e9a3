// Polls the certificate batch's JSON status and moves the progress bar until the batch has finished.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box || box.dataset.finished === "true") return;
  var bar = box.querySelector(".batch-bar");
  var count = box.querySelector(".batch-count");
  var failed = box.querySelector(".batch-failed");
  var error = box.querySelector(".batch-error");
  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + " %";
    count.textContent = status.done;
    failed.textContent = status.failed;
    if (status.error) {
      error.textContent = status.error;
      error.hidden = false;
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
