"""resources.classify answers ASCII links with substring tests before its patterns; here it is
proved to give what the patterns alone give (`_by_patterns`, the definition): on every link of
every corpus file and on random links made of the pieces the patterns look for, in any case,
with the characters IGNORECASE folds outside ASCII ('ſ', 'İ', 'ı', the Kelvin sign)."""
from __future__ import annotations

import random

import pytest

from minutes import document, keys
from minutes.problems import Rejected
from minutes.render import render_markdown
from minutes.resources import _by_patterns, classify
from tests.support.corpus import CORPUS, corpus_files

PIECES = ["https://", "http://", "www.", "youtube.com/watch?v=1", "youtube.com/live", "youtu.be/x",
          "vimeo.com/1", "vimeo.com/x", "zoom.us/rec/", "us02web.zoom.us/rec/play", "zoom.us/j/",
          "docs.google.com/presentation/d/", "docs.google.com/document/", "speakerdeck.com/",
          "slideshare.net/", ".ppt", ".pptx", ".key", ".odp", ".pdf", ".pdfx", "?", "#", "/", "-",
          "agenda", "Agenda", "recording", "Recordings", "slide", "slides", "Slide deck", "deck",
          "decks", "presentation", "presentations", "notes", " ", "\t", "\n", "a", "é", "ſ", "İ",
          "ı", "\u212a", "%20"]


def shuffled_case(rng: random.Random, text: str) -> str:
    return "".join(c.upper() if rng.random() < 0.3 else c for c in text)


def test_classify_is_its_patterns_on_random_links():
    rng = random.Random(68)
    kinds = set()
    for _ in range(20_000):
        href = shuffled_case(rng, "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6))))
        text = shuffled_case(rng, "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4))))
        found = classify(href, text)
        assert found == _by_patterns(href, text), (href, text)
        kinds.add(found)
    assert kinds == {"recording", "slides", "agenda", None}


@pytest.mark.parametrize("href, text", [
    ("httpſ://youtube.com/watch", ""), ("https://vİmeo.com/1", ""), ("https://x.org/a.pdf", "ſlides"),
    ("https://x.org/recording", "RECORDİNG"), ("https://x.org/a.pdf", "Slıde"), ("x\ny/agenda", "a"),
    ("https://x.org/ag\tenda.pdf", ""), ("https://x.org/slide.pdf", ""), ("https://x.org/s", "slideshow"),
])
def test_classify_is_its_patterns_on_folded_characters(href, text):
    assert classify(href, text) == _by_patterns(href, text)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here")
def test_classify_is_its_patterns_on_every_corpus_link():
    links = []
    for key, path in corpus_files().items():
        if not key.endswith(".md"):
            continue
        try:
            doc = document.parse_document(path.read_bytes(), key=keys.parse_key(key))
        except Rejected:   # the two files that are not minutes
            continue
        links += render_markdown(doc.body, parsed=doc.parsed).links
    assert len(links) > 1_000
    for href, text in links:
        assert classify(href, text) == _by_patterns(href, text)
