// After htmx swaps in another page of a list (templates/_pager.html), focus moves to
// the list's heading, so a keyboard or screen-reader user carries on from the top of
// the new page instead of from a link that no longer exists. Without JavaScript the
// links are plain links and the whole page loads. Loaded from 'self' (strict CSP).
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.closest || !source.closest(".pager")) return;
    var list = event.detail.target;
    if (!list || !list.isConnected) list = document.getElementById(list && list.id);
    if (!list) return;
    var heading = list.querySelector("h2, h3") || list;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  });
})();
