// The search page: Pagefind's search over the digest's bundles, with the words, filters, dates
// and page kept in the address (`?q=border&country=Kyrgyzstan&from=2021-04&page=2`): a search
// can be shared, and the back button goes back through it. The bundles (pagefind/bundles.json:
// `recent` first, then one per quarter, newest first) are each loaded as a Pagefind module of
// their own and searched together here: results newest first by each bundle's table of days
// (Pagefind gives a result's position in its bundle's date order; the table says which day
// that is), or best match first by Pagefind's score; a bundle's dead pages (pages since
// indexed again in `recent`, or removed) are dropped, and taken off the filters' counts.
// Everything the index holds is text written by contributors: it is put on the page as text,
// never as HTML (an excerpt's <mark> tags, which Pagefind adds, are made here as elements).
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form || !window.URLSearchParams || !window.history) {
    return;
  }
  var FACETS = [["country", "Country"], ["pair", "Pair"], ["region", "Region"],
                ["category", "Category"], ["source", "Source"], ["language", "Language"]];
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];
  var PER_PAGE = 20;
  var root = new URL(form.getAttribute("data-search-root") || "/", document.baseURI);
  var input = document.getElementById("search-q");
  var panel = document.getElementById("search-filters");
  var facetsBox = panel.querySelector(".facets");
  var from = document.getElementById("search-from");
  var to = document.getElementById("search-to");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var pager = document.getElementById("search-pages");
  var bundles = [];  // {name, module, days, ends (running counts of days), dead: id → filters}
  var ready = false;  // the index loaded and the controls made
  var raw = {};  // facet → shown value → the value Pagefind holds
  var boxes = {};  // facet → shown value → its checkbox
  var months = [];
  var lastFound = null;  // the last search's result, for the panel's counts
  var latest = 0;
  var state = read();

  // Pagefind gives filter values with their HTML entities decoded once more than the page
  // had them (the build escapes a value with `&` once more for that): decoded here once, as
  // text, in a textarea, whose content is never markup. Metadata it gives as the page's text.
  var decoder = document.createElement("textarea");
  function decode(text) {
    decoder.innerHTML = text == null ? "" : String(text);
    return decoder.value;
  }

  function element(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) {
      node.textContent = text;
    }
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function monthName(key) {  // "2021-04" → "April 2021"
    var parts = key.split("-");
    return MONTHS[parseInt(parts[1], 10) - 1] + " " + parts[0];
  }

  // the state and the address -----------------------------------------------------------
  function read() {
    var params = new URLSearchParams(window.location.search);
    var s = {q: (params.get("q") || "").trim(), from: params.get("from") || "",
             to: params.get("to") || "", sort: params.get("sort") === "relevance" ? "relevance" : "",
             page: Math.max(1, parseInt(params.get("page") || "1", 10) || 1), chosen: {}};
    FACETS.forEach(function (f) { s.chosen[f[0]] = params.getAll(f[0]); });
    return s;
  }

  function address(s, page) {
    var params = new URLSearchParams();
    if (s.q) {
      params.set("q", s.q);
    }
    FACETS.forEach(function (f) {
      s.chosen[f[0]].forEach(function (v) { params.append(f[0], v); });
    });
    if (s.from) {
      params.set("from", s.from);
    }
    if (s.to) {
      params.set("to", s.to);
    }
    if (s.sort) {
      params.set("sort", s.sort);
    }
    if (page > 1) {
      params.set("page", String(page));
    }
    var query = params.toString();
    return window.location.pathname + (query ? "?" + query : "");
  }

  function remember(push) {
    var url = address(state, state.page);
    if (url !== window.location.pathname + window.location.search) {
      window.history[push ? "pushState" : "replaceState"](null, "", url);
    }
  }

  function chosenCount() {
    var n = FACETS.reduce(function (sum, f) { return sum + state.chosen[f[0]].length; }, 0);
    return n + (state.from || state.to ? 1 : 0);
  }

  // the controls ------------------------------------------------------------------------
  function facet(name, label, counts) {
    var shown = Object.keys(counts).map(function (v) { return [decode(v), v]; });
    if (!shown.length) {
      return;
    }
    shown.sort(function (a, b) { return a[0].localeCompare(b[0]); });
    raw[name] = {};
    boxes[name] = {};
    var set = element("fieldset", "", {"class": "facet"});
    set.appendChild(element("legend", label));
    var items = element("ul");
    if (shown.length > 12) {  // a long list gets a box to find its values
      var find = element("input", "", {type: "search", "aria-label": "Find a " + label.toLowerCase(),
                                       placeholder: "Find a " + label.toLowerCase(), autocomplete: "off"});
      find.addEventListener("input", function () {
        var words = find.value.toLowerCase();
        Array.prototype.forEach.call(items.children, function (li) {
          li.hidden = words && li.getAttribute("data-value").toLowerCase().indexOf(words) === -1;
        });
      });
      set.appendChild(find);
    }
    shown.forEach(function (pair, i) {
      var id = "f-" + name + "-" + i;
      raw[name][pair[0]] = pair[1];
      var li = element("li", "", {"data-value": pair[0]});
      var box = element("input", "", {type: "checkbox", id: id, name: name});
      box.value = pair[0];
      box.checked = state.chosen[name].indexOf(pair[0]) !== -1;
      box.addEventListener("change", function () {
        var chosen = state.chosen[name].filter(function (v) { return v !== pair[0]; });
        if (box.checked) {
          chosen.push(pair[0]);
        }
        state.chosen[name] = chosen;
        changed(false);
      });
      boxes[name][pair[0]] = box;
      var text = element("label", pair[0] + " ", {"for": id});
      text.appendChild(element("span", "", {"class": "count"}));
      li.appendChild(box);
      li.appendChild(text);
      items.appendChild(li);
    });
    set.appendChild(items);
    facetsBox.appendChild(set);
  }

  // The controls: the order and the panel at once; the panel's values (Pagefind's filters,
  // a few hundred checkboxes over every bundle) only when it is first opened, or when the
  // address asks for dates, so that a search starts without waiting for them.
  function setup() {
    var order = element("p", "", {"class": "order"});
    order.appendChild(element("label", "Order ", {"for": "search-sort"}));
    var sort = element("select", "", {id: "search-sort", name: "sort"});
    sort.appendChild(element("option", "newest first", {value: ""}));
    sort.appendChild(element("option", "best match first", {value: "relevance"}));
    order.appendChild(sort);
    form.querySelector(".search-words").after(order);
    sort.addEventListener("change", function () { state.sort = sort.value; changed(false); });
    [from, to].forEach(function (select) {
      select.addEventListener("change", function () {
        state.from = from.value;
        state.to = to.value;
        changed(false);
      });
    });
    panel.querySelector(".clear").addEventListener("click", function () {
      FACETS.forEach(function (f) { state.chosen[f[0]] = []; });
      state.from = state.to = "";
      changed(false);
    });
    panel.addEventListener("toggle", function () {
      if (panel.open) {  // (after the first search: its results come first)
        first.then(fill);
      }
    });
    panel.hidden = false;
    // Open beside the results on a wide screen; on a phone the results come first.
    panel.open = !window.matchMedia("(max-width: 40rem)").matches;
  }

  var filled = null;
  var first = Promise.resolve();  // the first search
  var valuesLoaded = false;  // the panel's values loaded (and with them the filters' counts)
  function fill() {
    if (!filled) {
      filled = allFilters().then(function (all) {
        FACETS.forEach(function (f) { facet(f[0], f[1], all[f[0]] || {}); });
        months = Object.keys(all.month || {}).sort();
        months.forEach(function (m) {
          from.appendChild(element("option", monthName(m), {value: m}));
          to.appendChild(element("option", monthName(m), {value: m}));
        });
        show();
        // (Pagefind counts a filter's values only once it has loaded them: the search of
        // the moment is made again for its counts)
        valuesLoaded = true;
        if (lastFound) {
          run(false, true);
        }
      });
    }
    return filled;
  }

  // The controls as the state has them; the words too where the state comes from the
  // address (never while a reader types: the panel may be filled meanwhile).
  function show(words) {
    if (words) {
      input.value = state.q;
    }
    from.value = months.indexOf(state.from) !== -1 ? state.from : "";
    to.value = months.indexOf(state.to) !== -1 ? state.to : "";
    var sort = document.getElementById("search-sort");
    if (sort) {
      sort.value = state.sort;
    }
    Object.keys(boxes).forEach(function (name) {
      Object.keys(boxes[name]).forEach(function (v) {
        boxes[name][v].checked = state.chosen[name].indexOf(v) !== -1;
      });
    });
    var n = chosenCount();
    panel.querySelector(".chosen").textContent = n ? "(" + n + " chosen)" : "";
  }

  function changed(push) {
    state.page = 1;
    remember(push);
    show();
    run();
  }

  // searching ---------------------------------------------------------------------------
  // A shown value as Pagefind holds it (before the panel is filled): escaped once where it
  // has `&`, `<` or `>`, as the build gives such values.
  function held(name, v) {
    var known = raw[name] && raw[name][v];
    return known !== undefined ? known :
      v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function filters() {
    var out = {};
    FACETS.forEach(function (f) {
      var values = state.chosen[f[0]].map(function (v) { return held(f[0], v); });
      if (values.length) {
        out[f[0]] = {any: values};
      }
    });
    if (state.from || state.to) {
      var range = months.filter(function (m) {
        return (!state.from || m >= state.from) && (!state.to || m <= state.to);
      });
      out.month = {any: range.length ? range : ["(none)"]};
    }
    return out;
  }

  function counts(found, early) {  // (early: Pagefind had not loaded the values to count)
    lastFound = found;
    if (early) {
      found = null;
    }
    Object.keys(boxes).forEach(function (name) {
      var known = (found && found.filters && found.filters[name]) || {};
      Object.keys(boxes[name]).forEach(function (v) {
        var n = known[raw[name][v]];
        boxes[name][v].nextSibling.querySelector(".count").textContent =
          found ? "(" + (n || 0) + ")" : "";
      });
    });
  }

  // Pagefind's excerpt: the page's text with `<` and `>` escaped (nothing else) and <mark>
  // around the words found.
  function angles(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  }

  function excerpt(text) {
    var p = element("p", "", {"class": "summary"});
    String(text || "").split(/(<mark>[\s\S]*?<\/mark>)/).forEach(function (part) {
      var marked = /^<mark>([\s\S]*)<\/mark>$/.exec(part);
      if (marked) {
        p.appendChild(element("mark", angles(marked[1])));
      } else if (part) {
        p.appendChild(document.createTextNode(angles(part)));
      }
    });
    return p;
  }

  function result(data) {
    var meta = data.meta || {};
    var li = element("li");
    li.appendChild(element("a", meta.title || data.url, {href: data.url}));
    var about = [meta.date, meta.outlet, meta.countries].filter(Boolean);
    if (about.length) {
      li.appendChild(element("small", about.join(" \u00b7 ")));
    }
    li.appendChild(excerpt(data.excerpt));
    return li;
  }

  function pages(total) {
    pager.textContent = "";
    var last = Math.ceil(total / PER_PAGE);
    pager.hidden = last < 2;
    if (last < 2) {
      return;
    }
    function link(page, text, rel) {
      var a = element("a", text, {href: address(state, page), rel: rel});
      a.addEventListener("click", function (event) {
        event.preventDefault();
        state.page = page;
        remember(true);
        run(true);
      });
      return a;
    }
    if (state.page > 1) {
      pager.appendChild(link(state.page - 1, "\u2190 Previous", "prev"));
    }
    pager.appendChild(element("span", "Page " + state.page + " of " + last));
    if (state.page < last) {
      pager.appendChild(link(state.page + 1, "Next \u2192", "next"));
    }
  }

  async function run(moved, again) {  // (again: the same search, for its counts)
    var token = ++latest;
    if ((state.from || state.to) && !months.length) {
      await fill();  // (the months the dates choose among)
      if (token !== latest) {
        return;
      }
    }
    var loaded = valuesLoaded;
    var chosen = filters();
    if (!state.q && !Object.keys(chosen).length) {
      list.textContent = "";
      pager.hidden = true;
      counts(null);
      status.textContent = "Type words to search for, or choose a country, a pair or another filter.";
      return;
    }
    if (!again) {
      status.textContent = "Searching\u2026";
    }
    var options = {filters: chosen};
    if (!state.sort) {
      options.sort = {date: "desc"};
    }
    var found = await search(state.q || null, options);
    if (token !== latest || !found) {
      return;
    }
    var total = found.results.length;
    var last = Math.max(1, Math.ceil(total / PER_PAGE));
    state.page = Math.min(state.page, last);
    var shown = found.results.slice((state.page - 1) * PER_PAGE, state.page * PER_PAGE);
    var data = await Promise.all(shown.map(function (r) { return r.data(); }));
    if (token !== latest) {
      return;
    }
    list.textContent = "";
    list.start = (state.page - 1) * PER_PAGE + 1;
    data.forEach(function (d) { list.appendChild(result(d)); });
    counts(found, !loaded);
    pages(total);
    status.textContent = total ? total + " clipping" + (total === 1 ? "" : "s") + " found" +
      (total > PER_PAGE ? ", " + (list.start) + " to " + (list.start + data.length - 1) + " shown" : "")
      : "No clipping found: try fewer words or filters.";
    if (moved) {
      status.scrollIntoView();
    }
    if (!loaded && valuesLoaded) {  // (the panel's values came meanwhile: counts of them)
      run(false, true);
    }
  }

  // the bundles -------------------------------------------------------------------------
  function bundle(name) {
    return new URL("pagefind/" + name + "/", root).pathname;
  }

  function dayAt(b, position) {  // the day of the page at `position` of a bundle's date order
    var lo = 0;
    var hi = b.ends.length - 1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (b.ends[mid] > position) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return b.days.length ? b.days[lo][0] : "";
  }

  function add(into, counts, sign) {  // filter → value → count, added (or taken off)
    Object.keys(counts || {}).forEach(function (name) {
      var values = counts[name];
      var target = into[name] = into[name] || Object.create(null);  // (values are text)
      (Array.isArray(values) ? values : Object.keys(values)).forEach(function (v) {
        target[v] = (target[v] || 0) + sign * (Array.isArray(values) ? 1 : values[v]);
      });
    });
    return into;
  }

  function newest(a, b) {  // newer day first; on one day, `recent` first, then the later page
    return a.day < b.day ? 1 : a.day > b.day ? -1 : a.bundle - b.bundle || b.score - a.score;
  }

  async function search(term, options) {
    var all = await Promise.all(bundles.map(function (b) {
      return b.module.search(term, options);
    }));
    var found = [];
    var filters = {};
    all.forEach(function (one, i) {
      var b = bundles[i];
      add(filters, one.filters, 1);
      one.results.forEach(function (r) {
        var dead = b.dead[r.id];
        if (dead) {
          add(filters, dead, -1);
        } else {
          found.push({result: r, bundle: i, score: r.score,
                      day: options.sort ? dayAt(b, Math.round(r.score)) : ""});
        }
      });
    });
    found.sort(options.sort ? newest : function (a, b) { return b.score - a.score; });
    return {results: found.map(function (f) { return f.result; }), filters: filters};
  }

  async function allFilters() {  // every value of every filter, with its count of pages
    var all = await Promise.all(bundles.map(function (b) { return b.module.filters(); }));
    var counts = {};
    all.forEach(function (one, i) {
      add(counts, one, 1);
      Object.keys(bundles[i].dead).forEach(function (id) { add(counts, bundles[i].dead[id], -1); });
    });
    Object.keys(counts).forEach(function (name) {
      Object.keys(counts[name]).forEach(function (v) {
        if (counts[name][v] <= 0) {
          delete counts[name][v];
        }
      });
    });
    return counts;
  }

  async function load(b) {
    if (!/^[A-Za-z0-9_-]+$/.test(String(b.name)) || !Array.isArray(b.days)) {
      throw new Error("pagefind/bundles.json lists a bundle it cannot name");
    }
    var module = await import(bundle(b.name) + "pagefind.js");
    await module.options({baseUrl: root.pathname});
    await module.init();
    var ends = [];
    b.days.reduce(function (sum, d) { ends.push(sum + d[1]); return sum + d[1]; }, 0);
    return {name: b.name, module: module, days: b.days, ends: ends, dead: b.dead || {}};
  }

  // start -------------------------------------------------------------------------------
  async function start() {
    var response = await fetch(new URL("pagefind/bundles.json", root));
    if (!response.ok) {
      throw new Error("pagefind/bundles.json: " + response.status);
    }
    var listed = await response.json();
    if (!listed || listed.version !== 2 || !Array.isArray(listed.bundles)) {
      throw new Error("pagefind/bundles.json is not one this page reads");
    }
    if (!listed.bundles.length) {
      status.textContent = "The digest has no clippings to search yet.";
      return;
    }
    bundles = await Promise.all(listed.bundles.map(load));
    setup();
    ready = true;
    // (what was typed while the index loaded counts)
    state.q = input.value.trim() || state.q;
    show();
    remember(false);
    first = run();
  }

  // Typing and the address work from the start; a search waits for the index (`run` does
  // nothing until then, and `start` runs the search of the moment once it is loaded).
  var typing = null;
  input.addEventListener("input", function () {
    window.clearTimeout(typing);
    typing = window.setTimeout(function () {
      state.q = input.value.trim();
      if (ready) {
        changed(false);
      }
    }, 250);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(typing);
    state.q = input.value.trim();
    if (ready) {
      changed(false);
    }
  });
  window.addEventListener("popstate", function () {
    state = read();
    if (ready) {
      show(true);
      run();
    }
  });

  input.value = state.q;
  start().catch(function (error) {
    status.textContent = "Search is not available: " + error.message;
  });
})();
