// A filter box over a list (the pairs on the countries page): shows the items whose text
// has the words typed, accents and case aside. Without script the whole list is shown and
// the box stays hidden.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter"));
    if (!list) {
      return;
    }
    var box = input.closest("[hidden]");
    var count = box ? box.querySelector(".filter-count") : null;
    var items = Array.prototype.slice.call(list.children);
    var texts = items.map(function (li) { return fold(li.textContent); });
    if (box) {
      box.hidden = false;
    }
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (li, i) {
        var match = words.every(function (w) { return texts[i].indexOf(w) !== -1; });
        li.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (count) {
        count.textContent = words.length ? shown + " of " + items.length + " pairs" : "";
      }
    });
  });
})();
