"""S3 adapters: the private minutes bucket (read, tag, report) and the public site bucket."""
from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from dataclasses import dataclass

from botocore.exceptions import ClientError

from ..search import META_PATH
from ..site import SiteFile
from .parallel import concurrently

_CACHE_HTML = "public, max-age=300"
_CACHE_ASSET = "public, max-age=31536000, immutable"
# meta.json names the count of term files: a re-shard changes it and every word's file with it,
# so a reader must not keep an old copy (search.js fetches it again when a term file is missing).
_CACHE_REVALIDATE = "no-cache"


@dataclass(frozen=True)
class StoredObject:
    key: str
    data: bytes
    version_id: str | None


class MinutesStore:
    def __init__(self, s3, bucket: str):
        self._s3, self._bucket = s3, bucket

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The object (at a version when given); None when it no longer exists."""
        args = {"Bucket": self._bucket, "Key": key}
        if version_id:
            args["VersionId"] = version_id
        try:
            found = self._s3.get_object(**args)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion", "404",
                                                  "MethodNotAllowed", "InvalidArgument"):
                return None
            raise
        return StoredObject(key, found["Body"].read(), found.get("VersionId"))

    def current_version(self, key: str) -> str | None:
        """The version id of the key's current object, or None when the key is gone (its
        latest version is a delete marker, or it never existed)."""
        try:
            found = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound", "405", "MethodNotAllowed"):
                return None
            raise
        return found.get("VersionId") or "null"

    def keys_under(self, prefix: str) -> list[str]:
        return sorted(self.listing(prefix))

    def listing(self, prefix: str) -> dict[str, tuple[str, int]]:
        """Key -> (ETag, size) of every object under a prefix (a folder meeting, as it is now)."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
        return {item["Key"]: (item["ETag"], item["Size"])
                for page in pages for item in page.get("Contents", [])}

    def tag(self, key: str, version_id: str | None, tags: dict[str, str]) -> None:
        args = {"Bucket": self._bucket, "Key": key,
                "Tagging": {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}}
        if version_id:
            args["VersionId"] = version_id
        try:
            self._s3.put_object_tagging(**args)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("NoSuchKey", "NoSuchVersion", "MethodNotAllowed"):
                raise  # the object went away meanwhile: nothing to tag

    def get_report(self, key: str) -> dict | None:
        """The JSON report last written for a key, or None."""
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=f"reports/{key}.json")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        try:
            return json.loads(found["Body"].read())
        except ValueError:
            return None  # garbled by hand: the next verdict replaces it

    def put_report(self, key: str, report: dict, text: str) -> None:
        base = "reports/" + key
        self._s3.put_object(Bucket=self._bucket, Key=base + ".json",
                            Body=json.dumps(report, indent=2, ensure_ascii=False).encode(),
                            ContentType="application/json")
        self._s3.put_object(Bucket=self._bucket, Key=base + ".txt", Body=text.encode(),
                            ContentType="text/plain; charset=utf-8")


class ScribeBucket(MinutesStore):
    """MinutesBucket as a scribe's tools see it (`minutes upload`, `minutes sync`): they also
    put and delete minutes. Returns the version id each write made (the bucket is versioned;
    the verdict report names the version it answers)."""

    def put(self, key: str, data: bytes) -> str | None:
        found = self._s3.put_object(Bucket=self._bucket, Key=key, Body=data,
                                    ContentType=_content_type(key),
                                    ContentMD5=base64.b64encode(
                                        hashlib.md5(data, usedforsecurity=False).digest()).decode())
        return found.get("VersionId")

    def delete(self, key: str) -> str | None:
        return self._s3.delete_object(Bucket=self._bucket, Key=key).get("VersionId")


def _content_type(key: str) -> str:
    from ..keys import attachment_type
    if key.lower().endswith(".md"):
        return "text/markdown; charset=utf-8"
    if key.lower().endswith((".yaml", ".yml")):
        return "application/yaml"
    return attachment_type(key) or "application/octet-stream"


def object_key(path: str) -> str:
    """The SiteBucket key that serves a site path. S3 website hosting (and CloudFront with an
    S3 origin) decodes the request path into the key, so `/g/m/%5BPublic%5D%20Slides.pdf` is
    served from the key `g/m/[Public] Slides.pdf`: store under the decoded path."""
    return urllib.parse.unquote(path.lstrip("/"))


class SiteStore:
    """Writes the public site; skips a write whose bytes are already there (ETag = MD5)."""

    def __init__(self, s3, bucket: str):
        self._s3, self._bucket = s3, bucket
        self.writes = 0
        self.skipped = 0
        self.deleted = 0

    def put(self, item: SiteFile, *, etags: dict[str, str] | None = None) -> bool:
        """Write unless the bytes are there already. `etags` (from etags()) saves the HEAD
        request per file when many files of one prefix are written; `etags={}` writes without
        asking (the caller knows the bytes differ)."""
        written = self._put(item, etags)
        if written:
            self.writes += 1
        else:
            self.skipped += 1
        return written

    def put_many(self, items: list[SiteFile], *, etags: dict[str, str] | None = None) -> int:
        """put() of many files at once (a few at a time, concurrently); returns only when every
        one is written, and raises the first failure once the others have finished."""
        written = concurrently(lambda item: self._put(item, etags), items)
        self.writes += sum(written)
        self.skipped += len(written) - sum(written)
        return sum(written)

    def _put(self, item: SiteFile, etags: dict[str, str] | None) -> bool:
        key = object_key(item.path)
        md5 = hashlib.md5(item.body, usedforsecurity=False)
        if (etags.get(key) if etags is not None else self._etag(key)) == md5.hexdigest():
            return False
        cache = (_CACHE_ASSET if item.path.startswith("/assets/") else
                 _CACHE_REVALIDATE if item.path == META_PATH else _CACHE_HTML)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=item.body,
                            ContentType=item.content_type, CacheControl=cache,
                            ContentMD5=base64.b64encode(md5.digest()).decode())
        return True

    def etags(self, prefix: str) -> dict[str, str]:
        """Key -> ETag (the MD5 of a single-part upload) of every object under a prefix."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
        return {item["Key"]: item["ETag"].strip('"') for page in pages for item in page.get("Contents", [])}

    def list(self, prefix: str, *, delimiter: str | None = None) -> tuple[list[str], list[str]]:
        """Keys under a key prefix, and the common prefixes when a delimiter is given."""
        args = {"Bucket": self._bucket, "Prefix": prefix}
        if delimiter:
            args["Delimiter"] = delimiter
        keys, prefixes = [], []
        for page in self._s3.get_paginator("list_objects_v2").paginate(**args):
            keys += [item["Key"] for item in page.get("Contents", [])]
            prefixes += [item["Prefix"] for item in page.get("CommonPrefixes", [])]
        return keys, prefixes

    def first_keys(self, prefix: str, limit: int = 1000) -> tuple[list[str], bool]:
        """The first page of keys under a prefix (up to `limit`, at most 1,000, in key order)
        and whether that is all of them: one call, whatever the folder's size."""
        found = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=limit)
        return [item["Key"] for item in found.get("Contents", [])], not found.get("IsTruncated")

    def delete_keys(self, keys: list[str]) -> int:
        """Delete keys, 1,000 a call; a key S3 could not delete raises (it reports them in the
        answer, not as an error), so a caller's retry deletes it again."""
        for start in range(0, len(keys), 1000):
            found = self._s3.delete_objects(Bucket=self._bucket, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
            if found.get("Errors"):
                failed = found["Errors"][0]
                raise ClientError({"Error": {"Code": failed.get("Code", "DeleteFailed"),
                                             "Message": f"{failed.get('Key')}: {failed.get('Message')}"}},
                                  "DeleteObjects")
        self.deleted += len(keys)
        return len(keys)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under a site path prefix ("g/m/" or "/g/m/")."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket,
                                                                   Prefix=object_key(prefix))
        return self.delete_keys([item["Key"] for page in pages for item in page.get("Contents", [])])

    def delete(self, path: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=object_key(path))
        self.deleted += 1

    def get(self, path: str) -> bytes | None:
        """A site file's bytes (None when there is none)."""
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=object_key(path))["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def get_many(self, paths: list[str]) -> dict[str, bytes | None]:
        """get() of many files at once (a few at a time, concurrently)."""
        return dict(zip(paths, concurrently(self.get, paths)))

    def exists(self, path: str) -> bool:
        return self._etag(object_key(path)) is not None

    def _etag(self, key: str) -> str | None:
        try:
            return self._s3.head_object(Bucket=self._bucket, Key=key)["ETag"].strip('"')
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
