/* Minutes Pipeline: search over the prebuilt index (search/index.json). Progressive: the page
   works without this file (it points to the archive); with it, the form appears and searches. */
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var status = document.querySelector(".search-status");
  var list = document.querySelector(".search-results");
  var root = form.getAttribute("data-root").replace(/index\.html$/, "");
  var shown = 50, index = null, loading = null;
  var WORD = /[\p{L}\p{N}]+(?:['\u2019.+#-][\p{L}\p{N}]+)*/gu;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];

  document.querySelector(".search-fallback").hidden = true;
  form.hidden = false;

  function words(text) { return (text.toLowerCase().match(WORD) || []); }

  function load() {
    loading = loading || fetch(form.getAttribute("data-index"))
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        index = data.meetings.map(function (m) {
          var title = " " + words(m.title).join(" ") + " ";
          return { m: m, title: title,
                   all: title + m.group + " " + words(m.group).join(" ") + " " + m.date + " " + m.words + " " };
        });
      });
    return loading;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function longDate(iso) {  // "2022-09-20" -> "20 September 2022", as the archive writes it
    var p = iso.split("-");
    return +p[2] + " " + MONTHS[+p[1] - 1] + " " + p[0];
  }

  function entry(m) {
    var li = el("li", "entry"), h = el("h2", "entry-title"), a = el("a", "", m.title);
    a.href = root + m.path.slice(1) + "index.html";
    h.appendChild(a); li.appendChild(h);
    var meta = el("p", "entry-meta"), time = el("time", "", longDate(m.date));
    time.setAttribute("datetime", m.date);
    meta.appendChild(time);
    meta.appendChild(document.createTextNode(" \u00b7 " + m.group + " "));
    if (m.status === "upcoming") meta.appendChild(el("span", "badge badge-upcoming", "Upcoming \u2014 agenda"));
    li.appendChild(meta);
    if (m.summary) li.appendChild(el("p", "entry-summary", m.summary));
    return li;
  }

  function run(query) {
    var terms = words(query);
    list.textContent = "";
    if (!terms.length) { status.textContent = ""; return; }
    var hits = [];
    index.forEach(function (item) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var t = " " + terms[i];
        if (item.all.indexOf(t) < 0) return;          // every word must be there
        score += item.title.indexOf(t) >= 0 ? 10 : 1;  // a word of the title counts more
      }
      hits.push({ item: item, score: score });
    });
    hits.sort(function (a, b) {
      return b.score - a.score || (a.item.m.date < b.item.m.date ? 1 : a.item.m.date > b.item.m.date ? -1 : 0);
    });
    hits.slice(0, shown).forEach(function (h) { list.appendChild(entry(h.item.m)); });
    status.textContent = hits.length === 0 ? "No meeting matches \u201c" + query + "\u201d."
      : (hits.length === 1 ? "1 meeting matches." : hits.length + " meetings match.")
        + (hits.length > shown ? " Showing the best " + shown + "." : "");
  }

  function search(query, push) {
    status.textContent = "Searching\u2026";
    load().then(function () {
      run(query);
      if (push) history.replaceState(null, "", "?q=" + encodeURIComponent(query));
    }, function () {
      status.textContent = "The search index could not be loaded (a page opened from disk cannot load it: "
        + "preview the site with \u201cminutes serve\u201d). Every meeting is listed in the archive.";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search(input.value, true);
  });
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value, false); }, 150);
  });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; search(initial, false); }
})();
