// Enhancements only: every page works the same with JavaScript off.
(function () {
  "use strict";

  // After a failed submission, take keyboard and screen-reader users straight
  // to the list of problems (each item links to its field).
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  // "Copy link" next to the petition's address on the thank-you pages.
  var button = document.querySelector("[data-copy-target]");
  if (button && navigator.clipboard) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("aria-describedby"));
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied");
        }
      });
    });
  }
})();
