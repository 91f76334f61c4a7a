"""The test harness answers real clients, and every fault hook really faults.

Each server is exercised with the client the product uses (the official ``ollama`` package, ftplib,
paramiko, PyMySQL) so a later test failing against the harness points at the product, not the harness.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

import httpx
import ollama
import pytest

from tests.harness.fixtures import DEFAULT_MODEL

SCHEMA = {
    "type": "object",
    "properties": {"caption": {"type": "string"}, "alt_text": {"type": "string"},
                   "keywords": {"type": "array", "items": {"type": "string"}}, "title": {"type": "string"}},
    "required": ["caption", "alt_text", "keywords", "title"],
}


def _image(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _chat(client: ollama.Client, image: bytes = b"img-1", **kw):
    return client.chat(model=kw.pop("model", DEFAULT_MODEL),
                       messages=[{"role": "user", "content": "Describe", "images": [_image(image)]}], **kw)


# ---- Ollama protocol --------------------------------------------------------------------------------------
def test_ollama_tags_ps_show(ollama_server):
    ollama_server.add_model("llava:7b", size=5 * 2**30, size_vram=0, context_length=4096)
    client = ollama.Client(host=ollama_server.url, timeout=5)

    assert {m.model for m in client.list().models} == {DEFAULT_MODEL, "llava:7b"}
    assert client.ps().models == []  # nothing loaded until a request arrives

    client.chat(model="llava:7b", messages=[])  # an empty request loads the model
    (running,) = client.ps().models
    assert (running.model, running.size_vram, running.context_length) == ("llava:7b", 0, 4096)
    assert running.expires_at is not None

    client.chat(model="llava:7b", messages=[], keep_alive=0)  # keep_alive 0 unloads it
    assert client.ps().models == []

    shown = client.show(DEFAULT_MODEL)
    assert "vision" in shown.capabilities and shown.details.family
    assert shown.modelinfo[f"{shown.details.family}.context_length"] == 8192


def test_ollama_chat_non_stream_and_stream_give_the_same_json(ollama_server):
    client = ollama.Client(host=ollama_server.url, timeout=5)
    whole = _chat(client, stream=False, format=SCHEMA)
    parsed = json.loads(whole.message.content)
    assert set(SCHEMA["required"]) <= set(parsed) and isinstance(parsed["keywords"], list)
    assert whole.done and whole.done_reason == "stop" and whole.eval_count > 0

    chunks = list(_chat(client, stream=True, format=SCHEMA))
    assert len(chunks) > 2 and chunks[-1].done and not chunks[0].done
    assert json.loads("".join(c.message.content for c in chunks)) == parsed

    # no "stream" key at all means streaming, as in real Ollama
    raw = httpx.post(f"{ollama_server.url}/api/chat", json={"model": DEFAULT_MODEL, "messages": [
        {"role": "user", "content": "x", "images": [_image(b"img-1")]}]}, timeout=5)
    assert raw.headers["content-type"] == "application/x-ndjson" and len(raw.text.splitlines()) > 2
    assert ollama_server.generation_requests()[-1].body.get("stream") is None


def test_ollama_replies_differ_per_image_and_generate_works(ollama_server):
    client = ollama.Client(host=ollama_server.url, timeout=5)
    captions = {json.loads(_chat(client, bytes([i]) * 50, stream=False).message.content)["caption"]
                for i in range(8)}
    assert len(captions) >= 4
    gen = client.generate(model=DEFAULT_MODEL, prompt="Describe", images=[_image(b"x")], stream=False,
                          format="json")
    assert "caption" in json.loads(gen.response)
    assert ollama_server.requests[-1].path == "/api/generate"


def test_ollama_custom_reply_sees_the_request(ollama_server):
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"caption": req["messages"][0]["content"].upper()})
    client = ollama.Client(host=ollama_server.url, timeout=5)
    assert json.loads(_chat(client, stream=False).message.content)["caption"] == "DESCRIBE"
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: "plain words")
    assert _chat(client, stream=False).message.content == "plain words"


def test_ollama_errors_reach_the_client_as_response_errors(ollama_server):
    client = ollama.Client(host=ollama_server.url, timeout=5)
    with pytest.raises(ollama.ResponseError) as missing:
        _chat(client, model="nope:1b", stream=False)
    assert missing.value.status_code == 404
    assert missing.value.error == 'model "nope:1b" not found, try pulling it first'

    ollama_server.queue(DEFAULT_MODEL, error=(500, "llama runner process has terminated"))
    busy_message = "server busy, please try again.  maximum pending requests exceeded"
    ollama_server.queue(DEFAULT_MODEL, error=(503, busy_message))
    with pytest.raises(ollama.ResponseError) as crashed:
        _chat(client, stream=False)
    assert (crashed.value.status_code, crashed.value.error) == (500, "llama runner process has terminated")
    with pytest.raises(ollama.ResponseError) as busy:
        _chat(client, stream=False)
    assert busy.value.status_code == 503
    assert _chat(client, stream=False).done  # queued behaviours were one-shot

    with pytest.raises(ollama.ResponseError) as thinking:
        _chat(client, stream=False, think=True)
    assert thinking.value.status_code == 400 and "does not support thinking" in thinking.value.error


def test_ollama_mid_stream_error(ollama_server):
    ollama_server.queue(DEFAULT_MODEL, stream_error_after=2)
    client = ollama.Client(host=ollama_server.url, timeout=5)
    seen = []
    with pytest.raises(ollama.ResponseError) as err:
        for chunk in _chat(client, stream=True):
            seen.append(chunk)
    assert len(seen) == 2 and err.value.status_code == -1
    assert "terminated" in err.value.error


def test_ollama_malformed_and_schema_violating_content(ollama_server):
    client = ollama.Client(host=ollama_server.url, timeout=5)
    ollama_server.queue(DEFAULT_MODEL, malformed=True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(_chat(client, stream=False, format=SCHEMA).message.content)
    ollama_server.queue(DEFAULT_MODEL, schema_violation=True)
    bad = json.loads(_chat(client, stream=False, format=SCHEMA).message.content)
    assert "title" not in bad and not isinstance(bad["keywords"], list)


def test_ollama_hang_times_out_and_stop_does_not_hang(ollama_server):
    ollama_server.behave(DEFAULT_MODEL, hang=30)
    client = ollama.Client(host=ollama_server.url, timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        _chat(client, stream=False)
    # a second client still hanging inside a handler while the server stops
    outcome: list[BaseException] = []

    def wait_for_hung_reply() -> None:
        try:
            _chat(ollama.Client(host=ollama_server.url, timeout=10), stream=False)
        except Exception as exc:  # the server going away mid-request is the expected end
            outcome.append(exc)

    hung = threading.Thread(target=wait_for_hung_reply)
    hung.start()
    deadline = time.monotonic() + 2
    while ollama_server.in_flight < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    ollama_server.stop()
    hung.join(timeout=3)
    assert time.monotonic() - started < 2.5 and not hung.is_alive()
    assert outcome, "the hung client should see the connection end, not a reply"


def test_ollama_refused_connection(unused_port):
    client = ollama.Client(host=f"http://127.0.0.1:{unused_port}", timeout=2)
    with pytest.raises(ConnectionError):
        client.list()


async def test_ollama_async_client_latency_and_max_in_flight(ollama_server):
    ollama_server.behave(DEFAULT_MODEL, latency=0.3)
    client = ollama.AsyncClient(host=ollama_server.url, timeout=5)
    messages = [{"role": "user", "content": "Describe", "images": [_image(b"a")]}]
    started = time.monotonic()
    answers = await asyncio.gather(*(client.chat(model=DEFAULT_MODEL, messages=messages, stream=False)
                                     for _ in range(4)))
    assert all(a.done for a in answers)
    assert ollama_server.max_in_flight == 4
    assert time.monotonic() - started >= 0.3  # latency was applied
    stream = await client.chat(model=DEFAULT_MODEL, messages=messages, stream=True)
    assert [c async for c in stream][-1].done
    with pytest.raises(ollama.ResponseError):
        await client.chat(model="nope:1b", messages=messages, stream=False)


# ---- generated JPEGs --------------------------------------------------------------------------------------
def test_jpeg_has_real_exif_readable_by_pillow(jpeg_factory):
    from datetime import datetime

    from PIL import Image
    from PIL.ExifTags import IFD

    path = jpeg_factory("DSC_0001.JPG", size=(900, 600), make="NIKON CORPORATION", model="NIKON Z 6_2",
                        datetime_original=datetime(2023, 5, 6, 7, 8, 9), exposure=(1, 500), fnumber=8,
                        iso=400, focal=35, orientation=6, gps=(-33.8568, 151.2153, 12.0), lens="NIKKOR Z 35mm")
    with Image.open(path) as im:
        assert im.size == (900, 600) and im.format == "JPEG"
        exif = im.getexif()
        sub, gps = exif.get_ifd(IFD.Exif), exif.get_ifd(IFD.GPSInfo)
    assert (exif[0x010F], exif[0x0110], exif[0x0112]) == ("NIKON CORPORATION", "NIKON Z 6_2", 6)
    assert sub[0x9003] == "2023:05:06 07:08:09" and sub[0x8827] == 400 and sub[0xA434] == "NIKKOR Z 35mm"
    assert float(sub[0x829A]) == 1 / 500 and float(sub[0x829D]) == 8 and float(sub[0x920A]) == 35
    assert gps[1] == "S" and gps[3] == "E" and [float(v) for v in gps[2]] == [33, 51, 24.48]


def test_jpeg_exif_is_readable_by_exiftool(jpeg_factory):
    import shutil
    import subprocess

    if not shutil.which("exiftool"):
        pytest.skip("exiftool not installed (apt-get install -y libimage-exiftool-perl)")
    path = jpeg_factory(make="FUJIFILM", model="X-T5", datetime_original="2024:01:02 03:04:05", gps=(48.8584, 2.2945))
    out = json.loads(subprocess.run(["exiftool", "-j", "-n", str(path)], capture_output=True, check=True,
                                    text=True).stdout)[0]
    assert (out["Make"], out["Model"], out["DateTimeOriginal"]) == ("FUJIFILM", "X-T5", "2024:01:02 03:04:05")
    assert out["ExposureTime"] == 0.004 and out["FNumber"] == 5.6 and out["ISO"] == 200
    assert abs(out["GPSLatitude"] - 48.8584) < 1e-3 and abs(out["GPSLongitude"] - 2.2945) < 1e-3


def test_jpeg_content_is_deterministic_by_seed_and_varied(jpeg_factory):
    import numpy as np
    from PIL import Image

    a, b, c = (jpeg_factory(f"{n}.jpg", seed=s, size=(640, 480)) for n, s in (("a", 7), ("b", 7), ("c", 8)))
    assert a.read_bytes() == b.read_bytes() and a.read_bytes() != c.read_bytes()
    pixels = np.asarray(Image.open(a).convert("L"), dtype=np.float32)
    assert pixels.std() > 10  # not a flat frame: quality metrics need structure
    assert np.abs(np.diff(pixels, axis=1)).max() > 40  # and real edges


def test_jpeg_without_exif_and_24mp(jpeg_factory):
    from PIL import Image

    bare = jpeg_factory(exif=False)
    with Image.open(bare) as im:
        assert len(im.getexif()) == 0
    big = jpeg_factory(size=(6000, 4000), make="SONY", model="ILCE-7M4")
    with Image.open(big) as im:
        assert im.size == (6000, 4000) and im.getexif().get_ifd(0x8769)[0xA002] == 6000


# ---- MariaDB and the TCP proxy ----------------------------------------------------------------------------
def test_mysql_db_is_a_fresh_database_answering_pymysql(mysql_db):
    assert mysql_db.database.startswith("amirtui_test_")
    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, File_Name VARCHAR(190) NOT NULL UNIQUE,"
                    " Caption TEXT) CHARACTER SET utf8mb4")
        upsert = ("INSERT INTO t (File_Name, Caption) VALUES (%s, %s) "
                  "ON DUPLICATE KEY UPDATE Caption = VALUES(Caption)")
        counts = [cur.execute(upsert, ("A.JPG", c)) for c in ("Fjörð 🐦", "changed", "changed")]
        conn.commit()
        assert counts == [1, 2, 0]  # inserted, updated, unchanged: what the publisher relies on
        cur.execute("SELECT Caption FROM t")
        assert cur.fetchone() == ("changed",)
    assert mysql_db.tables() == ["t"]
    mysql_db.drop_all_tables()
    assert mysql_db.tables() == []


def test_mysql_url_errors_are_specific():
    from tests.harness.mysql import MySQLUrlError, parse_url

    target = parse_url("mysql://u%40x:p%3Aw@127.0.0.1:3307/")
    assert (target.user, target.password, target.port) == ("u@x", "p:w", 3307)
    for bad, words in (("postgres://u:p@h/", "scheme"), ("mysql://127.0.0.1/", "user"), ("mysql://u@h:99999/", "port")):
        with pytest.raises(MySQLUrlError, match=words):
            parse_url(bad)


def test_tcp_proxy_cut_block_and_stall_fault_a_real_mysql_link(mysql_db, tcp_proxy):
    import pymysql

    proxy = tcp_proxy(mysql_db.host, mysql_db.port)
    via = mysql_db.via(proxy.host, proxy.port)
    conn = via.connect(read_timeout=0.5)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    assert proxy.live_connections == 1

    assert proxy.cut() == 1  # the server "restarts" under a live connection
    with pytest.raises(pymysql.err.OperationalError) as lost, conn.cursor() as cur:
        cur.execute("SELECT 1")
    assert lost.value.args[0] in (2006, 2013)

    proxy.block()  # the server is unreachable: connecting is refused
    with pytest.raises(pymysql.err.OperationalError) as refused:
        via.connect()
    assert refused.value.args[0] == 2003
    proxy.unblock()
    with via.connect() as again, again.cursor() as cur:
        cur.execute("SELECT 2")
        assert cur.fetchone() == (2,)

    stalled = via.connect(read_timeout=0.3)
    proxy.stall()  # a black-holed link: only the client's own timeout notices
    with pytest.raises(pymysql.err.OperationalError), stalled.cursor() as cur:
        cur.execute("SELECT 3")
    proxy.resume()


def test_tcp_proxy_to_a_dead_target_closes_the_client(unused_port, tcp_proxy):
    import socket

    proxy = tcp_proxy("127.0.0.1", unused_port)
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as sock:
        assert sock.recv(1) == b""  # closed at once rather than left hanging


# ---- FTP / FTPS -------------------------------------------------------------------------------------------
def _ftp_upload_and_rename(ftp, payload: bytes) -> None:
    import io

    ftp.mkd("2024")
    ftp.storbinary("STOR 2024/.part-A.JPG", io.BytesIO(payload))
    ftp.voidcmd("TYPE I")  # SIZE needs binary mode
    assert ftp.size("2024/.part-A.JPG") == len(payload)
    ftp.rename("2024/.part-A.JPG", "2024/A.JPG")


def test_ftp_server_answers_ftplib(ftp_server):
    import ftplib

    payload = bytes(range(256)) * 400
    with ftplib.FTP() as ftp:
        ftp.connect(ftp_server.host, ftp_server.port, timeout=5)
        ftp.login(ftp_server.user, ftp_server.password)
        _ftp_upload_and_rename(ftp, payload)
        assert [name.rsplit("/", 1)[-1] for name in ftp.nlst("2024")] == ["A.JPG"]
    assert (ftp_server.root / "2024" / "A.JPG").read_bytes() == payload
    assert [p.name for p in ftp_server.received] == [".part-A.JPG"]
    with ftplib.FTP() as ftp, pytest.raises(ftplib.error_perm, match="530"):
        ftp.connect(ftp_server.host, ftp_server.port, timeout=5)
        ftp.login(ftp_server.user, "wrong")


def test_ftps_server_answers_ftplib_with_verified_tls(ftps_server, tls_files):
    import ftplib
    import ssl

    context = ssl.create_default_context(cafile=str(tls_files.cafile))
    payload = b"\xff\xd8" + b"x" * 70_000
    with ftplib.FTP_TLS(context=context) as ftp:
        ftp.connect(ftps_server.host, ftps_server.port, timeout=5)
        ftp.login(ftps_server.user, ftps_server.password)  # AUTH TLS first, certificate verified
        ftp.prot_p()
        _ftp_upload_and_rename(ftp, payload)
    assert (ftps_server.root / "2024" / "A.JPG").read_bytes() == payload
    with ftplib.FTP() as plain, pytest.raises(ftplib.error_perm, match="550|530|522"):
        plain.connect(ftps_server.host, ftps_server.port, timeout=5)
        plain.login(ftps_server.user, ftps_server.password)  # plain text login is refused
    with ftplib.FTP_TLS(context=ssl.create_default_context()) as untrusted, pytest.raises(ssl.SSLError):
        untrusted.connect(ftps_server.host, ftps_server.port, timeout=5)
        untrusted.auth()  # a client that does not trust the cert stops at the handshake


@pytest.mark.parametrize("secure", [False, True], ids=["ftp", "ftps"])
def test_ftp_drop_after_bytes_truncates_only_the_matching_upload(secure, request, tls_files):
    import ftplib
    import io
    import ssl

    server = request.getfixturevalue("ftps_server" if secure else "ftp_server")
    server.drop_after_bytes(10_000, match="*.JPG")
    ftp = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(tls_files.cafile))) if secure else ftplib.FTP()
    with ftp:
        ftp.connect(server.host, server.port, timeout=5)
        ftp.login(server.user, server.password)
        if secure:
            ftp.prot_p()
        ftp.storbinary("STOR notes.txt", io.BytesIO(b"n" * 50_000))  # does not match: untouched
        with pytest.raises((ftplib.error_temp, ConnectionError, ssl.SSLError)) as failed:
            ftp.storbinary("STOR B.JPG", io.BytesIO(b"b" * 2_000_000))
        if not isinstance(failed.value, ftplib.error_temp):
            # the client's send broke first; the server's 426 is still waiting on the control channel
            with pytest.raises(ftplib.error_temp, match="^426"):
                ftp.getresp()
    assert (server.root / "notes.txt").stat().st_size == 50_000
    assert (server.root / "B.JPG").stat().st_size == 10_000  # the server kept a truncated file, as real ones do
    assert [p.name for p in server.received] == ["notes.txt"]


def test_ftp_fail_rename_answers_the_code_once(ftp_server):
    import ftplib
    import io

    ftp_server.fail_rename(550)
    with ftplib.FTP() as ftp:
        ftp.connect(ftp_server.host, ftp_server.port, timeout=5)
        ftp.login(ftp_server.user, ftp_server.password)
        ftp.storbinary("STOR tmp.JPG", io.BytesIO(b"data"))
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.rename("tmp.JPG", "final.JPG")
        assert sorted(ftp.nlst()) == ["tmp.JPG"]
        ftp.rename("tmp.JPG", "final.JPG")  # the fault was one-shot
        assert sorted(ftp.nlst()) == ["final.JPG"]


# ---- SFTP -------------------------------------------------------------------------------------------------
def _paramiko_client(server, known_hosts):
    import paramiko

    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    return client


def test_sftp_server_answers_paramiko_with_password_and_key(sftp_server, tmp_path):
    import io

    known = sftp_server.known_hosts_file(tmp_path / "known_hosts")
    payload = bytes(range(256)) * 1000
    with _paramiko_client(sftp_server, known) as client:
        client.connect(sftp_server.host, sftp_server.port, username=sftp_server.user,
                       password=sftp_server.password, look_for_keys=False, allow_agent=False, timeout=5)
        sftp = client.open_sftp()
        sftp.mkdir("2024")
        sftp.putfo(io.BytesIO(payload), "2024/.part-A.JPG")
        assert sftp.stat("2024/.part-A.JPG").st_size == len(payload)
        (sftp_server.root / "2024" / "A.JPG").write_bytes(b"old")
        sftp.posix_rename("2024/.part-A.JPG", "2024/A.JPG")  # overwrites atomically
        assert sftp.listdir("/") == ["2024"]  # chrooted: "/" is the server's root dir
    assert (sftp_server.root / "2024" / "A.JPG").read_bytes() == payload

    key = sftp_server.make_client_key(tmp_path / "id_ed25519")
    with _paramiko_client(sftp_server, known) as client:
        client.connect(sftp_server.host, sftp_server.port, username=sftp_server.user, key_filename=str(key),
                       look_for_keys=False, allow_agent=False, timeout=5)
        assert client.open_sftp().listdir("2024") == ["A.JPG"]


def test_sftp_refuses_unknown_host_key_and_bad_credentials(sftp_server, tmp_path):
    import paramiko

    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with _paramiko_client(sftp_server, empty) as client, pytest.raises(paramiko.SSHException, match="not found"):
        client.connect(sftp_server.host, sftp_server.port, username=sftp_server.user,
                       password=sftp_server.password, look_for_keys=False, allow_agent=False, timeout=5)

    other = tmp_path / "other_known_hosts"  # the right host name with somebody else's key
    other.write_text(sftp_server.known_hosts_file(tmp_path / "kh").read_text().rsplit(" ", 1)[0] + " "
                     + paramiko.Ed25519Key.from_private_key_file(
                         str(sftp_server.make_client_key(tmp_path / "k2", authorize=False))).get_base64() + "\n")
    with _paramiko_client(sftp_server, other) as client, pytest.raises(paramiko.BadHostKeyException):
        client.connect(sftp_server.host, sftp_server.port, username=sftp_server.user,
                       password=sftp_server.password, look_for_keys=False, allow_agent=False, timeout=5)

    known = sftp_server.known_hosts_file(tmp_path / "known_hosts")
    stranger = sftp_server.make_client_key(tmp_path / "stranger", authorize=False)
    for creds in ({"password": "wrong"}, {"key_filename": str(stranger)}):
        with _paramiko_client(sftp_server, known) as client, pytest.raises(paramiko.AuthenticationException):
            client.connect(sftp_server.host, sftp_server.port, username=sftp_server.user, look_for_keys=False,
                           allow_agent=False, timeout=5, **creds)


def test_sftp_drop_after_bytes_breaks_the_upload_mid_file(sftp_server, tmp_path):
    import io

    import paramiko

    sftp_server.drop_after_bytes(100_000, match="*.JPG")
    known = sftp_server.known_hosts_file(tmp_path / "known_hosts")
    with _paramiko_client(sftp_server, known) as client:
        client.connect(sftp_server.host, sftp_server.port, username=sftp_server.user,
                       password=sftp_server.password, look_for_keys=False, allow_agent=False, timeout=5)
        sftp = client.open_sftp()
        sftp.get_channel().settimeout(5)
        sftp.putfo(io.BytesIO(b"t" * 300_000), "notes.txt")  # not matching: arrives whole
        with pytest.raises((paramiko.SSHException, EOFError, OSError)):  # which one depends on timing
            sftp.putfo(io.BytesIO(b"j" * 1_000_000), "B.JPG")
    assert (sftp_server.root / "notes.txt").stat().st_size == 300_000
    assert 0 < (sftp_server.root / "B.JPG").stat().st_size <= 100_000
