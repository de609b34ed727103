"""perfetto_model: decode a .perfetto-trace with python-protobuf (from our
trimmed tools/perfetto/perfetto_trace.proto, compiled by protoc at test time)
and check it the way Perfetto's importer reads it (Perfetto's documented import rules):

- every packet has trusted_packet_sequence_id != 0; the first packet of the
  sequence clears incremental state; packets that use interned data or the
  packet defaults say SEQ_NEEDS_INCREMENTAL_STATE;
- interned iids are non-zero and defined in the same or an earlier packet;
- tracks are declared before any event uses them; uuids are unique; sibling
  tracks with the same name either differ or opt out of merging;
- timestamps (delta-encoded on clock 64, or absolute) never go backwards or
  below zero;
- slices nest and balance on every track; counters only on counter tracks,
  slices and instants never on them;
- flow ids that terminate were started earlier.

`load()` returns a Model with the resolved events for field-by-field checks.
"""

import importlib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_DIR = os.path.join(ROOT, "tools", "perfetto")
PROTO = os.path.join(PROTO_DIR, "perfetto_trace.proto")

_pb2 = None


def pb2(tmpdir):
    """The generated python module for our .proto (built once per session)."""
    global _pb2
    if _pb2 is None:
        subprocess.run(["protoc", "--python_out=%s" % tmpdir, "-I%s" % PROTO_DIR, PROTO],
                       check=True)
        sys.path.insert(0, str(tmpdir))
        _pb2 = importlib.import_module("perfetto_trace_pb2")
    return _pb2


class ModelError(AssertionError):
    pass


class Ev:
    def __init__(self, ts, track, type_, name, cat, args, flows, term, counter=None):
        self.ts, self.track, self.type, self.name, self.cat = ts, track, type_, name, cat
        self.args, self.flows, self.term, self.counter = args, flows, term, counter

    def __repr__(self):
        return "<%d %s %s %r %r>" % (self.ts, self.track, self.type, self.name, self.args)


class Model:
    def __init__(self):
        self.tracks = {}      # uuid -> descriptor
        self.names = {}       # uuid -> name
        self.events = []      # Ev, file order (which is time order)
        self.slices = []      # (track name, name, begin ts, end ts, begin args, end args)
        self.counters = {}    # track name -> [(ts, value)]

    def on(self, track_name):
        return [e for e in self.events if e.track == track_name]

    def slices_on(self, track_name):
        return [s for s in self.slices if s[0] == track_name]


def load(path, tmpdir):
    pb = pb2(tmpdir)
    tr = pb.Trace()
    with open(path, "rb") as f:
        tr.ParseFromString(f.read())
    return check(tr, pb)


def check(tr, pb):
    m = Model()
    TE = pb.TrackEvent
    if not tr.packet:
        raise ModelError("no packets")
    first = tr.packet[0]
    if not first.trusted_packet_sequence_id:
        raise ModelError("first packet without a sequence id")
    if not first.sequence_flags & 1:
        raise ModelError("first packet does not clear incremental state")
    delta = first.trace_packet_defaults.timestamp_clock_id == 64
    if delta:
        clocks = {c.clock_id: c for c in first.clock_snapshot.clocks}
        if 64 not in clocks or not clocks[64].is_incremental:
            raise ModelError("defaults use clock 64 but the snapshot does not define it incremental")
        now = clocks[64].timestamp
    # TrackEventDefaults.track_uuid: the track of an event that names none.
    tdefs = first.trace_packet_defaults.track_event_defaults
    default_track = tdefs.track_uuid if (first.trace_packet_defaults.HasField("track_event_defaults")
                                         and tdefs.HasField("track_uuid")) else None
    interned = {"name": {}, "cat": {}, "aname": {}, "astr": {}}
    stacks = {}
    started_flows = set()
    last_ts = -1
    for i, p in enumerate(tr.packet):
        where = "packet %d" % i
        if p.trusted_packet_sequence_id == 0:
            raise ModelError(where + ": no trusted_packet_sequence_id")
        if i and p.sequence_flags & 1:
            raise ModelError(where + ": incremental state cleared again mid-sequence")
        if i == 0:
            ts = p.timestamp
        elif delta:
            now += p.timestamp
            ts = now
        else:
            ts = p.timestamp
        if ts < 0 or ts < last_ts:
            raise ModelError("%s: timestamp %d goes back (previous %d)" % (where, ts, last_ts))
        last_ts = ts
        if p.HasField("interned_data"):
            if not p.sequence_flags & 2:
                raise ModelError(where + ": interned data without SEQ_NEEDS_INCREMENTAL_STATE")
            d = p.interned_data
            for table, items, attr in (("name", d.event_names, "name"),
                                       ("cat", d.event_categories, "name"),
                                       ("aname", d.debug_annotation_names, "name"),
                                       ("astr", d.debug_annotation_string_values, "str")):
                for it in items:
                    if it.iid == 0:
                        raise ModelError(where + ": interned iid 0")
                    v = getattr(it, attr)
                    interned[table][it.iid] = v.decode() if isinstance(v, bytes) else v
        kind = p.WhichOneof("data")
        if kind == "track_descriptor":
            d = p.track_descriptor
            if d.uuid == 0 or d.uuid in m.tracks:
                raise ModelError(where + ": track uuid %d is 0 or declared twice" % d.uuid)
            if d.parent_uuid and d.parent_uuid not in m.tracks:
                raise ModelError(where + ": parent %d of track %r not declared yet"
                                 % (d.parent_uuid, d.name))
            for u, o in m.tracks.items():
                if (o.parent_uuid == d.parent_uuid and o.name == d.name and
                        (o.sibling_merge_behavior != 2 or d.sibling_merge_behavior != 2)):
                    raise ModelError(where + ": sibling tracks both named %r would merge" % d.name)
            m.tracks[d.uuid] = d
            m.names[d.uuid] = d.name
        elif kind == "track_event":
            e = p.track_event
            if not p.sequence_flags & 2:
                raise ModelError(where + ": track event relies on defaults/interning without flag 2")
            uuid = e.track_uuid if e.HasField("track_uuid") else default_track
            if uuid is None:
                raise ModelError(where + ": track event without a track_uuid and no default")
            if uuid not in m.tracks:
                raise ModelError(where + ": track %d used before it is declared" % uuid)
            tname = m.names[uuid]
            is_counter = m.tracks[uuid].HasField("counter")
            name = None
            if e.HasField("name_iid"):
                if e.name_iid not in interned["name"]:
                    raise ModelError(where + ": event name iid %d not interned" % e.name_iid)
                name = interned["name"][e.name_iid]
            cats = []
            for c in e.category_iids:
                if c not in interned["cat"]:
                    raise ModelError(where + ": category iid %d not interned" % c)
                cats.append(interned["cat"][c])
            args = {}
            for a in e.debug_annotations:
                if a.name_iid not in interned["aname"]:
                    raise ModelError(where + ": annotation name iid %d not interned" % a.name_iid)
                which = a.WhichOneof("value")
                v = getattr(a, which)
                if which == "string_value_iid":
                    if v not in interned["astr"]:
                        raise ModelError(where + ": annotation string iid %d not interned" % v)
                    v = interned["astr"][v]
                args[interned["aname"][a.name_iid]] = v
            for u in e.extra_counter_track_uuids:
                if u not in m.tracks or not m.tracks[u].HasField("counter"):
                    raise ModelError(where + ": extra counter on a track that is not a counter")
            for u, v in zip(e.extra_counter_track_uuids, e.extra_counter_values):
                m.counters.setdefault(m.names[u], []).append((ts, v))
            tname_type = TE.Type.Name(e.type)
            if e.type == TE.TYPE_COUNTER:
                if not is_counter:
                    raise ModelError(where + ": counter event on non-counter track %r" % tname)
                m.counters.setdefault(tname, []).append((ts, e.counter_value))
            elif is_counter:
                raise ModelError(where + ": %s on counter track %r" % (tname_type, tname))
            for fl in e.terminating_flow_ids:
                if fl not in started_flows:
                    raise ModelError(where + ": flow %d terminates but never started" % fl)
                if fl in e.flow_ids:
                    raise ModelError(where + ": flow %d both started and terminated" % fl)
            started_flows.update(e.flow_ids)
            st = stacks.setdefault(tname, [])
            if e.type == TE.TYPE_SLICE_BEGIN:
                if name is None:
                    raise ModelError(where + ": slice begin without a name")
                st.append((name, ts, args))
            elif e.type == TE.TYPE_SLICE_END:
                if not st:
                    raise ModelError(where + ": slice end on %r with no open slice" % tname)
                bname, bts, bargs = st.pop()
                m.slices.append((tname, bname, bts, ts, bargs, args))
                args = dict(bargs, **args)   # the importer merges BEGIN and END args
            m.events.append(Ev(ts, tname, tname_type, name, cats, args, list(e.flow_ids),
                               list(e.terminating_flow_ids),
                               e.counter_value if e.type == TE.TYPE_COUNTER else None))
        elif kind == "clock_snapshot":
            if i:
                raise ModelError(where + ": unexpected clock snapshot")
        else:
            raise ModelError(where + ": packet without payload")
    for tname, st in stacks.items():
        if st:
            raise ModelError("track %r ends with %d open slice(s): %r" % (tname, len(st), st))
    return m
