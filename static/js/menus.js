// The header's menus are <details> elements: they open and close without
// JavaScript. This only adds what people expect of a menu: Escape closes it and
// returns focus to its button, and a click elsewhere on the page closes it.
// Loaded from 'self' (strict CSP).
(function () {
  "use strict";

  function openMenus() {
    return document.querySelectorAll('details[name="header-menu"][open]');
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      var hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      if (hadFocus) menu.querySelector("summary").focus();
    });
  });

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();
