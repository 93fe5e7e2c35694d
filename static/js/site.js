// Enhancements only: every page works the same with JavaScript off.
(function () {
  "use strict";

  // After a failed submission, take keyboard and screen-reader users straight
  // to the list of problems (each item links to its field).
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  // The signing form says, as it is sent, how long its page had been open,
  // by this browser's clock: the page is the same for every visitor (a
  // proxy keeps it), so it carries no time of its own. Sent without this,
  // or too soon, a signature waits for its emailed link and is marked for
  // review (signatures/forms.py); it is never dropped.
  var shownFor = document.querySelector("input[name=shown_for]");
  if (shownFor && window.performance) {
    shownFor.form.addEventListener("submit", function () {
      shownFor.value = String(Math.round(window.performance.now()));
    });
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

  // Keep the count current while the page is open (it is cached for a few
  // seconds on the server, so this costs the database nothing).
  var progress = document.querySelector("[data-count-url]");
  if (progress && window.fetch) {
    var number = progress.querySelector(".progress-count strong");
    var bar = progress.querySelector("progress");
    var format = new Intl.NumberFormat(progress.getAttribute("data-locale"));
    window.setInterval(function () {
      if (document.hidden) {
        return;
      }
      fetch(progress.getAttribute("data-count-url"), { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.count >= Number(bar.value)) {
            number.textContent = format.format(data.count);
            bar.max = data.goal;
            bar.value = data.count;
          }
        })
        .catch(function () {});
    }, 15000);
  }
})();
