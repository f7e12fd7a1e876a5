#!/usr/bin/env python3
"""A Halibut protocol version 1 peer written from docs/protocol.md alone (Python 3 standard library only).

It checks that the protocol document is exact enough to implement a peer in another language. Two roles:

  caller      connects to a listening Java runtime (TLS with a client certificate, the server's thumbprint
              pinned), identifies as HALIBUT-CLIENT, calls the interop contract with values covering the
              table of protocol.md section 4 and checks each result; reuses the connection with
              NEXT/PROCEED and ends it with END.
  subscriber  connects to a listening Java runtime as a polling service host (HALIBUT-SUBSCRIBER) and
              serves the same contract, the built-in halibut.ping and halibut.describe, until stdin closes.

With --websocket-path, either role reaches the listener over a secure WebSocket (wss://host:port/path,
section 6): after TLS it sends the HTTP upgrade, then carries the same byte stream in masked binary frames.

Every check that fails is printed as "FAIL ..."; the exit status is 0 only when none failed.
"""

import argparse
import base64
import hashlib
import math
import os
import re
import socket
import ssl
import struct
import sys
import threading
import uuid
import zlib

# ---------------------------------------------------------------------------------------------------------
# BSON (bsonspec.org 1.1), the subset protocol.md section 4 uses.


class Int64(int):
    """An integer that travels as BSON int64 (0x12); a plain int travels as int32 (0x10) when it fits."""


class Int32(int):
    """An integer the decoder read from a BSON int32 (0x10)."""


class Raw:
    """A BSON element of any type, given as its type byte and value bytes (for values Halibut never sends)."""

    def __init__(self, etype, value):
        self.etype, self.value = etype, value


class Stream:
    """A DataStream value: sent as a reference document {id, length}, its bytes after the message."""

    def __init__(self, data, stream_id=None):
        self.data = bytes(data)
        self.id = stream_id or uuid.uuid4()

    def reference(self):
        return {"id": str(self.id), "length": Int64(len(self.data))}

    def __repr__(self):
        return "Stream(%d bytes)" % len(self.data)


def _cstring(name):
    data = name.encode("utf-8")
    if b"\x00" in data:
        raise ValueError("a BSON field name holds no NUL: %r" % name)
    return data + b"\x00"


def _element(name, value):
    key = _cstring(name)
    if isinstance(value, Stream):
        return b"\x03" + key + encode_document(value.reference())
    if isinstance(value, Raw):
        return bytes([value.etype]) + key + value.value
    if value is None:
        return b"\x0a" + key
    if isinstance(value, bool):
        return b"\x08" + key + (b"\x01" if value else b"\x00")
    if isinstance(value, Int64):
        return b"\x12" + key + struct.pack("<q", value)
    if isinstance(value, int):
        if -2 ** 31 <= value < 2 ** 31:
            return b"\x10" + key + struct.pack("<i", value)
        return b"\x12" + key + struct.pack("<q", value)
    if isinstance(value, float):
        return b"\x01" + key + struct.pack("<d", value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return b"\x02" + key + struct.pack("<i", len(data) + 1) + data + b"\x00"
    if isinstance(value, (bytes, bytearray)):
        return b"\x05" + key + struct.pack("<i", len(value)) + b"\x00" + bytes(value)
    if isinstance(value, dict):
        return b"\x03" + key + encode_document(value)
    if isinstance(value, (list, tuple)):
        return b"\x04" + key + encode_document({str(i): v for i, v in enumerate(value)})
    raise TypeError("no BSON encoding for %r" % (value,))


def encode_document(doc):
    body = b"".join(_element(k, v) for k, v in doc.items())
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


class BsonError(Exception):
    pass


def decode_document(data, depth=0):
    value, end = _decode_document(data, 0, depth)
    if end != len(data):
        raise BsonError("%d bytes after the document" % (len(data) - end))
    return value


def _decode_document(data, pos, depth, as_array=False):
    if depth > 256:
        raise BsonError("documents nest more than 256 levels")
    if pos + 5 > len(data):
        raise BsonError("truncated document")
    (length,) = struct.unpack_from("<i", data, pos)
    end = pos + length
    if length < 5 or end > len(data) or data[end - 1] != 0:
        raise BsonError("bad document length %d" % length)
    pos += 4
    items = []
    while pos < end - 1:
        etype = data[pos]
        pos += 1
        nul = data.index(b"\x00", pos, end)
        name = data[pos:nul].decode("utf-8")
        pos = nul + 1
        value, pos = _decode_value(etype, data, pos, end, depth)
        items.append((name, value))
    if pos != end - 1:
        raise BsonError("element overruns its document")
    if as_array:
        return [v for _, v in items], end
    return dict(items), end


def _decode_value(etype, data, pos, end, depth):
    def need(n):
        if pos + n > end:
            raise BsonError("element of type 0x%02x overruns its document" % etype)

    if etype == 0x01:
        need(8)
        return struct.unpack_from("<d", data, pos)[0], pos + 8
    if etype == 0x02:
        need(4)
        (n,) = struct.unpack_from("<i", data, pos)
        need(4 + n)
        if n < 1 or data[pos + 4 + n - 1] != 0:
            raise BsonError("bad string length")
        return data[pos + 4:pos + 4 + n - 1].decode("utf-8"), pos + 4 + n
    if etype in (0x03, 0x04):
        value, new_pos = _decode_document(data, pos, depth + 1, as_array=(etype == 0x04))
        if new_pos > end:
            raise BsonError("embedded document overruns its parent")
        return value, new_pos
    if etype == 0x05:
        need(5)
        (n,) = struct.unpack_from("<i", data, pos)
        need(5 + n)
        subtype = data[pos + 4]
        if subtype != 0:
            raise BsonError("binary subtype 0x%02x, expected 0x00" % subtype)
        return bytes(data[pos + 5:pos + 5 + n]), pos + 5 + n
    if etype == 0x08:
        need(1)
        return data[pos] == 1, pos + 1
    if etype == 0x0A:
        return None, pos
    if etype == 0x10:
        need(4)
        return Int32(struct.unpack_from("<i", data, pos)[0]), pos + 4
    if etype == 0x12:
        need(8)
        return Int64(struct.unpack_from("<q", data, pos)[0]), pos + 8
    raise BsonError("BSON element type 0x%02x is not used by protocol version 1" % etype)


# ---------------------------------------------------------------------------------------------------------
# Frames (section 3) and messages (section 4).

REQUEST, RESPONSE, NEXT, PROCEED, END = 0x01, 0x02, 0x10, 0x11, 0x12
STREAM_DATA, STREAM_END, STREAM_ABORT = 0x20, 0x21, 0x22
MAX_MESSAGE = 16 * 1024 * 1024


class ProtocolError(Exception):
    pass


class Connection:
    """One TLS connection after identification: reads and writes frames."""

    def __init__(self, tls_socket):
        self.sock = tls_socket
        # A message and its stream bodies go out as one unit; END from another thread waits for them.
        self.write_lock = threading.RLock()

    def read_exact(self, n):
        chunks = []
        while n > 0:
            chunk = self.sock.recv(min(n, 65536))
            if not chunk:
                raise EOFError("the connection ended")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def read_line(self, limit=1024):
        line = b""
        while not line.endswith(b"\r\n"):
            if len(line) >= limit:
                raise ProtocolError("identification line longer than %d bytes" % limit)
            line += self.read_exact(1)
        return line[:-2].decode("ascii")

    def read_block(self):
        lines = []
        while True:
            line = self.read_line()
            if line == "":
                return lines
            lines.append(line)
            if len(lines) > 16:
                raise ProtocolError("identification block longer than 16 lines")

    def write_frame(self, ftype, payload=b""):
        with self.write_lock:
            self.sock.sendall(struct.pack(">BI", ftype, len(payload)) + payload)

    def read_frame(self):
        ftype, length = struct.unpack(">BI", self.read_exact(5))
        if ftype in (NEXT, PROCEED, END) and length != 0:
            raise ProtocolError("control frame 0x%02x with length %d" % (ftype, length))
        if ftype in (REQUEST, RESPONSE) and length > MAX_MESSAGE:
            raise ProtocolError("message of %d bytes" % length)
        if ftype not in (REQUEST, RESPONSE, NEXT, PROCEED, END, STREAM_DATA, STREAM_END, STREAM_ABORT):
            raise ProtocolError("unknown frame type 0x%02x" % ftype)
        return ftype, self.read_exact(length)

    def write_message(self, ftype, doc):
        """A REQUEST or RESPONSE; the streams its values hold are listed in `streams` and follow it."""
        streams = []
        collect_streams(doc, streams)
        if streams:
            doc = dict(doc, streams=[st.reference() for st in streams])
        with self.write_lock:
            self.write_frame(ftype, zlib.compress(encode_document(doc)))
            for st in streams:
                for start in range(0, len(st.data), 65536):
                    self.write_frame(STREAM_DATA, st.data[start:start + 65536])
                self.write_frame(STREAM_END, st.id.bytes + struct.pack(">q", len(st.data)))

    def read_message(self, payload):
        """Decodes a REQUEST or RESPONSE payload, reads the stream bodies that follow it and puts a Stream in
        place of each reference document."""
        doc = self.decode_message(payload)
        received = {}
        for header in doc.get("streams") or []:
            stream_id, length = uuid.UUID(header["id"]), header["length"]
            if not isinstance(length, Int64):
                raise ProtocolError("stream length %r is not an int64" % (length,))
            body = bytearray()
            while True:
                ftype, data = self.read_frame()
                if ftype == STREAM_DATA and data and len(body) + len(data) <= length:
                    body += data
                elif ftype == STREAM_END and len(data) == 24:
                    if data != stream_id.bytes + struct.pack(">q", length) or len(body) != length:
                        raise ProtocolError("STREAM_END %s does not end stream %s of %d bytes (%d received)"
                                            % (data.hex(), stream_id, length, len(body)))
                    break
                elif ftype == STREAM_ABORT:
                    raise ProtocolError("the sender aborted stream %s: %s" % (stream_id, data.decode("utf-8")))
                else:
                    raise ProtocolError("frame 0x%02x inside stream %s" % (ftype, stream_id))
            received[str(stream_id)] = Stream(body, stream_id)
        return replace_streams(doc, received)

    @staticmethod
    def decode_message(payload):
        inflater = zlib.decompressobj()
        data = inflater.decompress(payload, MAX_MESSAGE + 1)
        if len(data) > MAX_MESSAGE or inflater.unconsumed_tail:
            raise ProtocolError("message inflates past the maximum message size")
        if not inflater.eof:
            raise ProtocolError("truncated zlib stream")
        return decode_document(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def collect_streams(value, found):
    if isinstance(value, Stream):
        found.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            collect_streams(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            collect_streams(v, found)


def replace_streams(value, received):
    if isinstance(value, dict):
        if set(value) == {"id", "length"} and value["id"] in received:
            return received[value["id"]]
        return {k: (v if k == "streams" else replace_streams(v, received)) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_streams(v, received) for v in value]
    return value


def thumbprint_of(der):
    return hashlib.sha1(der).hexdigest().upper()


def connect(host, port, cert, key, expected_thumbprint, identification, ws_path=None):
    """TLS (1.2 or 1.3, client certificate, server pinned by thumbprint), then the identification block; with
    ws_path, over a secure WebSocket at that path (section 6)."""
    conn = tls_connect(host, port, cert, key, expected_thumbprint, ws_path)
    conn.sock.sendall(identification.encode("ascii") + b"\r\n\r\n")
    answer = conn.read_block()
    if not answer or answer[0] != "HALIBUT-SERVER 1":
        conn.close()
        raise ProtocolError("identification answered with %r" % (answer,))
    # "Name: value" headers (section 2); names compare case-insensitively, the first of a name counts.
    conn.headers = {}
    for line in answer[1:]:
        name, colon, value = line.partition(":")
        if colon and name and " " not in name:
            conn.headers.setdefault(name.lower(), value.strip())
    return conn


def listener_settings(headers):
    """The listener's keep-alive and heartbeat timeout in ms, from its answer to a subscriber (section 2);
    the defaults of section 5 from a listener that sends none."""
    settings = []
    for name, default in (("keep-alive-ms", 30000), ("heartbeat-timeout-ms", 10000)):
        value = headers.get(name)
        if value is None:
            settings.append(default)
        elif re.fullmatch(r"[0-9]{1,9}", value) and 1 <= int(value) <= 86400000:
            settings.append(int(value))
        else:
            raise ProtocolError("header %s: %r is not a number of milliseconds" % (name, value))
    return settings


def tls_connect(host, port, cert, key, expected_thumbprint, ws_path=None):
    """A TLS connection whose server presented the certificate with the expected thumbprint; with ws_path,
    upgraded to a WebSocket at that path, which then carries the byte stream (section 6)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # self-signed: trust is the thumbprint, checked below
    context.load_cert_chain(cert, key)
    raw = socket.create_connection((host, port), timeout=30)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = context.wrap_socket(raw, server_hostname=None)
    actual = thumbprint_of(tls.getpeercert(binary_form=True))
    if actual != expected_thumbprint.upper():
        tls.close()
        raise ProtocolError("server thumbprint %s, expected %s" % (actual, expected_thumbprint))
    if ws_path is None:
        return Connection(tls)
    try:
        websocket_upgrade(tls, host, port, ws_path)
    except (OSError, EOFError, ProtocolError):
        tls.close()
        raise
    return Connection(WebSocketStream(tls))


# ---------------------------------------------------------------------------------------------------------
# Polling over secure WebSockets (section 6, RFC 6455).

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
WS_SUBPROTOCOL = "halibut.v1"
WS_MAX_PAYLOAD = 65536  # section 6: the most either side puts in, or accepts from, one frame
WS_MAX_HEADERS = 8192
WS_CONTINUATION, WS_TEXT, WS_BINARY, WS_CLOSE, WS_PING, WS_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def websocket_upgrade(tls, host, port, path):
    """Sends the upgrade request of section 6 and checks the answer: 101, the RFC 6455 accept value of our key,
    subprotocol halibut.v1 and no extensions."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
               % (path or "/", host, port, key, WS_SUBPROTOCOL))
    tls.sendall(request.encode("ascii"))
    # Read up to the blank line and not a byte further: what follows is WebSocket frames.
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        if len(head) >= WS_MAX_HEADERS:
            raise ProtocolError("the answer to the WebSocket upgrade has more than %d bytes of headers"
                                % WS_MAX_HEADERS)
        byte = tls.recv(1)
        if not byte:
            raise EOFError("the connection ended during the WebSocket upgrade (answer so far: %r)" % head[:200])
        head += byte
    lines = head[:-4].decode("iso-8859-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or status[0] != "HTTP/1.1" or status[1] != "101":
        raise ProtocolError("the WebSocket upgrade was answered %r instead of 101 Switching Protocols" % lines[0])
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError("malformed header line in the upgrade answer: %r" % line)
        headers.setdefault(name.strip().lower(), value.strip())
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode("ascii")).digest()).decode("ascii")
    if headers.get("upgrade", "").lower() != "websocket":
        raise ProtocolError("the upgrade answer has Upgrade: %r, not websocket" % headers.get("upgrade"))
    if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
        raise ProtocolError("the upgrade answer has Connection: %r, not Upgrade" % headers.get("connection"))
    if headers.get("sec-websocket-accept") != accept:
        raise ProtocolError("Sec-WebSocket-Accept %r, expected %r for our key"
                            % (headers.get("sec-websocket-accept"), accept))
    if headers.get("sec-websocket-protocol") != WS_SUBPROTOCOL:
        raise ProtocolError("the listener chose subprotocol %r, not %s"
                            % (headers.get("sec-websocket-protocol"), WS_SUBPROTOCOL))
    if "sec-websocket-extensions" in headers:
        raise ProtocolError("the listener chose extensions %r; none were offered"
                            % headers["sec-websocket-extensions"])


def mask_payload(payload, mask):
    """RFC 6455 section 5.3: byte i is XORed with mask[i % 4] (done as one big-integer XOR, for speed)."""
    n = len(payload)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


class WebSocketStream:
    """The Halibut byte stream carried in binary WebSocket frames over a TLS socket, behind the socket's own
    recv/sendall/settimeout/shutdown/close, so that Connection above does not change (section 6): frame
    boundaries mean nothing; our frames are masked and carry at most 64 KiB, the listener's are not masked and
    may not announce more; pings are answered, pongs ignored; a close frame is answered and reads as EOF; a text
    frame is a protocol error (close code 1003)."""

    def __init__(self, tls):
        self.tls = tls
        self.received = bytearray()
        self.ended = False
        self.close_sent = False
        self.in_message = False  # inside a fragmented binary message: continuation frames follow
        self.send_lock = threading.Lock()

    def recv(self, n):
        while not self.received:
            if self.ended:
                return b""
            self._read_frame()
        data = bytes(self.received[:n])
        del self.received[:n]
        return data

    def sendall(self, data):
        for start in range(0, len(data), WS_MAX_PAYLOAD):
            self._send_frame(WS_BINARY, data[start:start + WS_MAX_PAYLOAD])

    def settimeout(self, timeout):
        self.tls.settimeout(timeout)

    def shutdown(self, how):
        self.tls.shutdown(how)

    def close(self):
        self.tls.close()

    def _read_exact(self, n, at_frame_start=False):
        data = b""
        while len(data) < n:
            chunk = self.tls.recv(n - len(data))
            if not chunk:
                if at_frame_start and not data:
                    return None  # the connection ended between frames: the end of the stream
                raise EOFError("the connection ended inside a WebSocket frame")
            data += chunk
        return data

    def _read_frame(self):
        head = self._read_exact(2, at_frame_start=True)
        if head is None:
            self.ended = True
            return
        fin, opcode, masked, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
        if head[0] & 0x70:
            raise ProtocolError("WebSocket frame with reserved bits 0x%02x: no extension was negotiated" % head[0])
        if masked:
            raise ProtocolError("the listener sent a masked WebSocket frame (RFC 6455 5.1: a server must not)")
        if length == 126:
            (length,) = struct.unpack(">H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", self._read_exact(8))
        if length > WS_MAX_PAYLOAD:
            self._close(1009)
            raise ProtocolError("WebSocket frame of %d bytes announced; at most %d are allowed"
                                % (length, WS_MAX_PAYLOAD))
        if opcode >= WS_CLOSE and (not fin or length > 125):
            raise ProtocolError("fragmented or long WebSocket control frame (opcode 0x%x, %d bytes)" % (opcode, length))
        payload = self._read_exact(length) if length else b""
        if opcode == WS_BINARY or opcode == WS_CONTINUATION:
            if (opcode == WS_CONTINUATION) != self.in_message:
                raise ProtocolError("WebSocket %s frame %s a fragmented message"
                                    % ("continuation" if opcode == WS_CONTINUATION else "binary",
                                       "outside" if opcode == WS_CONTINUATION else "inside"))
            self.in_message = not fin
            self.received += payload
        elif opcode == WS_TEXT:
            self._close(1003)
            raise ProtocolError("the listener sent a WebSocket text frame; Halibut travels in binary frames")
        elif opcode == WS_CLOSE:
            self._close(1000)
            self.ended = True
        elif opcode == WS_PING:
            self._send_frame(WS_PONG, payload)
        elif opcode != WS_PONG:
            raise ProtocolError("unknown WebSocket opcode 0x%x" % opcode)

    def _close(self, code):
        if not self.close_sent:
            self.close_sent = True
            try:
                self._send_frame(WS_CLOSE, struct.pack(">H", code))
            except OSError:
                pass

    def _send_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            header = struct.pack(">BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)  # every frame from the connecting side is masked (RFC 6455 5.3)
        with self.send_lock:
            self.tls.sendall(header + mask + mask_payload(payload, mask))


# ---------------------------------------------------------------------------------------------------------
# Checking values.

failures = []
checks = 0


def check(what, actual, expected):
    """Equal values of the same BSON kinds (int32 vs int64 is part of the value)."""
    global checks
    checks += 1
    if not same(actual, expected):
        failures.append(what)
        print("FAIL %s: got %r, expected %r" % (what, actual, expected), flush=True)
    else:
        print("ok   %s" % what, flush=True)


def same(a, b):
    if isinstance(b, Stream):
        return isinstance(a, Stream) and a.data == b.data
    if isinstance(b, Int64) or isinstance(a, Int64):
        return isinstance(a, Int64) and isinstance(b, Int64) and int(a) == int(b)
    if isinstance(b, bool) or isinstance(a, bool):
        return type(a) is bool and type(b) is bool and a == b
    if isinstance(b, int):
        return isinstance(a, Int32) and int(a) == int(b)
    if isinstance(b, float):
        return isinstance(a, float) and (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$")


def instant_nanos(text):
    """An ISO-8601 UTC instant as (date-time text, nanoseconds), so that 13:00:00.5Z equals 13:00:00.500Z."""
    match = INSTANT.match(text or "")
    if not match:
        return None
    return match.group(1), int((match.group(2) or "").ljust(9, "0"))


# ---------------------------------------------------------------------------------------------------------
# The caller role.

CONTRACT_PACKAGE = "dev.halibut.runtime.it.interop"


class Caller:
    def __init__(self, args):
        self.args = args
        self.conn = None
        self.sequence = 0

    def open(self):
        self.conn = connect(self.args.host, self.args.port, self.args.cert, self.args.key,
                            self.args.thumbprint, "HALIBUT-CLIENT 1", self.args.websocket_path)

    def call(self, service, method, params, param_types=None, conn=None):
        conn = conn or self.conn
        if self.sequence > 0 and conn is self.conn:
            # Reuse: make sure the connection is alive before the request (section 5).
            conn.write_frame(NEXT)
            ftype, _ = conn.read_frame()
            if ftype != PROCEED:
                raise ProtocolError("NEXT answered with frame 0x%02x" % ftype)
        self.sequence += 1
        request_id = "py-%d" % self.sequence
        request = {"id": request_id, "service": service, "method": method, "params": list(params)}
        if param_types is not None:
            request["paramTypes"] = list(param_types)
        conn.write_message(REQUEST, request)
        ftype, payload = conn.read_frame()
        if ftype != RESPONSE:
            raise ProtocolError("request answered with frame 0x%02x" % ftype)
        response = conn.read_message(payload)
        if response.get("id") != request_id:
            raise ProtocolError("response id %r for request %r" % (response.get("id"), request_id))
        if ("result" in response) == ("error" in response):
            raise ProtocolError("response holds both or neither of result and error: %r" % response)
        return response

    def result(self, service, method, params, param_types=None):
        response = self.call(service, method, params, param_types)
        if "error" in response:
            failures.append("%s.%s" % (service, method))
            print("FAIL %s.%s answered with error %r" % (service, method, response["error"]), flush=True)
            return None
        return response["result"]

    def run(self):
        self.open()
        s = "InteropService"
        check("addInts(40, 2)", self.result(s, "addInts", [40, 2]), 42)
        check("addInts(int64 40, 2): int64 within range binds to int",
              self.result(s, "addInts", [Int64(40), 2]), 42)
        check("twiceLong(2^40)", self.result(s, "twiceLong", [Int64(2 ** 40)]), Int64(2 ** 41))
        check("twiceLong(int32 3) comes back as int64", self.result(s, "twiceLong", [3]), Int64(6))
        check("half(5.0)", self.result(s, "half", [5.0]), 2.5)
        check("negate(true)", self.result(s, "negate", [True]), False)
        check("greet(unicode)", self.result(s, "greet", ["Wörld ✓"]), "Hello, Wörld ✓")
        check("reverse(bytes)", self.result(s, "reverse", [b"\x00\x01\xff"]), b"\xff\x01\x00")
        check("next(BLUE)", self.result(s, "next", ["BLUE"]), "RED")
        check("relabel(item)",
              self.result(s, "relabel", [{"label": "a", "count": 1, "tags": ["x"]}, "b"]),
              {"label": "b", "count": 2, "tags": ["x", "b"]})
        check("doubled([1, 2, 3])", self.result(s, "doubled", [[1, 2, 3]]), [2, 4, 6])
        check("counts({a: 1, b: 2})", self.result(s, "counts", [{"a": Int64(1), "b": Int64(2)}]),
              {"a": Int64(2), "b": Int64(3), "total": Int64(3)})
        check("find(empty)", self.result(s, "find", [None]), None)
        check("find(present)", self.result(s, "find", ["k"]), "found k")
        plus = self.result(s, "plus", ["2026-11-27T13:00:00.123456789Z", "PT1M30.000000005S"])
        check("plus(instant, duration)", instant_nanos(plus), ("2026-11-27T13:01:30", 123456794))
        check("nextDay(2026-11-27)", self.result(s, "nextDay", ["2026-11-27"]), "2026-11-28")
        check("kind(int) by paramTypes", self.result(s, "kind", [5], ["int"]), "int:5")
        check("kind(String) by paramTypes", self.result(s, "kind", ["x"], ["java.lang.String"]), "string:x")
        check("charge(50)", self.result(s, "charge", [50]), 50)
        declined = self.call(s, "charge", [500])
        error = declined.get("error") or {}
        check("charge(500) fails as invocation", error.get("kind"), "invocation")
        check("charge(500) names the declared exception", error.get("type"),
              CONTRACT_PACKAGE + ".PaymentDeclinedException")
        check("charge(500) carries its message", error.get("message"), "declined: 500")
        refused = self.call(s, "addInts", [8.5, 1])
        check("addInts(8.5, 1) is refused as bad-request", (refused.get("error") or {}).get("kind"),
              "bad-request")
        check("the connection carries on after bad-request", self.result(s, "addInts", [1, 1]), 2)
        self.refusals(s)
        check("reverse: a binary of another subtype binds to byte[] as its bytes",
              self.result(s, "reverse", [Raw(0x05, struct.pack("<i", 2) + b"\x80\x01\x02")]), b"\x02\x01")
        check("counts with int32 values: int32 binds to long",
              self.result(s, "counts", [{"n": 5}]), {"n": Int64(6), "total": Int64(5)})
        check("relabel: a missing field takes its default, an unknown one is ignored",
              self.result(s, "relabel", [{"label": "a", "tags": [], "colour": "red"}, "c"]),
              {"label": "c", "count": 1, "tags": ["c"]})
        check("plus: exact text of an instant with nanoseconds",
              self.result(s, "plus", ["2026-11-27T13:00:00.123456789Z", "PT1M30.000000005S"]),
              "2026-11-27T13:01:30.123456794Z")
        check("plus: exact text of an instant with milliseconds",
              self.result(s, "plus", ["2026-11-27T13:00:00Z", "PT0.5S"]), "2026-11-27T13:00:00.500Z")
        check("plus: exact text of a whole-second instant",
              self.result(s, "plus", ["2026-11-27T13:00:00.5Z", "PT0.5S"]), "2026-11-27T13:00:01Z")
        check("plus: a Duration as a number of seconds",
              self.result(s, "plus", ["2026-11-27T13:00:00Z", 90]), "2026-11-27T13:01:30Z")
        reordered = {"params": [20, 22], "method": "addInts", "service": s, "id": "py-reordered",
                     "futureField": "a receiver ignores envelope fields it does not know"}
        self.conn.write_frame(NEXT)
        check("PROCEED answers NEXT", self.conn.read_frame()[0] == PROCEED, True)
        self.conn.write_message(REQUEST, reordered)
        answer = Connection.decode_message(self.conn.read_frame()[1])
        check("a request's fields in another order, and one unknown", (answer.get("id"), answer.get("result")), ("py-reordered", 42))
        self.more_values(s)
        missing = self.call(s, "noSuchMethod", [])
        check("unknown method", (missing.get("error") or {}).get("kind"), "method-not-found")
        unknown = self.call("NoSuchService", "x", [])
        check("unknown service", (unknown.get("error") or {}).get("kind"), "service-not-found")

        r = "ItemRepo"
        check("ItemRepo.save(item) returns null",
              self.result(r, "save", [{"label": "saved", "count": 7, "tags": []}]), None)
        check("ItemRepo.first() is an Item document", self.result(r, "first", []),
              {"label": "saved", "count": 7, "tags": []})
        check("ItemRepo.all() is a list of Item documents", self.result(r, "all", []),
              [{"label": "saved", "count": 7, "tags": []}])

        check("halibut.ping", self.result("halibut.ping", "ping", [], []), None)
        described = self.result("halibut.describe", "describe", [], [])
        self.check_description(described)

        self.conn.write_frame(END)
        self.conn.close()

        # A ping travels on its own new connection and ends it with END (section 4, built-in services).
        ping_conn = connect(self.args.host, self.args.port, self.args.cert, self.args.key,
                            self.args.thumbprint, "HALIBUT-CLIENT 1", self.args.websocket_path)
        check("halibut.ping on its own connection",
              self.call("halibut.ping", "ping", [], [], conn=ping_conn).get("result", "missing"), None)
        ping_conn.write_frame(END)
        ping_conn.close()

        for line, code in [("HALIBUT-CLIENT 2", "unsupported-version"), ("HALIBUT-OCTOPUS 1", "unknown-role")]:
            conn = tls_connect(self.args.host, self.args.port, self.args.cert, self.args.key, self.args.thumbprint,
                               self.args.websocket_path)
            conn.sock.sendall(line.encode("ascii") + b"\r\n\r\n")
            answer = conn.read_block()
            check("%r is answered with HALIBUT-ERROR %s" % (line, code),
                  bool(answer) and answer[0].startswith("HALIBUT-ERROR %s " % code), True)
            try:
                closed = conn.sock.recv(1) == b""
            except OSError:
                closed = True
            check("the connection is closed after HALIBUT-ERROR %s" % code, closed, True)
            conn.close()

    def more_values(self, s):
        """The remaining rows of the table (echoed back by the Java service) and DataStream both ways."""
        check("echo: float, char, short, byte, UUID, OffsetDateTime, LocalTime, LocalDateTime, int[], Set, "
              "BigInteger as a string, OptionalInt present", self.result(s, "echo", [MIXED]), MIXED)
        small = dict(MIXED, f=FLOAT_01, big=5, maybe=None, ints=[], tags=[])
        check("echo: a float's exact value, a small BigInteger as int32, OptionalInt empty",
              self.result(s, "echo", [small]), small)
        for what, override in [("0.1 for a float", {"f": 0.1}), ("255 for a byte", {"b": 255}),
                               ("two characters for a char", {"c": "xy"}),
                               ("40000 for a short", {"s": 40000}),
                               ("a UUID without dashes", {"id": MIXED["id"].replace("-", "")})]:
            response = self.call(s, "echo", [dict(MIXED, **override)])
            check("refused as bad-request: " + what, (response.get("error") or {}).get("kind"), "bad-request")
        text = bytes(ord("a") + i % 26 for i in range(70000))
        check("upper: a stream of two STREAM_DATA frames both ways", self.result(s, "upper", [Stream(text)]),
              Stream(text.upper()))
        check("upper: an empty stream (only its STREAM_END) both ways", self.result(s, "upper", [Stream(b"")]),
              Stream(b""))

    def refusals(self, s):
        """Values the table of section 4 refuses: each a bad-request, the service not called."""
        for what, method, params in [
            ("8.0 for an int", "addInts", [8.0, 1]),
            ("int64 past the int range", "addInts", [Int64(2 ** 31), 1]),
            ("a string for an int", "addInts", ["8", 1]),
            ("1 for a boolean", "negate", [1]),
            ("a number for a String", "greet", [5]),
            ("a string for byte[]", "reverse", ["AAE="]),
            ("an array of numbers for byte[]", "reverse", [[0, 1]]),
            ("a constant's name in another case", "next", ["blue"]),
            ("an ordinal for an enum", "next", [2]),
            ("a number for an Instant", "plus", [1764248400, "PT1S"]),
            ("a fraction in a list of Integer", "doubled", [[1, 2.5]]),
            ("a double for a long in a Map<String, Long>", "counts", [{"a": 1.5}]),
            ("null for an int component of a record", "relabel", [{"label": "a", "count": None, "tags": []}, "b"]),
            ("a BSON UTC datetime (0x09) for an Instant", "plus", [Raw(0x09, struct.pack("<q", 0)), "PT1S"]),
            ("a BSON UTC datetime (0x09) for an int", "addInts", [Raw(0x09, struct.pack("<q", 8)), 1]),
            ("a BSON decimal128 (0x13) for a double", "half", [Raw(0x13, bytes(16))]),
            ("a BSON symbol (0x0E) for a String", "greet", [Raw(0x0E, struct.pack("<i", 2) + b"x\x00")]),
        ]:
            response = self.call(s, method, params)
            check("refused as bad-request: " + what, (response.get("error") or {}).get("kind"), "bad-request")

    def check_description(self, described):
        global checks
        checks += 1
        services = {}
        problems = []
        if not isinstance(described, list):
            problems.append("not an array: %r" % (described,))
            described = []
        for export in described:
            endpoint_id = export.get("endpointId")
            props = {p.get("key"): p for p in export.get("properties", [])}
            for required in ("endpoint.id", "endpoint.service.id", "endpoint.framework.uuid", "objectClass"):
                if required not in props:
                    problems.append("export %s lacks property %s" % (endpoint_id, required))
            if props.get("endpoint.id", {}).get("values") != [endpoint_id]:
                problems.append("endpoint.id %r differs from endpointId %r" % (props.get("endpoint.id"),
                                                                                 endpoint_id))
            if props.get("endpoint.service.id", {}).get("type") != "Long":
                problems.append("endpoint.service.id is not a Long: %r" % (props.get("endpoint.service.id"),))
            object_class = props.get("objectClass", {})
            if object_class.get("type") != "String" or object_class.get("kind") != "array":
                problems.append("objectClass is not a String array: %r" % (object_class,))
            for svc in export.get("services", []):
                if svc.get("address") != "%s@%s" % (svc.get("service"), endpoint_id):
                    problems.append("address %r is not service@endpointId" % svc.get("address"))
                if not isinstance(svc.get("plainName"), bool):
                    problems.append("plainName is not a boolean: %r" % (svc,))
                services[svc.get("service")] = svc.get("interfaceName")
        for name in ("InteropService", "ItemRepo"):
            if services.get(name) != "%s.%s" % (CONTRACT_PACKAGE, name):
                problems.append("%s described as %r" % (name, services.get(name)))
        if problems:
            failures.append("halibut.describe")
            print("FAIL halibut.describe: %s\n     %r" % ("; ".join(problems), described), flush=True)
        else:
            print("ok   halibut.describe", flush=True)


# ---------------------------------------------------------------------------------------------------------
# The subscriber role: a polling service host.


class Invalid(Exception):
    """A parameter that does not fit its declared type: answered as bad-request."""


class Declined(Exception):
    pass


def want(value, kind, what):
    ok = {
        "int": lambda v: isinstance(v, Int32),
        "long": lambda v: isinstance(v, Int64),
        "double": lambda v: isinstance(v, float),
        "boolean": lambda v: type(v) is bool,
        "string": lambda v: isinstance(v, str),
        "binary": lambda v: isinstance(v, bytes),
        "document": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string-or-null": lambda v: v is None or isinstance(v, str),
    }[kind](value)
    if not ok:
        raise Invalid("%s: expected %s, got %r" % (what, kind, value))
    return value


def item_of(doc, what):
    want(doc, "document", what)
    want(doc.get("label"), "string", what + ".label")
    want(doc.get("count"), "int", what + ".count")
    for i, tag in enumerate(want(doc.get("tags"), "array", what + ".tags")):
        want(tag, "string", "%s.tags[%d]" % (what, i))
    return {"label": doc["label"], "count": doc["count"], "tags": list(doc["tags"])}


COLORS = ["RED", "GREEN", "BLUE"]
FLOAT_01 = struct.unpack("<f", struct.pack("<f", 0.1))[0]  # 0.1f, exactly: 0.100000001490116119384765625
MIXED = {"f": 8.5, "c": "x", "s": -300, "b": -7, "id": "123e4567-e89b-12d3-a456-426614174000",
         "offset": "2026-11-27T13:00:00+01:00", "time": "13:00:05", "local": "2026-11-27T13:00:05",
         "ints": [1, 2, 3], "tags": ["a"], "big": str(2 ** 70), "maybe": 4}


class PythonInteropService:
    """The interop contract as the Java test declares it, served by this peer."""

    def __init__(self):
        self.saved = []

    def addInts(self, a, b):
        return int(want(a, "int", "a")) + int(want(b, "int", "b"))

    def twiceLong(self, v):
        return Int64(2 * want(v, "long", "v"))

    def half(self, v):
        return want(v, "double", "v") / 2

    def negate(self, v):
        return not want(v, "boolean", "v")

    def greet(self, name):
        return "Hello, " + want(name, "string", "name")

    def reverse(self, data):
        return want(data, "binary", "data")[::-1]

    def next(self, color):
        if want(color, "string", "color") not in COLORS:
            raise Invalid("color %r is not a constant" % color)
        return COLORS[(COLORS.index(color) + 1) % len(COLORS)]

    def relabel(self, item, label):
        item = item_of(item, "item")
        want(label, "string", "label")
        return {"label": label, "count": item["count"] + 1, "tags": item["tags"] + [label]}

    def doubled(self, values):
        return [2 * want(v, "int", "values[%d]" % i) for i, v in enumerate(want(values, "array", "values"))]

    def counts(self, counts):
        want(counts, "document", "counts")
        result = {k: Int64(want(v, "long", "counts." + k) + 1) for k, v in counts.items()}
        result["total"] = Int64(sum(counts.values()))
        return result

    def find(self, key):
        want(key, "string-or-null", "key")
        return None if key is None else "found " + key

    def plus(self, instant, duration):
        parsed = instant_nanos(want(instant, "string", "instant"))
        match = re.match(r"^PT(?:(\d+)M)?(\d+)(?:\.(\d{1,9}))?S$", want(duration, "string", "duration"))
        if not parsed or not match:
            raise Invalid("plus(%r, %r): unexpected forms" % (instant, duration))
        if parsed[0] != "2026-11-27T13:00:00":
            raise Invalid("plus handles only instants at 2026-11-27T13:00:00, not %r" % instant)
        nanos = (int(match.group(1) or 0) * 60 + int(match.group(2))) * 10 ** 9 + parsed[1] \
            + int((match.group(3) or "").ljust(9, "0"))
        seconds, fraction = divmod(nanos, 10 ** 9)
        return "2026-11-27T13:%02d:%02d.%09dZ" % (seconds // 60, seconds % 60, fraction)

    def nextDay(self, day):
        if want(day, "string", "day") != "2026-11-27":
            raise Invalid("nextDay handles only 2026-11-27, not %r" % day)
        return "2026-11-28"

    def kind(self, value):
        if isinstance(value, Int32):
            return "int:%d" % value
        return "string:" + want(value, "string", "value")

    def echo(self, mixed):
        want(mixed, "document", "mixed")
        kinds = {"f": "double", "c": "string", "s": "int", "b": "int", "id": "string", "offset": "string",
                 "time": "string", "local": "string", "ints": "array", "tags": "array"}
        for field, kind in kinds.items():
            want(mixed.get(field), kind, "mixed." + field)
        if not isinstance(mixed.get("big"), (Int32, Int64, str)):
            raise Invalid("mixed.big: expected int32, int64 or a string of digits, got %r" % (mixed.get("big"),))
        if mixed.get("maybe") is not None:
            want(mixed["maybe"], "int", "mixed.maybe")
        return mixed

    def upper(self, text):
        if not isinstance(text, Stream):
            raise Invalid("text: expected a stream reference, got %r" % (text,))
        return Stream(text.data.upper())

    def charge(self, amount):
        if want(amount, "int", "amount") > 999:
            raise ValueError("amount too large: %d" % amount)
        if amount > 100:
            raise Declined("declined: %d" % amount)
        return amount


class PythonItemRepo:
    def __init__(self):
        self.items = []

    def save(self, item):
        self.items.append(item_of(item, "item"))
        return None

    def first(self):
        return self.items[0] if self.items else None

    def all(self):
        return list(self.items)


EXPORTS = {"InteropService": PythonInteropService(), "ItemRepo": PythonItemRepo()}
OVERLOADS = {("InteropService", "kind"): {"int": Int32, "java.lang.String": str}}


def describe(subscription):
    exports = []
    for number, name in enumerate(EXPORTS, start=1):
        endpoint_id = "python-%s-%d" % (subscription, number)

        def prop(key, ptype, kind, values):
            return {"key": key, "type": ptype, "kind": kind, "values": values}

        exports.append({
            "endpointId": endpoint_id,
            "services": [{"interfaceName": "%s.%s" % (CONTRACT_PACKAGE, name), "service": name,
                          "address": "%s@%s" % (name, endpoint_id), "plainName": True}],
            "properties": [prop("endpoint.id", "String", "scalar", [endpoint_id]),
                           prop("endpoint.service.id", "Long", "scalar", [str(number)]),
                           prop("endpoint.framework.uuid", "String", "scalar", [FRAMEWORK_UUID]),
                           prop("objectClass", "String", "array", ["%s.%s" % (CONTRACT_PACKAGE, name)]),
                           prop("peer.language", "String", "scalar", ["python"])],
        })
    return exports


FRAMEWORK_UUID = str(uuid.uuid4())


def serve_request(request, subscription):
    """The response envelope for one request document."""
    request_id = request.get("id")
    service, method = request.get("service"), request.get("method")
    params = request.get("params")
    param_types = request.get("paramTypes")
    print("serve %s.%s %r %r" % (service, method, params, param_types), flush=True)

    def error(kind, message, **extra):
        return {"id": request_id, "error": dict({"kind": kind, "message": message}, **extra)}

    if not isinstance(params, list):
        return error("bad-request", "%s.%s: params is not an array" % (service, method))
    if service == "halibut.ping":
        return {"id": request_id, "result": None} if method == "ping" and not params \
            else error("method-not-found", "halibut.ping has only ping()")
    if service == "halibut.describe":
        return {"id": request_id, "result": describe(subscription)} if method == "describe" and not params \
            else error("method-not-found", "halibut.describe has only describe()")
    target = EXPORTS.get(service)
    if target is None:
        return error("service-not-found", "no service %s at poll://%s/" % (service, subscription))
    function = getattr(target, method, None) if not method.startswith("_") else None
    if function is None or function.__code__.co_argcount - 1 != len(params):
        return error("method-not-found", "%s has no method %s with %d parameters" % (service, method,
                                                                                   len(params)))
    overloads = OVERLOADS.get((service, method))
    if overloads and param_types:
        accepted = overloads.get(param_types[0])
        if accepted is None or not isinstance(params[0], accepted):
            return error("method-not-found", "%s.%s(%s) is not declared" % (service, method, param_types))
    try:
        return {"id": request_id, "result": function(*params)}
    except Invalid as e:
        return error("bad-request", "%s.%s: %s" % (service, method, e))
    except Declined as e:
        return error("invocation", str(e), type=CONTRACT_PACKAGE + ".PaymentDeclinedException",
                     details="Traceback: raised by the Python peer's charge()")
    except ValueError as e:
        # A type the contract does not declare: the Java caller gets a ServiceInvocationException.
        return error("invocation", str(e), type="ValueError", details="raised by the Python peer")


def subscribe(args):
    subscription = re.match(r"^poll://([^/]+)/", args.subscription, re.IGNORECASE).group(1)
    stop = threading.Event()
    current = {}

    def watch_stdin():
        sys.stdin.read()
        stop.set()
        conn = current.get("conn")
        if conn is not None:
            try:
                conn.write_frame(END)  # closing cleanly (section 3)
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    threading.Thread(target=watch_stdin, daemon=True).start()
    served = 0
    backoff = 0.1
    while not stop.is_set():
        try:
            conn = connect(args.host, args.port, args.cert, args.key, args.thumbprint,
                           "HALIBUT-SUBSCRIBER 1 " + args.subscription, args.websocket_path)
        except (OSError, ProtocolError, EOFError) as e:
            print("connect failed: %s" % e, flush=True)
            stop.wait(backoff)
            backoff = min(backoff * 2, 10)
            continue
        backoff = 0.1
        current["conn"] = conn
        print("subscribed as %s%s" % (args.subscription, "" if args.websocket_path is None
                                        else " over wss, path " + args.websocket_path), flush=True)
        if stop.is_set():
            conn.close()
            break
        try:
            # Silence longer than the listener's keep-alive + heartbeat timeout (+ 2 s) means a dead connection.
            keep_alive, heartbeat = listener_settings(conn.headers)
            print("listener keep-alive %d ms, heartbeat timeout %d ms" % (keep_alive, heartbeat), flush=True)
            conn.sock.settimeout((keep_alive + heartbeat) / 1000.0 + 2)
            while True:
                ftype, payload = conn.read_frame()
                if ftype == NEXT:
                    conn.write_frame(PROCEED)
                elif ftype == REQUEST:
                    response = serve_request(conn.read_message(payload), subscription)
                    conn.write_message(RESPONSE, response)
                    served += 1
                elif ftype == END:
                    print("END from the listener", flush=True)
                    break
                else:
                    raise ProtocolError("the listener sent frame 0x%02x" % ftype)
        except (OSError, EOFError) as e:
            if not stop.is_set():
                print("connection lost: %s" % e, flush=True)
        except (ProtocolError, BsonError) as e:
            failures.append("protocol")
            print("FAIL protocol error: %s" % e, flush=True)
        finally:
            current.pop("conn", None)
            conn.close()
    print("served %d requests" % served, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("role", choices=["caller", "subscriber"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--thumbprint", required=True, help="the Java runtime's certificate thumbprint")
    parser.add_argument("--cert", required=True, help="this peer's certificate, PEM")
    parser.add_argument("--key", required=True, help="this peer's private key, PEM")
    parser.add_argument("--subscription", default="poll://python-peer/")
    parser.add_argument("--websocket-path", default=None,
                        help="reach the listener over a secure WebSocket at this path (wss://host:port/path)")
    args = parser.parse_args()
    try:
        if args.role == "caller":
            Caller(args).run()
            print("%d checks, %d failed" % (checks, len(failures)), flush=True)
        else:
            subscribe(args)
    except (OSError, EOFError, ProtocolError, BsonError) as e:
        print("FAIL %s: %s" % (type(e).__name__, e), flush=True)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
