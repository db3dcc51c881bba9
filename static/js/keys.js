// Keyboard shortcuts for studying, the same on a study card and on a question page:
// Space or Enter shows the answer, 1–5 rate once it shows, N and P move on and back,
// ? opens the list of keys. The page names its parts on the element marked
// data-keys: data-answer (the answer's <details>), data-rate (the rating buttons' id
// prefix, the level follows), data-next and data-previous (the ids of the buttons or
// links that move), data-shortcuts (the shortcuts panel's <details>).
// In a typed answer (textarea[data-recall-text]) Ctrl+Enter or Cmd+Enter sends it to be
// checked; no other key does anything there, since typing must never rate or move on.
// Everything also works with the mouse and without JavaScript; this only adds keys.
// Loaded from 'self' (strict CSP).
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

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function click(element) {
    if (element && !element.disabled) {
      element.click();
      return true;
    }
    return false;
  }

  // Ctrl+Enter (Cmd+Enter on a Mac) in a typed answer checks it. requestSubmit, not
  // submit: the submit event fires, so htmx sends it and the browser validates maxlength.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey) return;
    if (!target || !target.matches || !target.matches("textarea[data-recall-text]")) return;
    var form = target.form;
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  document.addEventListener("keydown", function (event) {
    var keys = document.querySelector("[data-keys]");
    if (!keys) return;
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = event.key;
    var answer = byId(keys.getAttribute("data-answer"));
    var handled = false;
    if (key === " " || key === "Enter") {
      // On a button, link or summary the browser already does the right thing.
      if (onControl(event.target)) return;
      if (answer && !answer.open) {
        answer.open = true;
        handled = true;
      }
    } else if (/^[1-5]$/.test(key)) {
      // A rating is taken only once the answer shows: recall first, then judge.
      if (answer && !answer.open) return;
      handled = click(byId(keys.getAttribute("data-rate") + key));
    } else if (key === "n" || key === "N") {
      handled = click(byId(keys.getAttribute("data-next")));
    } else if (key === "p" || key === "P") {
      handled = click(byId(keys.getAttribute("data-previous")));
    } else if (key === "?") {
      var shortcuts = byId(keys.getAttribute("data-shortcuts"));
      if (shortcuts) {
        shortcuts.open = !shortcuts.open;
        handled = true;
      }
    }
    if (handled) event.preventDefault();
  });

  // After htmx brings the next question, move focus to its heading so a screen
  // reader reads it and keys keep working from a sensible place. A typed answer's
  // check (or the typing form) marks where focus goes instead: data-focus-after-swap.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    var marked = document.querySelector("[data-focus-after-swap]");
    if (marked && (target.id === "study-card" || target.id === "recall-flow")) {
      marked.removeAttribute("data-focus-after-swap");
      marked.focus();
      return;
    }
    if (target.id === "study-card") {
      var heading = document.getElementById("study-heading");
      if (heading) heading.focus();
    }
  });
})();
