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
  var bar = progress && progress.querySelector("progress");
  var format = progress && new Intl.NumberFormat(progress.getAttribute("data-locale"));

  function showCount(data) {
    if (progress && data && data.count >= Number(bar.value)) {
      showFigures(progress, data, format);
    }
    showRelativeTimes();
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

  // --- The share step (templates/includes/share_step.html) -------------
  // Ask first, then offer: "Yes" opens the device's own share sheet where
  // the browser has one (Web Share API), else shows the links; "Not now"
  // folds the step away. Without this script the links are simply shown
  // under the question, in the server's order (a phone's).
  (function shareStep() {
    var step = document.querySelector("[data-share]");
    if (!step) {
      return;
    }
    var question = step.querySelector("[data-share-ask]");
    var yes = step.querySelector("[data-share-yes]");
    var options = step.querySelector("[data-share-options]");
    var later = step.querySelector("[data-share-later-note]");
    var thanks = step.querySelector("[data-share-status]");
    var list = step.querySelector(".share-links");

    // A phone gets WhatsApp first and the links only a phone can open
    // (Messenger's app, SMS); a desktop, WhatsApp after the public
    // networks and Messenger's web dialog when the site has one. The
    // pointer alone would take a touch laptop for a phone, and an iPad
    // says "Macintosh": all three signs are asked.
    var phone = Boolean(
      (navigator.userAgentData && navigator.userAgentData.mobile) ||
      /Android|iPhone|iPad|iPod|Mobi/i.test(navigator.userAgent) ||
      (window.matchMedia && window.matchMedia("(pointer: coarse)").matches)
    );
    var elsewhere = list.querySelectorAll(
      phone ? ".share-item--desktop" : ".share-item--phone"
    );
    Array.prototype.forEach.call(elsewhere, function (item) {
      item.remove();
    });
    var whatsapp = list.querySelector("[data-source=whatsapp]");
    var bluesky = list.querySelector("[data-source=bluesky]");
    if (!phone && whatsapp && bluesky) {
      bluesky.after(whatsapp);
    }
    step.classList.add("share--sorted");

    function showOptions() {
      question.hidden = true;
      later.hidden = true;
      options.hidden = false;
      // The pressed button is gone: keyboard and screen-reader users
      // continue from the first way to share.
      options.querySelector("a").focus();
    }

    question.hidden = false;
    options.hidden = true;

    yes.addEventListener("click", function () {
      var data = {
        title: yes.getAttribute("data-share-title"),
        text: yes.getAttribute("data-share-text"),
        url: yes.getAttribute("data-share-url")
      };
      if (!navigator.share || (navigator.canShare && !navigator.canShare(data))) {
        showOptions();
        return;
      }
      navigator.share(data).then(function () {
        thanks.textContent = thanks.getAttribute("data-shared");
        showOptions();
      }, function (error) {
        // Closed by the person: the question stays for another try. Any
        // other failure (no share target, refused) leaves the links.
        if (!error || error.name !== "AbortError") {
          showOptions();
        }
      });
    });

    step.querySelector("[data-share-later]").addEventListener("click", function () {
      question.hidden = true;
      later.hidden = false;
      later.querySelector("button").focus();
    });
    step.querySelector("[data-share-show]").addEventListener("click", showOptions);
  })();
  // --- end of the share step ---------------------------------------------

  // Every figure of a count (templates/includes/progress.html) from an
  // answer of count.json: the count, the goal (moved on once the count
  // passes it: signatures/counts.py, progress_goal), and the bar, whose
  // value and maximum are what assistive technology reads out.
  function showFigures(block, data, numbers) {
    var count = Number(data.count);
    var goal = Number(data.goal) || count;
    var goalFigure = block.querySelector(".progress-goal-figure");
    var meter = block.querySelector("progress");
    showSigned(block, count, numbers);
    if (goalFigure) {
      goalFigure.textContent = numbers.format(goal);
    }
    if (meter) {
      meter.max = goal;
      meter.value = count;
      meter.textContent = (goal ? Math.min(100, Math.floor(100 * count / goal)) : 100) + "%";
    }
  }

  // "1 person has signed" / "2 people have signed": the sentence in the form
  // the page's language uses for this count (templates/includes/progress.html
  // carries both, "#" standing for the figure). Built from text nodes, never
  // parsed as markup.
  function showSigned(block, count, numbers) {
    var sentence = block.querySelector(".progress-signed");
    var figure = block.querySelector(".progress-count strong");
    var forms = sentence && window.Intl && Intl.PluralRules && {
      one: sentence.getAttribute("data-one"),
      other: sentence.getAttribute("data-other")
    };
    var parts = null;
    if (forms && forms.one && forms.other) {
      var rule = new Intl.PluralRules(document.documentElement.lang || undefined).select(count);
      parts = forms[rule === "one" ? "one" : "other"].split("<strong>#</strong>");
    }
    if (!parts || parts.length !== 2 || /[<>&]/.test(parts.join(""))) {
      if (figure) {
        figure.textContent = numbers.format(count);
      }
      return;
    }
    var strong = document.createElement("strong");
    strong.textContent = numbers.format(count);
    sentence.replaceChildren(document.createTextNode(parts[0]), strong,
                             document.createTextNode(parts[1]));
  }

  // "2 minutes ago" beside the recent signers, by this browser's clock and
  // in the page's language. The page is one copy for everyone for a few
  // seconds (a proxy keeps it: petition/public.py), so the text the server
  // wrote is only true as of then.
  var relativeTimes = document.querySelectorAll("time[data-relative-time]");
  var relativeFormat = null;
  if (relativeTimes.length && window.Intl && Intl.RelativeTimeFormat) {
    try {
      relativeFormat = new Intl.RelativeTimeFormat(
        document.documentElement.lang || undefined, { numeric: "auto" });
    } catch (error) {
      relativeFormat = null; // a language this browser does not know: keep the server's words
    }
  }

  function relativeText(secondsAgo) {
    // A clock a little behind the server's must not say "in 1 minute".
    var seconds = Math.max(0, secondsAgo);
    var units = [["minute", 60], ["hour", 3600], ["day", 86400],
                 ["month", 30 * 86400], ["year", 365 * 86400]];
    if (seconds < 60) {
      return relativeFormat.format(0, "second");
    }
    for (var i = units.length - 1; i >= 0; i--) {
      if (seconds >= units[i][1]) {
        return relativeFormat.format(-Math.floor(seconds / units[i][1]), units[i][0]);
      }
    }
    return relativeFormat.format(0, "second");
  }

  function showRelativeTimes() {
    if (!relativeFormat) {
      return;
    }
    var now = Date.now();
    Array.prototype.forEach.call(relativeTimes, function (time) {
      var at = Date.parse(time.getAttribute("datetime"));
      if (!isNaN(at)) {
        time.textContent = relativeText((now - at) / 1000);
      }
    });
  }

  if (relativeFormat) {
    showRelativeTimes();
    window.setInterval(showRelativeTimes, 60000);
  }

  // On a phone the form comes after the text: a bar at the bottom of the
  // screen keeps a way to it while reading (templates/petition/detail.html),
  // shown only while neither the button at the top nor the form is in view.
  // A wide screen hides it (static/css/site.css): the form is beside the text.
  function keepSignButtonInReach() {
    var signBar = document.querySelector("[data-sign-bar]");
    var panel = document.getElementById("sign");
    if (!signBar || !panel || !window.IntersectionObserver) {
      return;
    }
    var watched = [panel, document.querySelector(".jump-to-sign")];
    var inView = [];
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var at = inView.indexOf(entry.target);
        if (entry.isIntersecting && at < 0) {
          inView.push(entry.target);
        } else if (!entry.isIntersecting && at >= 0) {
          inView.splice(at, 1);
        }
      });
      signBar.classList.toggle("sign-bar--shown", inView.length === 0);
    });
    watched.forEach(function (element) {
      if (element) {
        observer.observe(element);
      }
    });
    signBar.hidden = false;
  }

  keepSignButtonInReach();

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
