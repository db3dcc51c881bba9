// Copy buttons, such as the team page's "Copy link":
//   <button type="button" data-copy="ID" data-copy-status="ID" hidden>
// copies the text of the element with id data-copy, then says "Copied" in the element
// with id data-copy-status, a role="status" live region, so a screen reader hears it.
// The buttons start hidden because without this script they could do nothing.
// The Clipboard API needs a secure context (https or localhost); elsewhere, or when it
// is refused, the text is selected instead, so the browser's own Copy takes it.
// Loaded from 'self' (strict CSP).
(function () {
  "use strict";

  var SHOWN_FOR_MS = 5000;
  var timers = new WeakMap();

  function say(status, message) {
    if (!status) return;
    window.clearTimeout(timers.get(status));
    // Emptied first: the same words set twice would not be announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message;
      timers.set(
        status,
        window.setTimeout(function () {
          status.textContent = "";
        }, SHOWN_FOR_MS)
      );
    }, 50);
  }

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function selectAndCopy(source, status) {
    select(source);
    var copied = false;
    try {
      // Deprecated, but the one way left to copy without the Clipboard API.
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    say(status, copied ? "Copied" : "Selected: use your browser's Copy");
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!source) return;
    var text = source.textContent.trim();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(
        function () {
          say(status, "Copied");
        },
        function () {
          selectAndCopy(source, status);
        }
      );
    } else {
      selectAndCopy(source, status);
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      copy(button);
    });
    button.hidden = false;
  });
})();
