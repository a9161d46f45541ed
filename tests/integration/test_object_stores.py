"""One object-store contract, run on the local folder and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from media.stores import LocalStore, MediaUnavailable, ObjectStore, S3Store
from tests.media.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedS3


class ObjectStoreContract:
    """Each subclass provides the `store` fixture."""

    def test_put_then_read_and_exists(self, store: ObjectStore, tmp_path: Path) -> None:
        source = tmp_path / "photo"
        source.write_bytes(b"\xff\xd8 bytes of a photo")
        store.put_file("photos/ab/abc", source, "image/jpeg")
        store.put_bytes("thumbnails/ab/abc.jpg", b"thumb", "image/jpeg")
        assert store.read("photos/ab/abc") == b"\xff\xd8 bytes of a photo"
        assert store.exists("thumbnails/ab/abc.jpg") and not store.exists("photos/ab/none")

    def test_missing_object_is_not_found(self, store: ObjectStore) -> None:
        with pytest.raises(FileNotFoundError):
            store.read("photos/zz/missing")

    def test_putting_the_same_key_again_is_harmless(self, store: ObjectStore) -> None:
        store.put_bytes("photos/cd/cde", b"same", "image/jpeg")
        store.put_bytes("photos/cd/cde", b"same", "image/jpeg")
        assert store.read("photos/cd/cde") == b"same"


class TestLocalStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> ObjectStore:
        return LocalStore(tmp_path / "media")

    def test_no_partial_object_is_left_under_a_final_key(self, tmp_path: Path) -> None:
        store = LocalStore(tmp_path / "media")
        store.put_bytes("photos/ab/x", b"1" * 1000, "image/jpeg")
        assert [p.name for p in (tmp_path / "media" / "photos" / "ab").iterdir()] == ["x"]
        assert store.url("photos/ab/x") is None


class TestS3Store(ObjectStoreContract):
    @pytest.fixture
    def store(self, seaweed: SeaweedS3) -> ObjectStore:
        return S3Store(seaweed.endpoint, ACCESS_KEY, SECRET_KEY, f"t{uuid.uuid4().hex[:12]}", secure=False)

    def test_presigned_link_works_and_a_tampered_one_does_not(self, store: S3Store) -> None:
        store.put_bytes("photos/ef/efg", b"private photo", "image/jpeg")
        url = store.url("photos/ef/efg")
        assert url is not None and httpx.get(url).content == b"private photo"
        assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
        assert httpx.get(url.split("?")[0]).status_code in (401, 403)  # the bucket is private

    def test_wrong_secret_is_refused(self, seaweed: SeaweedS3) -> None:
        wrong = S3Store(seaweed.endpoint, ACCESS_KEY, "not-the-secret-0000000000000000", "huhang-photos", secure=False)
        with pytest.raises(MediaUnavailable, match="SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
            wrong.put_bytes("photos/x", b"x", "image/jpeg")

    def test_server_down_is_unavailable_and_works_again_after_restart(self, store: S3Store, seaweed: SeaweedS3) -> None:
        store.put_bytes("photos/aa/before", b"1", "image/jpeg")
        seaweed.stop()
        try:
            with pytest.raises(MediaUnavailable):
                store.put_bytes("photos/aa/during", b"2", "image/jpeg")
        finally:
            seaweed.start()
        deadline = time.monotonic() + 20
        while True:  # a freshly restarted server may need a moment before it takes writes again
            try:
                store.put_bytes("photos/aa/during", b"2", "image/jpeg")
                break
            except MediaUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert store.read("photos/aa/before") == b"1" and store.read("photos/aa/during") == b"2"
