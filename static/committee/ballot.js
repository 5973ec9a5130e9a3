// Counts the approvals on the ballot and warns above the limit K; the server checks the same rule.
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  if (!form) return;
  var limit = parseInt(form.dataset.limit, 10);
  var counter = document.getElementById("approval-count");
  var submit = form.querySelector("button[type=submit]");
  var initial = counter.textContent;
  function update() {
    var approvals = form.querySelectorAll("input[type=radio][value=approve]:checked").length;
    var over = approvals > limit;
    counter.classList.toggle("text-danger", over);
    counter.textContent = initial + " (" + approvals + " / " + limit + ")";
    submit.disabled = over;
  }
  form.addEventListener("change", update);
  update();
})();
