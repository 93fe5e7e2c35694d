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
  // review (signatures/forms.py); it is never dropped. After a form error
  // the field comes back with the time already spent on the first page:
  // that time is added, not replaced, so a person fixing a typo at once is
  // not taken for a script.
  var shownFor = document.querySelector("input[name=shown_for]");
  var spentBefore = shownFor ? Number(shownFor.value) || 0 : 0;
  function writeShownFor() {
    if (shownFor && window.performance) {
      shownFor.value = String(Math.round(spentBefore + window.performance.now()));
    }
  }

  // Where the visitor came from: the landing link's ?source= and ?ref=. The
  // campaign page is one copy for everyone (the proxy ignores the query
  // string), so the server cannot write them in; this does, into the sign
  // form's hidden fields, which the server checks (signatures/forms.py).
  // A form sent back with errors already has them.
  if (window.URLSearchParams) {
    var landing = new URLSearchParams(window.location.search);
    ["source", "ref"].forEach(function (name) {
      var input = document.querySelector("form.sign-form input[name=" + name + "]");
      var value = landing.get(name);
      if (input && !input.value && value) {
        input.value = value.slice(0, 100);
      }
    });
  }

  // The server's own word on when the form was shown: a signed time from
  // count.json, fetched as the page loads (signatures/form_clock.py). A form
  // sent back with errors keeps the time of its first showing. Asked past
  // the browser's cache, which also brings the count up to date at once.
  var issued = document.querySelector("input[name=issued]");
  var progress = document.querySelector("[data-count-url]");
  var number = progress && progress.querySelector(".progress-count strong");
  var bar = progress && progress.querySelector("progress");
  var format = progress && new Intl.NumberFormat(progress.getAttribute("data-locale"));

  function showCount(data) {
    if (progress && data && data.count >= Number(bar.value)) {
      number.textContent = format.format(data.count);
      bar.max = data.goal;
      bar.value = data.count;
    }
  }

  function fetchCount(url, options) {
    return fetch(url, options)
      .then(function (response) { return response.ok ? response.json() : null; });
  }

  // Settled once the time is in the form, or given up on (never rejects).
  var issuedArrived = null;
  if (window.fetch && ((issued && !issued.value) || progress)) {
    var url = issued ? issued.form.getAttribute("data-issued-url")
                     : progress.getAttribute("data-count-url");
    var ask = function () {
      return fetchCount(url, { credentials: "omit", cache: "no-cache" });
    };
    // Once more after a failure (a network blip, a restart): a form sent
    // without the time is marked for review, so it is worth a second try.
    issuedArrived = ask()
      .catch(function () {
        return new Promise(function (resolve) { window.setTimeout(resolve, 2000); })
          .then(ask);
      })
      .then(function (data) {
        if (data && issued && !issued.value && data.issued) {
          issued.value = data.issued;
        }
        showCount(data);
      })
      .catch(function () {});
  }

  // Sent before the time arrived (a slow connection, autofill), the form
  // waits for it, at most a few seconds, then goes with or without it.
  if (shownFor) {
    var form = shownFor.form;
    var waited = false;
    form.addEventListener("submit", function (event) {
      if (issued && !issued.value && issuedArrived && !waited && form.requestSubmit) {
        event.preventDefault();
        waited = true;
        var giveUp = new Promise(function (resolve) { window.setTimeout(resolve, 4000); });
        Promise.race([issuedArrived, giveUp]).then(function () {
          form.requestSubmit();
        });
        return;
      }
      writeShownFor();
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
  if (progress && window.fetch) {
    window.setInterval(function () {
      if (document.hidden) {
        return;
      }
      // Past the browser's cache too: its copy is at most two seconds
      // fresh, and a proxy in front keeps the count for everyone anyway.
      fetchCount(progress.getAttribute("data-count-url"),
                 { credentials: "omit", cache: "no-cache" })
        .then(showCount)
        .catch(function () {});
    }, 15000);
  }
})();

// One page view for the organizers' dashboard (visits/views.py). The page
// is one copy for everyone, kept by the proxy and any CDN, so the server
// cannot count views itself: this tells it, once per browser, petition and
// day (the date kept in localStorage), with the landing link's ?source=.
// Browsers without scripts, and most robots, send nothing.
(function countPageView() {
  "use strict";

  var panel = document.querySelector("[data-views-url]");
  if (!panel || !navigator.sendBeacon || !window.URLSearchParams) {
    return;
  }
  var url = panel.getAttribute("data-views-url");
  var now = new Date();
  var today = now.getFullYear() + "-" + (now.getMonth() + 1) + "-" + now.getDate();
  var flag = "viewed " + url;
  try {
    if (window.localStorage.getItem(flag) === today) {
      return;
    }
    window.localStorage.setItem(flag, today);
  } catch (error) {
    // Storage refused (private browsing, settings): counted on every load.
  }
  var landing = new URLSearchParams(window.location.search);
  var body = new URLSearchParams();
  body.set("source", (landing.get("source") || "").slice(0, 100));
  navigator.sendBeacon(url, body);
})();
