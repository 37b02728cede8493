// Starts Pagefind's search interface. The site's root is read from the page (it is relative
// under RELATIVE_URLS), so results link correctly when the site lives under a sub-path.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") {
    return;
  }
  var root = new URL(element.getAttribute("data-search-root") || "/", document.baseURI);
  new PagefindUI({
    element: "#search",
    baseUrl: root.pathname,
    showSubResults: false,
    showImages: false,
    resetStyles: false,
    translations: { placeholder: "Search clippings" },
    sort: { date: "desc" }
  });
  // Tie the page's visible label to Pagefind's input (it has only a placeholder).
  var input = element.querySelector("input[type=text], input:not([type])");
  var label = document.getElementById("search-label");
  if (input && label) {
    input.id = "search-input";
    label.setAttribute("for", "search-input");
    label.hidden = false;
  }
})();
