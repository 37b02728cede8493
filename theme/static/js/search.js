// Starts Pagefind's search interface over the digest's search bundles (one per quarter, listed
// newest first in pagefind/bundles.json), merged into one list of results and filters. Merged
// results are ranked by score, so each older quarter's scores are weighted a thousand times
// less: results come newest quarter first, by relevance within a quarter (with one bundle,
// newest first). The site's root is read from the page (it is relative under RELATIVE_URLS),
// so results link correctly when the site lives under a sub-path.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") {
    return;
  }
  var root = new URL(element.getAttribute("data-search-root") || "/", document.baseURI);
  function bundle(name) {
    return new URL("pagefind/" + name + "/", root).pathname;
  }
  function start(bundles) {
    new PagefindUI({
      element: "#search",
      bundlePath: bundle(bundles[0]),
      mergeIndex: bundles.slice(1).map(function (name, i) {
        return { bundlePath: bundle(name), baseUrl: root.pathname,
                 indexWeight: Math.pow(0.001, i + 1) };
      }),
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
  }
  fetch(new URL("pagefind/bundles.json", root))
    .then(function (response) {
      if (!response.ok) {
        throw new Error("pagefind/bundles.json: " + response.status);
      }
      return response.json();
    })
    .then(function (bundles) {
      if (Array.isArray(bundles) && bundles.length) {
        start(bundles);
      }
    })
    .catch(function (error) {
      element.textContent = "Search is not available: " + error.message;
    });
})();
