// The browser knows where its person is; the server does not. On the sign-up form this
// fills the hidden time_zone field with the browser's zone, so a new account's times and
// "due today" are right from the start. On the profile it offers a button that picks the
// browser's zone in the time-zone list, when that is not the one chosen. Without
// JavaScript the sign-up keeps the site's zone and the list still works.
// Loaded from 'self' (strict CSP).
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  function offerZone(select, zone) {
    if (select.value === zone || !hasOption(select, zone)) return;
    if (select.value === "" && select.dataset.siteTimeZone === zone) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button use-browser-zone";
    button.textContent = "Use this browser\u2019s time zone (" + zone + ")";
    button.addEventListener("click", function () {
      select.value = zone;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      // The button goes once it has done its job; focus stays in the form, on the list.
      select.focus();
    });
    select.addEventListener("change", function () {
      button.hidden = select.value === zone;
    });
    select.insertAdjacentElement("afterend", button);
  }

  var zone = browserZone();
  if (!zone) return;
  document.querySelectorAll("[data-browser-time-zone]").forEach(function (field) {
    if (field.tagName === "SELECT") {
      offerZone(field, zone);
    } else if (!field.value) {
      field.value = zone;
    }
  });
})();
