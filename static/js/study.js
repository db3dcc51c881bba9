// Keyboard shortcuts for a study session. Everything also works with the mouse
// and without JavaScript; this only adds keys. Loaded from 'self' (strict CSP).
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function onControl(target) {
    var tag = target && target.tagName;
    return tag === "BUTTON" || tag === "A" || tag === "SUMMARY";
  }

  function click(id) {
    var element = document.getElementById(id);
    if (element && !element.disabled) {
      element.click();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-study]")) return;
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = event.key;
    var handled = false;
    if (key === " " || key === "Enter") {
      // On a button, link or summary the browser already does the right thing.
      if (onControl(event.target)) return;
      var answer = document.getElementById("study-answer");
      if (answer && !answer.open) {
        answer.open = true;
        handled = true;
      }
    } else if (/^[1-5]$/.test(key)) {
      handled = click("rate-" + key);
    } else if (key === "n" || key === "N") {
      handled = click("study-next");
    } else if (key === "p" || key === "P") {
      handled = click("study-previous");
    } else if (key === "?") {
      var shortcuts = document.getElementById("study-shortcuts");
      if (shortcuts) {
        shortcuts.open = !shortcuts.open;
        handled = true;
      }
    }
    if (handled) event.preventDefault();
  });

  // After htmx brings the next question, move focus to its heading so a screen
  // reader reads it and keys keep working from a sensible place.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "study-card") {
      var heading = document.getElementById("study-heading");
      if (heading) heading.focus();
    }
  });
})();
