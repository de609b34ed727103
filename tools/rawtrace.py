"""rawtrace: read and write tkern raw traces (trace/format.h) from Python.

Used by the plots (tools/plot/) and by the tests' synthetic traces
(tools/synth_trace.py). The event table comes from build/bin/trace-schema-json,
which prints trace/events.def as the C tools compile it, so nothing here
describes an event a second time and the schema hash is the C tools' own.

Reading mirrors tools/tracelib.c: chunks are checked (magic, length, CRC32)
and decoding stops at the first damaged chunk, keeping what came before; gaps
in a CPU's sequence numbers become synthetic `trace_lost` events.
"""

import json
import os
import struct
import subprocess
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_TOOL = os.path.join(ROOT, "build", "bin", "trace-schema-json")

RAW_MAGIC = 0x574152544B54
AREA_MAGIC = 0x3145434152544B54
CHUNK_MAGIC = 0x4B4E4843
CHUNK_AREA, CHUNK_RECORDS, CHUNK_END = 1, 2, 3
CHUNK_MAX_RECORDS = 256
AREA_PANIC = 0x4
AREA_FLUSHED = 0x2
AREA_INIT = 0x1

FILE_HDR = struct.Struct("<QII")
CHUNK_HDR = struct.Struct("<IHHQII")
# struct trace_area_header up to the ring descriptors (trace/format.h)
AREA_FIXED = struct.Struct("<QIIQQIIIIQQIIII16s48s128s512s")
RING_DESC = struct.Struct("<QQQIIQQQII")
REC_HDR = struct.Struct("<QHBBI")


class TraceError(Exception):
    """The input cannot be used at all (not a trace, other table, unreadable)."""


_schema_cache = None


def schema():
    """The event table as a dict (see tools/trace_schema_json.c)."""
    global _schema_cache
    if _schema_cache is None:
        if not os.path.exists(SCHEMA_TOOL):
            raise TraceError("%s is missing: run `make tracetools` first" % SCHEMA_TOOL)
        out = subprocess.run([SCHEMA_TOOL], check=True, capture_output=True, text=True).stdout
        s = json.loads(out)
        s["hash"] = int(s["schema_hash"], 16)
        s["by_name"] = {e["name"]: e for e in s["events"]}
        _schema_cache = s
    return _schema_cache


NAME16_BYTES = 16


def name16_text(w0, w1):
    """A NAME16 field's text from its two words, as tracecat prints it
    (trace_name16_text in trace/schema.c): up to the first NUL, anything but
    printable ASCII other than space as '?'."""
    b = struct.pack("<QQ", w0, w1).split(b"\0", 1)[0]
    return "".join(chr(c) if 0x20 < c < 0x7f else "?" for c in b)


def name16_words(text):
    """The two words of a NAME16 field holding text (str or bytes; beyond 16
    bytes cut), or an int taken as the 16 raw bytes (little-endian)."""
    if isinstance(text, int):
        b = (text & (2 ** 128 - 1)).to_bytes(NAME16_BYTES, "little")
    else:
        b = (text.encode() if isinstance(text, str) else bytes(text))[:NAME16_BYTES]
    return list(struct.unpack("<QQ", b.ljust(NAME16_BYTES, b"\0")))


def _field_values(ev, words):
    """A record's words as one value per field: a NAME16 (last) is its text."""
    vals = list(words[:len(ev["fields"])])
    if ev["fields"] and ev["fields"][-1]["type"] == "name16":
        vals[-1] = name16_text(words[-2], words[-1])
    return vals


class Event:
    __slots__ = ("ts", "cpu", "seq", "name", "id", "fields", "synthetic")

    def __init__(self, ts, cpu, seq, ev, values, synthetic=False):
        self.ts, self.cpu, self.seq = ts, cpu, seq
        self.name, self.id = ev["name"], ev["id"]
        self.fields = {f["name"]: v for f, v in zip(ev["fields"], values)}
        self.synthetic = synthetic

    def __getitem__(self, k):
        return self.fields[k]

    def get(self, k, default=None):
        return self.fields.get(k, default)

    def __repr__(self):
        args = " ".join("%s=%s" % kv for kv in self.fields.items())
        return "<%d cpu%d %s %s>" % (self.ts, self.cpu, self.name, args)


class Trace:
    """A decoded raw trace: header fields, events merged in time order."""

    def __init__(self):
        self.tsc_hz = 0
        self.ncpus = 0
        self.flags = 0
        self.cmdline = ""
        self.backend = ""
        self.bugs = ""
        self.events = []
        self.damaged = False
        self.error = ""

    @property
    def panicked(self):
        return bool(self.flags & AREA_PANIC) or any(e.name == "panic" for e in self.events)

    def ns(self, ts):
        """TSC ticks to ns since the first event (ticks if the frequency is unknown)."""
        t0 = self.events[0].ts if self.events else 0
        d = max(ts - t0, 0)
        return d * 1_000_000_000 // self.tsc_hz if self.tsc_hz else d

    def enum_name(self, enum, value):
        for k, v in schema()["enums"].get(enum, {}).items():
            if v == value:
                return k
        return str(value)


def _cstr(b):
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


def read(path):
    with open(path, "rb") as f:
        return parse(f.read())


def parse(buf):
    sch = schema()
    t = Trace()
    if len(buf) < FILE_HDR.size:
        raise TraceError("offset 0: too short for a raw trace")
    magic, version, hbytes = FILE_HDR.unpack_from(buf, 0)
    if magic != RAW_MAGIC or hbytes != FILE_HDR.size:
        raise TraceError("offset 0: not a tkern raw trace (bad magic)")
    if version != sch["raw_version"]:
        raise TraceError("offset 8: raw trace version %d, this tool reads %d"
                         % (version, sch["raw_version"]))
    off, have_hdr, ended = FILE_HDR.size, False, False
    per_cpu = {}
    area_size = AREA_FIXED.size + sch["max_cpus"] * RING_DESC.size

    def damage(msg):
        t.damaged = True
        t.error = "offset %d: %s" % (off, msg)

    while off < len(buf) and not ended:
        if len(buf) - off < CHUNK_HDR.size:
            damage("truncated chunk header")
            break
        cm, ctype, cpu, seq, length, crc = CHUNK_HDR.unpack_from(buf, off)
        if cm != CHUNK_MAGIC:
            damage("bad chunk magic")
            break
        if length > len(buf) - off - CHUNK_HDR.size:
            damage("chunk claims %d bytes, the file is truncated" % length)
            break
        zero = CHUNK_HDR.pack(cm, ctype, cpu, seq, length, 0)
        payload = buf[off + CHUNK_HDR.size: off + CHUNK_HDR.size + length]
        if zlib.crc32(payload, zlib.crc32(zero)) != crc:
            damage("chunk CRC mismatch")
            break
        if ctype == CHUNK_AREA:
            if have_hdr or length != area_size:
                damage("unexpected AREA chunk")
                break
            f = AREA_FIXED.unpack_from(payload, 0)
            if f[10] != sch["hash"]:
                raise TraceError("the trace was written with another event table")
            t.tsc_hz, t.ncpus, t.flags = f[9], f[12], f[13]
            t.backend, t.bugs, t.cmdline = _cstr(f[15]), _cstr(f[17]), _cstr(f[18])
            have_hdr = True
        elif ctype == CHUNK_RECORDS:
            if not have_hdr or cpu >= sch["max_cpus"]:
                damage("RECORDS chunk out of place")
                break
            pos, s = 0, seq
            evs = per_cpu.setdefault(cpu, [])
            bad = False
            while pos < length:
                if length - pos < REC_HDR.size:
                    bad = True
                    break
                tsc, eid, nf, _flags, seq_lo = REC_HDR.unpack_from(payload, pos)
                if (eid >= len(sch["events"]) or nf != sch["events"][eid]["nwords"]
                        or seq_lo != (s & 0xffffffff) or length - pos < REC_HDR.size + 8 * nf):
                    bad = True
                    break
                vals = struct.unpack_from("<%dQ" % nf, payload, pos + REC_HDR.size)
                evs.append(Event(tsc, cpu, s, sch["events"][eid],
                                 _field_values(sch["events"][eid], vals)))
                pos += REC_HDR.size + 8 * nf
                s += 1
            if bad:
                damage("malformed record in a RECORDS chunk (cpu %d)" % cpu)
                break
        elif ctype == CHUNK_END:
            ended = True
        else:
            damage("unknown chunk type %d" % ctype)
            break
        off += CHUNK_HDR.size + length
    if not t.damaged and not ended:
        damage("truncated: no END chunk")
    if not have_hdr:
        raise TraceError(t.error or "no AREA chunk")
    lost_ev = sch["by_name"]["trace_lost"]
    reasons = sch["enums"]["lost_reason"]
    out = []
    for cpu, evs in per_cpu.items():
        prev = None
        for e in evs:
            if prev is None and e.seq > 0:
                out.append(Event(e.ts, cpu, 0, lost_ev, (e.seq, reasons["overwritten"]), True))
            elif prev is not None and e.seq != prev + 1:
                out.append(Event(e.ts, cpu, prev + 1, lost_ev,
                                 (e.seq - prev - 1, reasons["uncommitted"]), True))
            out.append(e)
            prev = e.seq
    out.sort(key=lambda e: (e.ts, e.cpu, e.seq, not e.synthetic))
    t.events = out
    return t


class Writer:
    """Builds a raw trace the way traceextract writes one."""

    def __init__(self, tsc_hz=2_000_000_000, ncpus=2, cmdline="", backend="emulated",
                 bugs="", panic=False, chunk_records=CHUNK_MAX_RECORDS):
        self.sch = schema()
        self.tsc_hz, self.ncpus = tsc_hz, ncpus
        self.cmdline, self.backend, self.bugs, self.panic = cmdline, backend, bugs, panic
        self.records = {}     # cpu -> list of (tsc, id, values)
        self.nrecords = 0
        # Smaller chunks than the extractor's make damage cost fewer records.
        self.chunk_records = min(chunk_records, CHUNK_MAX_RECORDS)

    def add(self, cpu, tsc, name, /, **fields):
        ev = self.sch["by_name"][name]
        names = [f["name"] for f in ev["fields"]]
        if set(fields) != set(names):
            raise ValueError("%s takes fields %s, got %s" % (name, names, sorted(fields)))
        vals = []
        for f in ev["fields"]:
            if f["type"] == "name16":       # text (str or bytes), two words
                vals += name16_words(fields[f["name"]])
            else:
                vals.append(int(fields[f["name"]]) & 0xffffffffffffffff)
        self.records.setdefault(cpu, []).append((tsc, ev["id"], vals))
        self.nrecords += 1

    def skip(self, cpu, n):
        """Leave n sequence numbers unused on cpu: records lost there."""
        self.records.setdefault(cpu, []).append((None, n, None))

    def count(self):
        return self.nrecords

    def _area(self, next_seq):
        sch = self.sch
        flags = AREA_INIT | AREA_FLUSHED | (AREA_PANIC if self.panic else 0)
        head = [AREA_MAGIC, sch["area_version"], AREA_FIXED.size + sch["max_cpus"] * RING_DESC.size,
                (2 << 20) + 4096, 0xffffffff80400000, sch["max_cpus"], 64, 0,
                len(sch["events"]), self.tsc_hz, sch["hash"], 0, self.ncpus, flags, 0,
                self.backend.encode(), b"", self.bugs.encode(), self.cmdline.encode()]
        head[11] = zlib.crc32(AREA_FIXED.pack(*head)[:64])   # header_crc: the first 64 bytes
        fixed = AREA_FIXED.pack(*head)
        rings = b""
        for c in range(sch["max_cpus"]):
            n = next_seq.get(c, 0)
            rings += RING_DESC.pack(n, 0xffffffffffffffff, 4096 + c * 4096 * 64, 4096, c,
                                    n, 0, 0, 1 | 2 if c < self.ncpus else 0, 0)
        return fixed + rings

    @staticmethod
    def _chunk(ctype, cpu, seq, payload):
        zero = CHUNK_HDR.pack(CHUNK_MAGIC, ctype, cpu, seq, len(payload), 0)
        crc = zlib.crc32(payload, zlib.crc32(zero))
        return CHUNK_HDR.pack(CHUNK_MAGIC, ctype, cpu, seq, len(payload), crc) + payload

    def tobytes(self):
        chunks = []
        next_seq = {}
        body = []
        for cpu in sorted(self.records):
            seq = 0
            run, run_seq = [], 0
            for tsc, eid, vals in self.records[cpu]:
                if tsc is None:             # a gap: close the run, skip numbers
                    if run:
                        body.append((cpu, run_seq, run))
                    seq += eid
                    run, run_seq = [], seq
                    continue
                if not run:
                    run_seq = seq
                run.append(REC_HDR.pack(tsc, eid, len(vals), 0, seq & 0xffffffff)
                           + struct.pack("<%dQ" % len(vals), *vals))
                seq += 1
                if len(run) == self.chunk_records:
                    body.append((cpu, run_seq, run))
                    run = []
            if run:
                body.append((cpu, run_seq, run))
            next_seq[cpu] = seq
        chunks.append(self._chunk(CHUNK_AREA, 0, 0, self._area(next_seq)))
        for cpu, seq, run in body:
            chunks.append(self._chunk(CHUNK_RECORDS, cpu, seq, b"".join(run)))
        chunks.append(self._chunk(CHUNK_END, 0, len(chunks), b""))
        return FILE_HDR.pack(RAW_MAGIC, self.sch["raw_version"], FILE_HDR.size) + b"".join(chunks)

    def write(self, path):
        data = self.tobytes()
        with open(path, "wb") as f:
            f.write(data)
        return len(data)
