/* Minutes Pipeline: search over the chunked index (search/meta.json, t/, d/: minutes/search.py).
   A query fetches the count of term files (again when a word matches nothing: a re-shard may
   change it while the page is open), one term file per word and the week files of the results
   it shows, never the whole index. Without this file the page points to the archive. */
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form || !window.fetch || !window.TextEncoder) return;
  var input = form.querySelector("input[name=q]");
  var status = document.querySelector(".search-status");
  var list = document.querySelector(".search-results");
  var root = form.getAttribute("data-root").replace(/index\.html$/, "");
  var shown = 50, shards = {}, weeks = {}, latest = 0;
  var WEEK = 64 * 7;  // ids are day * 64 + rank; a d/ file holds 7 days (search.CHUNK_DAYS)
  var SHARDS = 1024;  // the hash's modulus (search.SHARDS)
  var count = null;   // a promise of the count of t/ files (no meta.json: SHARDS)
  var known = null;   // the count last read
  var recounted = false;  // it changed while open: term files are revalidated since
  var WORD = /[\p{L}\p{N}]+(?:['\u2019.+#-][\p{L}\p{N}]+)*/gu;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];

  document.querySelector(".search-fallback").hidden = true;
  form.hidden = false;

  function words(text) { return (text.toLowerCase().match(WORD) || []); }

  // the file of a prefix: FNV-1a (32 bits) of its UTF-8, modulo SHARDS (search.shard_key), modulo
  // the count of files (search.file_key: a power of two that divides SHARDS), in hex
  function shardOf(prefix, files) {
    var bytes = new TextEncoder().encode(prefix), h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    var name = (h % SHARDS % files).toString(16);
    return "000".slice(name.length) + name;
  }

  function json(url, missing, options) {
    return fetch(url, options).then(function (r) {
      if (r.status === 404 && missing !== undefined) return missing;  // no such shard: no match
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  // the count of term files; asked of the server again (never the browser's copy) when `again`
  function files(again) {
    if (again || !count) {
      count = json(root + "search/meta.json", { shards: SHARDS }, { cache: "no-cache" }).then(function (meta) {
        recounted = recounted || (known !== null && known !== meta.shards);
        return (known = meta.shards);
      }, function (error) { count = null; throw error; });  // asked again by the next query
    }
    return count;
  }

  // word -> sorted values (id * 2 + 1 when the word is in the title), for one shard of a count
  function shard(prefix, n) {
    var key = shardOf(prefix, n), name = n + "/" + key;
    shards[name] = shards[name] || json(root + "search/t/" + key + ".json", { w: {} },
                                        recounted ? { cache: "no-cache" } : undefined).then(function (data) {
        var postings = {};
        Object.keys(data.w).forEach(function (word) {
          var sum = 0;
          postings[word] = data.w[word].map(function (delta) { return (sum += delta); });
        });
        return postings;
      });
    return shards[name];
  }

  // id -> in title, for the meetings with a word that is the term (1-2 letters) or starts with
  // it, in the term files of `n`
  function matchesIn(term, n) {
    var letters = Array.from(term), whole = letters.length < 3;
    return shard(letters.slice(0, 3).join(""), n).then(function (postings) {
      var found = new Map();
      Object.keys(postings).forEach(function (word) {
        if (whole ? word !== term : word.lastIndexOf(term, 0) !== 0) return;
        postings[word].forEach(function (value) {
          var id = Math.floor(value / 2);
          found.set(id, found.get(id) || value % 2 === 1);
        });
      });
      return found;
    });
  }

  // matchesIn the named count; a term matching nothing asks for the count again (once a
  // query) and is looked up again if it changed
  function matches(term, recount) {
    return files(false).then(function (n) {
      return matchesIn(term, n).then(function (found) {
        if (found.size) return found;
        recount.asked = recount.asked || files(true);
        return recount.asked.then(function (now) { return now === n ? found : matchesIn(term, now); });
      });
    });
  }

  function doc(id) {
    var week = Math.floor(id / WEEK);
    weeks[week] = weeks[week] || json(root + "search/d/" + week + ".json");
    return weeks[week].then(function (results) { return results[id]; });
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

  function rank(found) {  // every word must match; a word of the title counts more; newest first
    var hits = [];
    found[0].forEach(function (inTitle, id) {
      var score = 0;
      for (var i = 0; i < found.length; i++) {
        if (!found[i].has(id)) return;
        score += found[i].get(id) ? 10 : 1;
      }
      hits.push({ id: id, score: score });
    });
    return hits.sort(function (a, b) { return b.score - a.score || b.id - a.id; });
  }

  function show(query, hits, meetings) {
    list.textContent = "";
    meetings.forEach(function (m) { list.appendChild(entry(m)); });
    status.textContent = hits.length === 0 ? "No meeting matches \u201c" + query + "\u201d."
      : (hits.length === 1 ? "1 meeting matches." : hits.length + " meetings match.")
        + (hits.length > shown ? " Showing the best " + shown + "." : "");
  }

  function search(query, push) {
    var terms = words(query).filter(function (t, i, all) { return all.indexOf(t) === i; });
    var mine = ++latest;
    if (!terms.length) { list.textContent = ""; status.textContent = ""; return; }
    status.textContent = "Searching\u2026";
    var recount = {};
    Promise.all(terms.map(function (term) { return matches(term, recount); })).then(function (found) {
      var hits = rank(found);
      return Promise.all(hits.slice(0, shown).map(function (h) { return doc(h.id); })).then(function (meetings) {
        if (mine !== latest) return;  // a newer query has started
        show(query, hits, meetings);
        if (push) history.replaceState(null, "", "?q=" + encodeURIComponent(query));
      });
    }).catch(function () {
      if (mine !== latest) return;
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
