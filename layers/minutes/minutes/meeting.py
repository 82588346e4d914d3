"""Files of one meeting -> one MeetingRecord (a single .md, or a dated folder of documents).

A folder is one meeting: the minutes (NOTES.md, MINUTES.md or README.md) first, then the agenda,
the attendees and any other document, with its attachments listed. Agenda only = upcoming.
"""
from __future__ import annotations

import datetime as dt
import errno
import html
import posixpath
import re
import urllib.parse
from dataclasses import dataclass, replace

from . import keys, plaintext
from .document import DEFAULT_MAX_BYTES, Document, parse_document, too_large
from .feeds import feed_id_for
from .links import START_TAG
from .lazy_re import lazy
from .model import Attachment, Heading, MeetingRecord
from .problems import Problem, Rejected, error, for_scribe, warning
from .regular_file import FOLDER, NotRegularFile
from .render import render_markdown
from .resources import resources_of
from .summary import agenda_summary, summarize

_SECTION_TITLES = {"agenda.md": "Agenda", "attendees.md": "Attendees"}
# Attachments larger than this are listed with a warning, not read or served.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    key: str
    data: bytes
    size: int | None = None   # set, with data b"", when the file was not read (read_limit)


def read_limit(key: str, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """The size above which the file at `key` is not read, as the pipeline never reads it
    (services/publish.py): `max_bytes` for Markdown (a larger file is rejected, too-large, by
    its size), MAX_ATTACHMENT_BYTES for an attachment the site serves, 0 for any other file
    (only its name is used). `minutes build` and `minutes check` decide by the file's stat, so
    a 3 GB deck, or a 3 GB .md, costs no memory (decisions 85 and 88)."""
    if key.lower().endswith(".md"):
        return max_bytes
    return MAX_ATTACHMENT_BYTES if keys.attachment_type(key) else 0


def linked_source(key: str) -> Problem:
    """The file at `key` (a folder: `key` ends with '/') is a symbolic link: never read or
    entered, its meeting (or what the folder holds) rejected (decisions 78 and 88), by
    `minutes build` and `minutes check` alike."""
    what = "folder" if key.endswith("/") else "file"
    return error("linked-source", f"{key} is a symbolic link: minutes build reads only regular "
                 "files under SRC, so that a link cannot publish a file from elsewhere on the "
                 f"machine that builds", f"put the {what} itself there instead of the link",
                 file=key)


def unreadable_source(key: str, failed: OSError) -> Problem:
    """Why the source file (or folder: `key` ends with '/') at `key` could not be read, as
    `minutes build` and `minutes check` say it (decision 88): a symbolic link, something
    that is not a regular file (never opened for reading: a FIFO would wait for ever), or
    what the system refused (no read permission, say). What it holds is rejected, never
    dropped in silence."""
    if failed.errno == errno.ELOOP:
        return linked_source(key)
    folder = key.endswith("/")
    if isinstance(failed, NotRegularFile) and failed.kind == FOLDER:
        return error("source-not-a-file", f"{key} is a folder, not a regular file: its name is "
                     "that of a file minutes reads (Markdown, group.yaml, an attachment the site "
                     "serves), so it is not entered and nothing in it is read",
                     "rename the folder (a folder meeting is named <yyyy-mm-dd>-<topic>, with no "
                     "extension), or put the file itself there", file=key)
    if isinstance(failed, NotRegularFile):
        return error("source-not-a-file", f"{key} is {failed.kind}, not a regular file: "
                     "minutes reads only regular files, and reading this one might never end",
                     "put the file itself there, or move this out of the folder", file=key)
    reason = failed.strerror or str(failed)
    fix = "chmod u+rx on the folder" if folder else "chmod u+r on the file"
    return error("source-unreadable", f"{key} cannot be read ({reason}): what it holds is left "
                 "out of the site", f"give yourself read permission ({fix}), or move it out of "
                 "the folder", file=key)


@dataclass(frozen=True)
class Assembled:
    record: MeetingRecord
    problems: tuple[Problem, ...]          # warnings, each with its file
    attachments: tuple[tuple[SourceFile, Attachment], ...]
    notify: bool = True                    # the minutes' front matter may say `notify: false`
    notes: tuple[Problem, ...] = ()        # infos: only `minutes check --verbose` shows them
    # The text whose words are those of record.content_html, from the Markdown walk
    # (render.shown_text), for search.packed_terms; None when only the HTML tells. Not stored.
    search_text: str | None = None
    # The errors of the folder's documents left out of it (decision 94): publish rejects the
    # upload of such a document, and publishes the rest when another file of the folder changes.
    left_out: tuple[Problem, ...] = ()


def assemble(files: list[SourceFile], *, site_host: str, feed_id: str | None = None,
             published: dt.datetime | None = None, updated: dt.datetime | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES, group_name: str | None = None,
             verdict_only: bool = False, mail_text: bool = False) -> Assembled:
    """Parse, check and render every file of one meeting. Raises Rejected with every error.
    `verdict_only` (minutes check): the same problems, but the record lacks what only pages,
    feeds and mail read (its HTML, summary and page resources), half of the work.
    `mail_text` (publish): the record also carries its text form for mail (content_text)."""
    files = sorted(files, key=lambda f: f.key)
    first = keys.parse_key(files[0].key)
    docs, problems, attachments, left_out = _parse_all(files, first, max_bytes, group_name)
    assembled = assemble_documents(first, docs, problems, attachments,
                                   source_keys=tuple(f.key for f in files), site_host=site_host,
                                   feed_id=feed_id, published=published, updated=updated,
                                   verdict_only=verdict_only, mail_text=mail_text)
    return replace(assembled, left_out=left_out) if left_out else assembled


def assemble_documents(first: keys.MeetingKey, docs: dict[str, Document], problems: list[Problem],
                       attachments: list[SourceFile], *, source_keys: tuple[str, ...],
                       site_host: str, feed_id: str | None = None,
                       published: dt.datetime | None = None,
                       updated: dt.datetime | None = None, verdict_only: bool = False,
                       mail_text: bool = False) -> Assembled:
    """Parsed documents of one meeting -> its record (running_notes.py hands in a section)."""
    minutes_doc = _minutes_doc(docs)
    lead = minutes_doc or next(iter(docs.values()), None)
    if lead is None:
        # An error, not a warning: a rejection must carry at least one error to be one.
        raise Rejected([error("no-documents", "The meeting folder has no Markdown document.",
                              "Upload NOTES.md (minutes) or AGENDA.md next to the attachments.",
                              file=first.key)])
    segment = first.segment(first.date or lead.date)
    status = "draft" if lead.draft else ("published" if minutes_doc else "upcoming")
    # Attachments live in the page's own folder (a draft's under _drafts/, never public).
    folder = f"/{first.group}/_drafts/{segment}/" if status == "draft" else f"/{first.group}/{segment}/"
    attachments = [(source, Attachment(
        name=keys.parse_key(source.key).name,
        url_path=folder + keys.site_quote(keys.parse_key(source.key).name),
        content_type=keys.attachment_type(source.key) or "application/octet-stream",
        size=len(source.data))) for source in attachments]
    published_at = published or _midnight(lead.date)
    links = {name.lower(): att for name, att in _attachment_map(attachments).items()}
    html, headings, missing, linked, text, search_text = _content(
        docs, lead, links, verdict_only, mail_text and not verdict_only)
    problems = list(problems) + [
        warning("missing-local-file", f"'{target}' is linked but was not uploaded.",
                "Upload the file into the meeting folder, or link to where it lives.",
                file=lead_key) for target, lead_key in missing]
    record = MeetingRecord(
        group=first.group, meeting=first.meeting, segment=segment, title=lead.title,
        date=lead.date, status=status, time=lead.time, timezone=lead.timezone,
        summary=lead.summary or ("" if verdict_only else _summary(docs, lead)),
        content_html=html, headings=headings,
        attendees=lead.attendees, tags=lead.tags,
        attachments=tuple(att for _, att in attachments),
        source_keys=source_keys,
        feed_id=feed_id or feed_id_for(site_host=site_host, group=first.group,
                                       meeting=first.meeting, key_date=first.date,
                                       date=lead.date),
        published=published_at, updated=updated or published_at,
        warnings=tuple(p.message for p in problems if not p.is_info),
        resources=None if verdict_only else resources_of(
            linked, exclude={att.url_path for _, att in attachments}),
        content_text=text)
    return Assembled(record, tuple(for_scribe(problems)), tuple(attachments), notify=lead.notify,
                     notes=tuple(p for p in problems if p.is_info), search_text=search_text)


def _parse_all(files, first: keys.MeetingKey, max_bytes, group_name: str | None = None):
    docs: dict[str, Document] = {}
    problems: list[Problem] = []
    errors: list[Problem] = []
    failed: dict[str, list[Problem]] = {}   # document name -> the errors rejecting it
    attachments = []
    doc_keys: dict[str, str] = {}
    if not first.is_folder and len(files) > 1:   # files sorted: `x.md` before `x/NOTES.md`
        # Files publish reads too (it never reads a type the site does not serve).
        folder = next((f.key for f in files if keys.parse_key(f.key).is_folder and (
            f.key.lower().endswith(".md") or keys.attachment_type(f.key))), None)
        if folder is not None:
            raise Rejected([file_and_folder(first.key, keys.parse_key(folder).meeting_prefix)])
    for source in files:
        key = keys.parse_key(source.key)
        if key.is_markdown:
            name = key.name.lower() or "minutes"
            if name in doc_keys:   # ok.md and ok.MD: one would silently replace the other
                errors.append(same_document(doc_keys[name], source.key))
                continue
            doc_keys[name] = source.key
            if source.size is not None and source.size > max_bytes:   # not read: read_limit
                failed[name] = [too_large(source.size, max_bytes).in_file(source.key)]
                continue
            try:
                doc = parse_document(source.data, key=key, max_bytes=max_bytes,
                                     group_name=group_name)
            except Rejected as rejected:
                failed[name] = [p.in_file(source.key) for p in rejected.problems]
                continue
            docs[key.name.lower() or "minutes"] = doc
            problems += [p.in_file(source.key) for p in doc.problems]
        elif not keys.attachment_type(key.name):
            problems.append(unserved(source.key))
        elif (size := len(source.data) if source.size is None else source.size) > MAX_ATTACHMENT_BYTES:
            problems.append(too_big(source.key, size, MAX_ATTACHMENT_BYTES))
        else:
            attachments.append(source)
    left_out: list[Problem] = []
    for name, found in failed.items():
        if first.is_folder and _can_leave_out(name, docs):
            left_out += [p for p in found if p.is_error]
            problems += [_left_out(p) for p in found if p.is_error]
        else:
            errors += found
    if errors:
        raise Rejected(errors + [p for p in problems if p.is_error])
    return docs, problems, attachments, tuple(left_out)


def _can_leave_out(name: str, docs: dict[str, Document]) -> bool:
    """Whether the rejected document `name` of a folder meeting is left out, the rest of the
    meeting published (decision 94): the agenda or the attendees, or any other document once
    the folder's minutes (NOTES.md, MINUTES.md, README.md) are good. The minutes themselves,
    or the document that would stand in for them, reject the meeting: leaving them out would
    turn published minutes into an upcoming meeting, or leave no document at all."""
    if name in keys.MINUTES_NAMES or not docs:
        return False
    return name in _SECTION_TITLES or any(n in keys.MINUTES_NAMES for n in docs)


def _left_out(problem: Problem) -> Problem:
    """A rejected document's error as the warning its meeting is published with (the
    problem names the document: its file)."""
    return warning(problem.code, "Left out of the meeting's page (the rest is published): "
                   f"{problem.message}", problem.hint, problem.line, problem.column,
                   file=problem.file)


def same_document(first: str, second: str) -> Problem:
    """Two files whose names differ only in case are one document of one meeting (ok.md and
    ok.MD, NOTES.md and notes.md): one page, so one of them would be dropped (decision 88)."""
    return error("duplicate-source", f"{first} and {second} are the same document of one "
                 "meeting (their names differ only in upper and lower case), and its page can "
                 "show only one of them", "keep one file: merge what the other says into it, "
                 "then delete the other", file=second)


def file_and_folder(file: str, folder: str) -> Problem:
    """A file and a dated folder of one name (`2019-04-18.md` beside `2019-04-18/NOTES.md`)
    are one meeting, one page: it cannot be both (decision 103)."""
    return error("duplicate-source", f"{file} and the folder {folder} are one meeting (the "
                 "file's name is the folder's), and its page can show only one of them: neither "
                 "is published until one is left", "keep one: move the file into the folder "
                 "(as NOTES.md if it holds the minutes), or delete the file or the folder",
                 file=file)


def unserved(key: str) -> Problem:
    """The warning for a file in a meeting folder that is not a type the site serves."""
    return warning("attachment-type", f"'{keys.parse_key(key).name}' is not published: only PDF "
                   "and PNG/JPEG/WebP/GIF images are served.",
                   "Convert it to PDF, or link to where it lives.", file=key)


def too_big(key: str, size: int, limit: int) -> Problem:
    return warning("attachment-too-large", f"'{keys.parse_key(key).name}' ({size:,} bytes) is "
                   f"not published: attachments are limited to {limit:,} bytes.",
                   "Compress it, or link to where it lives (slides on a drive, a video on a "
                   "video site).", file=key)


def _minutes_doc(docs: dict[str, Document]) -> Document | None:
    for name in ("minutes",) + keys.MINUTES_NAMES:
        if name in docs:
            return docs[name]
    others = [name for name in sorted(docs) if name not in _SECTION_TITLES]
    return docs[others[0]] if others else None


def _attachment_map(attachments) -> dict[str, Attachment]:
    return {att.name: att for _, att in attachments}


def _content(docs: dict[str, Document], lead: Document, links: dict[str, Attachment],
             verdict_only: bool = False, mail_text: bool = False):
    """Minutes first, then agenda, attendees and other documents, each as its own section.
    `verdict_only`: the headings and missing links, no HTML (""). `mail_text`: the same
    sections as text (plaintext.document), None when any document has no text form.
    Last, the text whose words are those of the HTML (render.shown_text of each document and
    the sections' titles), None when any document's are not known."""
    def resolve(value: str, doc: Document) -> str | None:
        path = urllib.parse.unquote(value.split("#")[0].split("?")[0])
        found = links.get(posixpath.normpath(path).lstrip("./").lower())
        if found:
            return found.url_path
        return _meeting_link(path, value, doc, docs, lead)

    ordered = [lead] + [d for name in ("agenda.md", "attendees.md") if (d := docs.get(name))
                        and d is not lead]
    ordered += [d for name, d in sorted(docs.items()) if d not in ordered]
    parts, headings, missing, linked = [], [], [], []
    text: list[str] | None = [] if mail_text else None
    shown: list[str] | None = None if verdict_only else []
    for doc in ordered:
        is_lead = doc is lead
        rendered = render_markdown(doc.body, drop_first_h1=doc.title_from_h1 and is_lead,
                                   resolve_link=lambda value, doc=doc: resolve(value, doc),
                                   top_level=2 if is_lead else 3, parsed=doc.parsed,
                                   html=not verdict_only, mail_text=text is not None)
        missing += [(m, doc.key.key) for m in rendered.missing_links if _looks_like_file(m)]
        linked += rendered.links
        title = None if is_lead else _SECTION_TITLES.get(doc.key.name.lower(),
                                                         doc.key.name.rsplit(".", 1)[0])
        if text is not None:   # a section is its heading, then its blocks (as in the HTML)
            text = None if rendered.text is None else (
                text + (plaintext.heading(title, 2) if title else []) + list(rendered.text))
        if shown is not None:
            shown = _shown(shown, rendered.search_text, title)
        if is_lead:
            parts.append(rendered.html)
            headings += rendered.headings
            continue
        prefix = _section_id(doc)
        if not verdict_only:
            body = _in_section(rendered.html, prefix)
            parts.append(f'<section aria-labelledby="{prefix}">\n<h2 id="{prefix}">{html.escape(title)}</h2>\n{body}</section>\n')
        headings.append(Heading(2, prefix, title))
    return ("".join(parts), tuple(headings), missing, linked,
            None if text is None else plaintext.document(text),
            None if shown is None else " ".join(shown))


_SECTION_ANCHORS = lazy(r'( id="|href="#)')


def _in_section(fragment: str, prefix: str) -> str:
    """A section's fragment with its ids and links to them given the section's prefix, so they
    stay apart from the other documents' on one page. Only in tags: the text keeps what the
    scribe wrote (the renderer writes a text's '"' as it is, so `id="main"` can be text)."""
    def tag(found: re.Match) -> str:
        return _SECTION_ANCHORS.sub(rf"\g<1>{prefix}-", found[0])
    return START_TAG.sub(tag, fragment) if 'id="' in fragment or 'href="#' in fragment else fragment


def _shown(shown: list[str], found: str | None, title: str | None) -> list[str] | None:
    """The texts of the sections so far and this one's (its title, then its text), or None
    when its words are not known."""
    if found is None:
        return None
    return shown + [found] if title is None else shown + [title, found]


def _summary(docs: dict[str, Document], lead: Document) -> str:
    """What the meeting was about (summary.py): from the minutes, else from the agenda's
    items, else from any other document of the meeting."""
    found = summarize(lead.parsed, title=lead.title)
    agenda = docs.get("agenda.md")
    if not found and agenda is not None and agenda is not lead:
        found = agenda_summary(agenda.parsed) or summarize(agenda.parsed,
                                                                 title=agenda.title)
    for _, doc in sorted(docs.items()):
        if found:
            break
        if doc is not lead and doc is not agenda:
            found = summarize(doc.parsed, title=doc.title)
    return found


def _section_id(doc: Document) -> str:
    return keys.slugify(doc.key.name.rsplit(".", 1)[0]) or "doc"


def _meeting_link(path: str, value: str, doc: Document, docs: dict[str, Document],
                  lead: Document) -> str | None:
    """A link to another Markdown file of the minutes (`2019-04-18.md`, `AGENDA.md`) -> the page
    that file becomes, so links between minutes keep working on the site. The target's URL
    follows from its key alone; a key outside minutes/ or without a date is left alone."""
    if not path.lower().endswith(".md") or path.startswith("/"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(doc.key.key), path))
    if not target.startswith(keys.PREFIX):
        return None
    try:
        key = keys.parse_key(target)
    except Rejected:
        return None
    fragment = value.split("#", 1)[1] if "#" in value else ""
    same = next((d for d in docs.values() if d.key.key == key.key), None)
    if same is not None:
        # A document of this very meeting: its section on this page. The page's own path, not
        # a bare '#...': _content prefixes bare fragments with the linking section's id.
        fragment = fragment if same is lead else "-".join(filter(None, (_section_id(same), fragment)))
    elif key.date is None:
        return None
    return f"/{key.group}/{key.segment()}/" + (f"#{fragment}" if fragment else "")


def _looks_like_file(target: str) -> bool:
    path = target.split("#")[0].split("?")[0]
    return bool(re.search(r"\.(pdf|png|jpe?g|webp|gif|svg|pptx?|docx?|xlsx?|md)$", path, re.I)) \
        and not path.startswith("..")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
