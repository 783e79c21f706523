// The few behaviours htmx does not give declaratively: focus, keys and a question before typing
// is thrown away, for the record form that opens in place in the gap table; why a form was not
// sent; and what a failed request did.
// Served from our own origin: the CSP allows no inline script.
(function () {
  "use strict";

  // "record-link-<issue>-<actor>" opens the row "record-<issue>-<actor>".
  function linkOf(row) {
    return document.getElementById(row.id.replace(/^record-/, "record-link-"));
  }

  function focusField(row) {
    var field = row.querySelector("[aria-invalid=true]") ||
      row.querySelector("input:not([type=hidden]), select, textarea");
    if (!field) return;
    // The record form keeps to the visible part of a table that scrolls sideways (sticky); a
    // browser scrolling to a field of it goes by where the form would be without that, and
    // moves the table to its left end, the column the analyst was in out of sight. So the
    // field is brought into sight up or down only.
    field.focus({preventScroll: true});
    intoSightVertically(field);
  }

  // Scrolls the gap table's box (below its sticky headings), then the page, up or down for
  // `element` to be in sight, a third of the way down where it was out of sight; never sideways.
  function intoSightVertically(element) {
    var box = element.closest(".table-scroll");
    if (box) {
      var heading = box.querySelector("thead");
      var frame = box.getBoundingClientRect();
      var top = frame.top + (heading ? heading.offsetHeight : 0);
      var rect = element.getBoundingClientRect();
      if (rect.bottom > frame.bottom || rect.top < top) {
        box.scrollTop += rect.top - (top + (frame.bottom - top) / 3);
      }
    }
    var place = element.getBoundingClientRect();
    if (place.bottom > window.innerHeight || place.top < 0) {
      window.scrollBy(0, place.top - window.innerHeight / 3);
    }
  }

  var focusAfterSwap = null;  // the id of what gets the focus once the swap has settled

  var DISCARD = "Close the form? What you typed in it will be lost.";
  var DISCARD_FOR_TABLE = "Change the table? What you typed in the open form will be lost.";

  // The table's controls as the table last shown reflects them: put back when the analyst
  // keeps a typed form instead of the table the controls asked for.
  var shown = new WeakMap();

  function controlsOf(form) {
    return Array.prototype.filter.call(form.elements, function (control) {
      return control.name;
    }).map(function (control) {
      var checkable = control.type === "checkbox" || control.type === "radio";
      return [control, checkable ? control.checked : control.value];
    });
  }

  function rememberControls(form) {
    shown.set(form, controlsOf(form));
  }

  // New report: while a report on record is picked, the boxes for typing one in are set aside
  // (disabled: not sent, not checked).
  function setAsideUnlessNeeded() {
    document.querySelectorAll("[data-unless-picked]").forEach(function (group) {
      var picker = document.getElementById(group.getAttribute("data-unless-picked"));
      group.disabled = Boolean(picker && picker.value);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("select") && document.querySelector(
      '[data-unless-picked="' + event.target.id + '"]')) setAsideUnlessNeeded();
  });

  document.addEventListener("DOMContentLoaded", function () {
    setAsideUnlessNeeded();
    document.querySelectorAll("[data-replaces-record-forms]").forEach(rememberControls);
    // A chart wider than its box (on a phone) opens on its latest days, where the news is, or
    // on the table's date when it marks one.
    document.querySelectorAll(".chart-scroll").forEach(function (box) {
      var marker = box.querySelector(".table-day");
      if (!marker) {
        box.scrollLeft = box.scrollWidth;
        return;
      }
      var markerBox = marker.getBoundingClientRect(), boxBox = box.getBoundingClientRect();
      box.scrollLeft += markerBox.left - boxBox.left - box.clientWidth / 2;
    });
  });

  // The table's controls leave out what goes without saying (the usual order, no date), so
  // that the address in the bar is the one a reader would write, and shares as such.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.matches("[data-replaces-record-forms]")) return;
    var parameters = event.detail.parameters;
    if (parameters.sort === "order") delete parameters.sort;
    if (parameters.as_of === "") delete parameters.as_of;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var problem = elt.querySelector("[data-problem]");
    if (elt.matches("[data-replaces-record-forms]") &&
        document.querySelector(".record-row form[data-typed]") &&
        !window.confirm(DISCARD_FOR_TABLE)) {
      event.preventDefault();  // the table, and the form in it, stay: so do the controls
      (shown.get(elt) || []).forEach(function (pair) {
        if (typeof pair[1] === "boolean") pair[0].checked = pair[1]; else pair[0].value = pair[1];
      });
      return;
    }
    if (problem) problem.textContent = "";  // sent after all: the earlier objection is void
    if (elt.matches(".record-link")) {
      // A second click on the same cell's link goes to the form already open.
      var open = document.getElementById(elt.id.replace(/^record-link-/, "record-"));
      if (open) {
        event.preventDefault();
        focusField(open);
      }
    } else if (elt.matches(".record-row form")) {
      // Saved: the refreshed row replaces the form; the cell's link takes the focus.
      focusAfterSwap = linkOf(elt.closest(".record-row")).id;
    } else if (elt.matches(".record-row [data-cancel]")) {
      var form = elt.closest("form");
      if (form.hasAttribute("data-typed") && !window.confirm(DISCARD)) {
        event.preventDefault();
        return;
      }
      // Now: the row about to go is gone with its events before any "after" event could say so.
      linkOf(elt.closest(".record-row")).focus();
    }
  });

  // A record form someone has typed in (or that came back with errors, data-typed from the
  // server) asks before Cancel or Escape throws the typing away.
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest(".record-row form");
    if (form) form.setAttribute("data-typed", "");
  });

  document.addEventListener("htmx:load", function (event) {
    var row = event.detail.elt;
    if (row.matches && row.matches(".record-row")) {
      focusAfterSwap = null;  // a new form, or the same one with its errors
      focusField(row);
    } else if (row.matches && row.matches(".report-row")) {
      focusField(row);  // a row just added to a new report
    }
  });

  // Where the analyst was working when the latest message appeared: the cell's link after a
  // save, the field of a form that failed. Dismissing a message goes back there.
  var workingAt = null;

  document.addEventListener("htmx:afterSettle", function (event) {
    // A failure is shown at the top of the page (#page-alert): the focus stays in the form.
    if (event.detail.target && event.detail.target.id === "page-alert") focusAfterSwap = null;
    var target = focusAfterSwap && document.getElementById(focusAfterSwap);
    focusAfterSwap = null;
    if (target) target.focus();
    workingAt = document.activeElement;
  });

  // The table's controls stay while the table is swapped under them: a control marked as
  // refused, and pointing at a message the new table no longer has, is cleared of both.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-replaces-record-forms] [aria-describedby]").forEach(
      function (control) {
        var ids = control.getAttribute("aria-describedby").split(" ");
        var kept = ids.filter(function (id) { return document.getElementById(id); });
        if (kept.length === ids.length) return;
        control.setAttribute("aria-describedby", kept.join(" "));
        if (!kept.some(function (id) { return /_error$/.test(id); })) {
          control.removeAttribute("aria-invalid");
        }
      }
    );
  });

  // htmx sends nothing from a form the browser finds invalid; say why. A form that sends as
  // its controls change (the gap table's) says it in its [data-problem] element: a bubble would
  // take the focus mid-typing, and the browser then resets the part of a date being typed.
  // Other forms show the browser's message on the field.
  document.addEventListener("htmx:validation:halted", function (event) {
    var errors = event.detail.errors || [];
    if (!errors.length) return;
    var problem = event.detail.elt.querySelector("[data-problem]");
    if (problem) {
      problem.textContent = errors[0].message;
    } else {
      errors[0].elt.reportValidity();
    }
  });

  // A failed request: the server's word on it (HtmxFailureMiddleware retargets it to
  // #page-alert) is swapped in; anything else (a proxy's 502, a 404, no answer at all) is not
  // swapped into the page, but said at the top of it. The form and what was typed stay.
  function empty(id) {
    var region = document.getElementById(id);
    if (region) region.replaceChildren();
  }

  function alertPage(message) {
    var alert = document.getElementById("page-alert");
    if (!alert) return;
    empty("record-status");  // the word on an earlier save would sit over it, and contradict it
    var notice = document.createElement("p");
    notice.className = "notice notice--error";
    notice.textContent = message;
    notice.append(document.getElementById("dismiss-button").content.cloneNode(true));
    alert.replaceChildren(notice);
    workingAt = document.activeElement;
  }

  // A message about what the analyst did stays in sight until dismissed, or, for a failure,
  // until a later request goes through.
  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest && event.target.closest("[data-dismiss]");
    var region = dismiss && dismiss.closest("#page-alert, #record-status");
    if (!region) return;
    region.replaceChildren();
    // Back to where the work was; else the main region, not the top of the page.
    var back = workingAt && workingAt.isConnected && workingAt !== document.body ?
      workingAt : document.getElementById("main");
    back.focus();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.getResponseHeader("HX-Retarget") === "#page-alert") {
      detail.shouldSwap = true;
      detail.isError = false;
      empty("record-status");
    } else if (detail.xhr.status >= 400 && !detail.shouldSwap) {
      alertPage("That did not work (the server answered " + detail.xhr.status + "), so " +
        "nothing changed. Reload the page and try again.");
    }
  });

  // In development (DEBUG) django-htmx's script puts a 400, 403, 404 or 500 answer in place of
  // the whole page, to show Django's error pages. Here every one of them is meant for the page
  // as above (a message at the top, the form kept): its listener, on the document, never hears
  // of them. The runserver's console still has the traceback.
  window.addEventListener("htmx:beforeOnLoad", function (event) {
    if ([400, 403, 404, 500].indexOf(event.detail.xhr.status) >= 0) event.stopPropagation();
  }, true);

  document.addEventListener("htmx:sendError", function () {
    alertPage("The server could not be reached, so nothing changed. Check the connection " +
      "and try again.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    if (!detail.successful) {
      focusAfterSwap = null;  // nothing swapped: the focus stays
      return;
    }
    if (detail.elt.matches("[data-replaces-record-forms]")) rememberControls(detail.elt);
    // It went through: an earlier failure no longer stands.
    if (detail.xhr.getResponseHeader("HX-Retarget") !== "#page-alert") empty("page-alert");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.isComposing || event.defaultPrevented) return;
    var row = event.target.closest && event.target.closest(".record-row");
    var cancel = row && row.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
})();
