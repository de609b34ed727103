"""trace2perfetto on synthetic raw traces (tools/synth_trace.py): the output
decoded back with python-protobuf from our own .proto and checked against
the importer's rules (tests/perfetto_model.py), event by event and field by
field; damaged inputs at many offsets; the build-time check of the mapping.
"""
import json
import os
import random
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
T2P = os.path.join(BIN, "trace2perfetto")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import perfetto_model as pm  # noqa: E402
import rawtrace  # noqa: E402
import synth_trace  # noqa: E402


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=120, cwd=kw.pop("cwd", ROOT), **kw)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    assert os.path.exists(T2P), "run `make tracetools` first"
    return tmp_path_factory.mktemp("perfetto")


def convert(work, scenario, *opts):
    raw = work / (scenario + ".raw")
    if not raw.exists():
        synth_trace.scenario(scenario).write(str(raw))
    out = work / (scenario + "".join(o.strip("-") for o in opts) + ".perfetto-trace")
    r = run(T2P, *opts, raw, out)
    assert r.returncode == 0, r.stderr
    return raw, out, r


def model(work, path):
    return pm.load(str(path), work)


def arg_value(field_type, enum, value, trace):
    """What the converter must show for a raw field value."""
    if field_type == "enum":
        return trace.enum_name(enum, value)
    if field_type == "ksym":
        return "0x%x" % value          # no ELF: call sites stay hexadecimal
    return value


def test_every_event_kind_round_trip(work):
    raw, out, _ = convert(work, "all_events")
    t = rawtrace.read(str(raw))
    m = model(work, out)
    sch = rawtrace.schema()
    assert {e.name for e in t.events} >= {e["name"] for e in sch["events"]}, \
        "the synthetic trace must hold every event of the table"
    by_ts = {}
    for e in m.events:
        by_ts.setdefault(e.ts, []).append(e)
    for e in t.events:
        ts = t.ns(e.ts)
        cands = by_ts.get(ts, [])
        assert cands, "%r: no output event at %d ns" % (e, ts)
        ev = sch["by_name"][e.name]
        want = {f["name"]: arg_value(f["type"], f["enum"], e.fields[f["name"]], t)
                for f in ev["fields"]}
        if not want:
            continue
        assert any(all(c.args.get(k) == v for k, v in want.items()) for c in cands), \
            "%r: no output event carries its fields %r; at that time: %r" % (e, want, cands)


def test_tracks_cpu_by_cpu_with_distinct_names(work):
    _, out, _ = convert(work, "fixed")
    m = model(work, out)
    roots = [d for d in m.tracks.values() if not d.parent_uuid and not d.HasField("process")]
    assert [d.name for d in roots] == ["CPU 0", "CPU 1"]
    assert [d.sibling_order_rank for d in roots] == [0, 1]
    for cpu in roots:
        kids = sorted((d for d in m.tracks.values() if d.parent_uuid == cpu.uuid),
                      key=lambda d: d.sibling_order_rank)
        assert [d.name for d in kids] == ["%s %s" % (cpu.name, k) for k in
                                          ("activity", "cur_proc", "owning_proc", "VMCS")]
    procs = [d for d in m.tracks.values() if d.HasField("process")]
    assert sorted(d.process.pid for d in procs) == [1, 2]
    names = {1: "sh", 2: "vmm"}                 # proc_create's name
    for p in procs:
        assert p.process.process_name == names[p.process.pid]
        assert p.name == "%s [%d]" % (names[p.process.pid], p.process.pid)
        kids = {d.name: d for d in m.tracks.values() if d.parent_uuid == p.uuid}
        assert kids["%s refcount" % p.name].HasField("counter")
        assert {"%s %s" % (p.name, k) for k in ("refcount", "refs", "state")} == set(kids)


def test_refcount_counter_follows_kref_events(work):
    raw, out, _ = convert(work, "fixed")
    t = rawtrace.read(str(raw))
    m = model(work, out)
    for pid, track in ((1, "sh [1]"), (2, "vmm [2]")):
        want = [(t.ns(e.ts), e["new"]) for e in t.events
                if e.name in ("kref_get", "kref_put") and e["pid"] == pid]
        assert m.counters["%s refcount" % track] == want
        refs = [e for e in m.on("%s refs" % track) if e.type == "TYPE_INSTANT"
                and e.name.split()[0] in ("get", "put")]
        assert len(refs) == len(want)
        assert all({"old", "new", "reason", "site"} <= set(r.args) for r in refs)
    assert m.counters["vmm [2] refcount"][-1][1] == 0


def test_lanes_show_cur_proc_owning_proc_and_vmcs(work):
    _, out, _ = convert(work, "abandon_core")
    m = model(work, out)
    cur0 = [s[1] for s in m.slices_on("CPU 0 cur_proc")]
    assert cur0 == ["vmm [2]", "sh [1]"]      # restart_kthread switched V -> P
    own0 = [s[1] for s in m.slices_on("CPU 0 owning_proc")]
    assert own0 == ["vmm [2]"]
    vmcs = [s[1] for s in m.slices_on("CPU 0 VMCS")]
    assert vmcs[0] == "vmm [2] VMCS loaded"
    assert "vmm [2] VMCS lingering" in vmcs
    assert vmcs[-1] == "vmm [2] VMCS FREED, still cached"
    guests = [s for s in m.slices_on("CPU 0 activity") if s[1] == "guest of vmm [2]"]
    assert len(guests) == 7 and all("reason" in s[5] for s in guests)


def test_syscall_slices_are_named_by_the_table(work):
    """syscall_enter's num is an enum of the table (TRACE_ENUM(syscall), checked
    against kernel/syscall.def when the kernel builds): slices say which call."""
    raw, out, _ = convert(work, "fixed")
    t = rawtrace.read(str(raw))
    m = model(work, out)
    names = {s[1] for s in m.slices if s[1] and s[1].startswith("syscall")}
    syscalls = rawtrace.schema()["enums"]["syscall"]
    want = {"syscall " + t.enum_name("syscall", e["num"]) for e in t.events
            if e.name == "syscall_enter"}
    assert want and all(w[len("syscall "):] in syscalls for w in want)
    assert want <= names and {"syscall waitpid", "syscall vmm_map"} <= want
    assert "syscall waitpid (resumed)" in names
    # a number the table does not name stays a number
    w = rawtrace.Writer(ncpus=1)
    w.add(0, 1000, "syscall_enter", pid=1, num=63, a0=0, a1=0, a2=0)
    w.add(0, 2000, "syscall_exit", pid=1, num=63, ret=0)
    w.write(str(work / "sys63.raw"))
    r = run(T2P, work / "sys63.raw", work / "sys63.perfetto-trace")
    assert r.returncode == 0, r.stderr
    assert [s[1] for s in model(work, work / "sys63.perfetto-trace").slices] == ["syscall 63"]


def test_crash_closes_open_slices_and_marks_them(work):
    raw, out, r = convert(work, "abandon_core")
    assert "crashed" in r.stderr
    t = rawtrace.read(str(raw))
    m = model(work, out)                        # balanced, or load() raises
    end = t.ns(t.events[-1].ts)
    closed = [s for s in m.slices if s[3] == end and "closed_by" in s[5]]
    assert closed, "something is open when the kernel dies"
    assert all(s[5]["closed_by"].startswith("crash: TRAP UD") for s in closed)
    assert ("CPU 0 cur_proc", "sh [1]") in [(s[0], s[1]) for s in closed]
    traps = [e for e in m.on("CPU 0 activity") if e.name and e.name.startswith("TRAP UD")]
    assert len(traps) == 1
    names = [e.name for e in m.on("CPU 0 activity") if e.type == "TYPE_INSTANT"]
    assert any(n.startswith("VMCLEAR OF A FREED GPC") for n in names)
    assert any(n.startswith("INVEPT eptp=0x0 FAILED") for n in names)


def test_clean_trace_closes_at_end_of_trace(work):
    _, out, r = convert(work, "fixed")
    assert "crashed" not in r.stderr
    m = model(work, out)
    assert all(s[5].get("closed_by", "end of trace") in
               ("end of trace", "kthread blocked", "restart_kthread (never returned)")
               for s in m.slices)


def test_flows_kmsg_and_kthread(work):
    raw, out, _ = convert(work, "fixed")
    t = rawtrace.read(str(raw))
    m = model(work, out)
    sends = [e for e in m.events if e.name and e.name.startswith("kmsg send")]
    begins = [e for e in m.events if e.type == "TYPE_SLICE_BEGIN" and e.name.startswith("kmsg ")]
    assert len(sends) == sum(1 for e in t.events if e.name == "kmsg_send")
    assert all(len(s.flows) == 1 for s in sends)
    # every dispatched message ends the flow its send started
    assert sorted(f for b in begins for f in b.term) == sorted(f for s in sends for f in s.flows)
    block = [e for e in m.events if e.name and e.name.startswith("kthread 1 blocks")]
    wake = [e for e in m.events if e.name and e.name.startswith("wake kthread 1")]
    restart = [e for e in m.events if e.name and e.name.startswith("restart kthread 1")]
    assert len(block) == len(wake) == len(restart) == 1
    assert block[0].flows == wake[0].flows == restart[0].term != []


def test_lost_records_are_instants_where_they_happened(work):
    raw, out, _ = convert(work, "all_events")
    t = rawtrace.read(str(raw))
    m = model(work, out)
    lost = [e for e in t.events if e.name == "trace_lost" and e.synthetic]
    assert lost and lost[0]["count"] == 5
    shown = [e for e in m.on("CPU %d activity" % lost[0].cpu)
             if e.name and e.name.startswith("LOST 5 records")]
    assert [e.ts for e in shown] == [t.ns(lost[0].ts)]


def test_absolute_and_delta_timestamps_agree(work):
    _, out_d, _ = convert(work, "abandon_core")
    _, out_a, _ = convert(work, "abandon_core", "--absolute-ts")
    a, d = model(work, out_a), model(work, out_d)
    assert [(e.ts, e.track, e.name) for e in a.events] == [(e.ts, e.track, e.name) for e in d.events]
    assert os.path.getsize(out_d) < os.path.getsize(out_a)


def test_symbolised_call_sites(work):
    """Call sites as function+offset (file:line), from a real ELF via libdwfl."""
    src = work / "ksites.c"
    names = list(synth_trace.fake_sites())
    src.write_text("".join(
        "void %s(void);\n__attribute__((noinline)) void %s(void) { __asm__ volatile(\"nop; nop; nop; nop; nop; nop; nop; nop\"); }\n"
        % (n, n) for n in names) + "int main(void) { return 0; }\n")
    elf = work / "ksites"
    r = run("gcc", "-g", "-O0", "-no-pie", "-o", elf, src)
    assert r.returncode == 0, r.stderr
    nm = work / "ksites.nm"
    nm.write_text(run("nm", elf).stdout)
    w = synth_trace.scenario("fixed", sites=synth_trace.sites_from_nm(str(nm)))
    raw = work / "sym.raw"
    w.write(str(raw))
    out = work / "sym.perfetto-trace"
    r = run(T2P, "--elf", elf, raw, out)
    assert r.returncode == 0, r.stderr
    m = model(work, out)
    sites = {e.args["site"] for e in m.events if "site" in e.args}
    assert any(s.startswith("sys_proc_destroy+0x4 (") and "ksites.c:" in s for s in sites), sites
    assert not [s for s in sites if s.startswith("0x")]


def test_missing_elf_is_an_error(work):
    raw, _, _ = convert(work, "fixed")
    r = run(T2P, "--elf", work / "no-such.elf", raw, work / "x.perfetto-trace")
    assert r.returncode == 2 and "no-such.elf" in r.stderr


def test_damaged_inputs_convert_up_to_the_damage(work):
    raw, _, _ = convert(work, "abandon_core")
    data = raw.read_bytes()
    rng = random.Random(6)
    offsets = sorted(set([0, 1, 8, 15, 16, 17, 39, 40, 1400, len(data) - 1, len(data) - 24] +
                         [rng.randrange(len(data)) for _ in range(40)]))
    out = work / "damaged.perfetto-trace"
    for off in offsets:
        for kind, blob in (("truncated", data[:off]),
                           ("flipped", data[:off] + bytes([data[off] ^ 0x41]) + data[off + 1:])):
            bad = work / "damaged.raw"
            bad.write_bytes(blob)
            r = run(T2P, bad, out)
            assert r.returncode in (0, 2), "%s at %d: crashed (%d)" % (kind, off, r.returncode)
            assert r.stderr.strip(), "%s at %d: no message" % (kind, off)
            if r.returncode == 0:
                assert "warning" in r.stderr and "offset" in r.stderr
                model(work, out)                # still a valid, balanced trace
            else:
                assert "trace2perfetto:" in r.stderr


def test_unknown_version_is_a_clear_error(work):
    raw, _, _ = convert(work, "fixed")
    data = bytearray(raw.read_bytes())
    data[8] = 99
    bad = work / "v99.raw"
    bad.write_bytes(bytes(data))
    r = run(T2P, bad, work / "v99.perfetto-trace")
    assert r.returncode == 2 and "version 99" in r.stderr


def test_not_a_trace(work):
    bad = work / "junk.raw"
    bad.write_bytes(b"this is not a trace at all" * 10)
    r = run(T2P, bad, work / "junk.perfetto-trace")
    assert r.returncode == 2 and "not a tkern raw trace" in r.stderr


def test_chrome_json_has_the_same_slices(work):
    raw = work / "fixed.raw"
    synth_trace.scenario("fixed").write(str(raw))
    js = work / "fixed.json"
    r = run(T2P, "--chrome-json", js, raw, work / "fixed2.perfetto-trace")
    assert r.returncode == 0, r.stderr
    ev = json.loads(js.read_text())["traceEvents"]
    m = model(work, work / "fixed2.perfetto-trace")
    assert sum(e["ph"] == "B" for e in ev) == len(m.slices)
    assert sum(e["ph"] == "E" for e in ev) == len(m.slices)


def test_event_map_must_cover_every_category(work):
    """A category without a default role in event_map.def fails the build."""
    d = work / "mapcheck" / "tools" / "perfetto"
    d.mkdir(parents=True)
    lines = open(os.path.join(ROOT, "tools/perfetto/event_map.def")).read().splitlines(True)
    (d / "event_map.def").write_text("".join(l for l in lines if "MAP_CATEGORY(vmx," not in l))
    r = run("gcc", "-std=gnu11", "-I%s" % (work / "mapcheck"), "-I.", "-c",
            "tools/perfetto/event_map.c", "-o", work / "mapcheck" / "m.o")
    assert r.returncode != 0 and "MAP_CAT_DEFINED_vmx" in r.stderr
    (d / "event_map.def").write_text("".join(lines) + "MAP_EVENT(no_such_event, INSTANT)\n")
    r = run("gcc", "-std=gnu11", "-I%s" % (work / "mapcheck"), "-I.", "-c",
            "tools/perfetto/event_map.c", "-o", work / "mapcheck" / "m.o")
    assert r.returncode != 0 and "TRACE_EV_no_such_event" in r.stderr


def _fields(buf):
    """(field number, wire type, value bytes or int) of one protobuf message."""
    i, out = 0, []

    def varint():
        nonlocal i
        v = sh = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << sh
            sh += 7
            if b < 0x80:
                return v
    while i < len(buf):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            out.append((num, wt, varint()))
        elif wt == 1:
            out.append((num, wt, buf[i:i + 8]))
            i += 8
        elif wt == 2:
            n = varint()
            out.append((num, wt, buf[i:i + n]))
            i += n
        elif wt == 5:
            out.append((num, wt, buf[i:i + 4]))
            i += 4
        else:
            raise AssertionError("wire type %d" % wt)
    return out


def test_wire_format_the_importer_needs(work):
    """Flow ids fixed64 (wire type 1), repeated scalars unpacked: Perfetto's
    importer silently ignores packed flow_ids and extra_counter_values."""
    _, out, _ = convert(work, "fixed")
    seen = set()
    for num, wt, pkt in _fields(out.read_bytes()):
        assert (num, wt) == (1, 2), "Trace holds only field 1 (packet)"
        fields = _fields(pkt)
        assert any(n == 10 and v for n, _, v in fields), "trusted_packet_sequence_id"
        for n, _, te in fields:
            if n != 11:
                continue
            for fn, fwt, _ in _fields(te):
                if fn in (47, 48):
                    assert fwt == 1, "flow ids must be fixed64, one tag each"
                if fn in (3, 12, 31):
                    assert fwt == 0, "repeated scalar field %d must not be packed" % fn
                seen.add(fn)
    assert {47, 48, 12, 31, 3} <= seen


def test_protoc_decodes_the_output(work):
    _, out, _ = convert(work, "abandon_core")
    with open(out, "rb") as f:
        r = subprocess.run(["protoc", "--decode=perfetto.protos.Trace",
                            "-I%s" % pm.PROTO_DIR, pm.PROTO], stdin=f, capture_output=True,
                           text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("track_descriptor {") == 2 * 5 + 2 * 4
    assert "SIBLING_MERGE_BEHAVIOR_NONE" in r.stdout and "is_incremental: true" in r.stdout
    # the busiest track is the sequence's default: its events carry no track_uuid
    assert r.stdout.count("track_event_defaults {") == 1
    events, with_uuid = r.stdout.count("track_event {"), r.stdout.count("track_uuid:") - 1
    assert 0 < with_uuid < events


@pytest.mark.parametrize("mode", ["delta", "absolute"])
def test_writer_sorts_and_interns_at_first_use(work, mode):
    """tests/pf_writer_test.c queues events backwards; the file must come out
    in time order, each string interned in the first packet that uses it."""
    out = work / ("writer-%s.perfetto-trace" % mode)
    r = run(os.path.join(BIN, "pf_writer_test"), out, *(["--absolute-ts"] if mode == "absolute" else []))
    assert r.returncode == 0, r.stdout + r.stderr
    m = model(work, out)                       # raises on any rule broken
    assert [(e.ts, e.type, e.name) for e in m.events] == [
        (1000, "TYPE_SLICE_BEGIN", "outer"), (2000, "TYPE_SLICE_BEGIN", "inner"),
        (2500, "TYPE_COUNTER", None), (3000, "TYPE_SLICE_END", None),
        (4000, "TYPE_SLICE_END", None), (5000, "TYPE_INSTANT", "interned first, used last")]
    assert m.slices_on("lane")[0][1:4] == ("inner", 2000, 3000)
    assert m.slices_on("lane")[0][4] == {"n": 42, "s": "hello"}
    assert m.counters["count"] == [(1000, 1), (2500, 3)]
    assert m.events[0].flows == [77] and m.events[-1].term == [77]


def test_every_event_has_a_role():
    """--roles lists the table's events in order, each with a role from
    event_map.def (its own line or its category's default)."""
    r = run(T2P, "--roles")
    assert r.returncode == 0, r.stderr
    rows = [l.split() for l in r.stdout.splitlines()]
    sch = rawtrace.schema()
    assert [(n, c) for n, c, _ in rows] == [(e["name"], e["category"]) for e in sch["events"]]
    assert all(role != "UNSET" for _, _, role in rows)
    roles = {n: role for n, _, role in rows}
    assert roles["vmcs_lazy_unload"] == "VMCS_LINGER" and roles["kref_put"] == "KREF"


def test_flows_ipi_and_signal(work):
    """ctrl-c as arrows: the signal sent on CPU 1 to its delivery on CPU 0,
    and the IPI from the sender to the core that takes it."""
    _, out, _ = convert(work, "fixed")
    m = model(work, out)
    sig_send = [e for e in m.on("CPU 1 activity") if e.name == "signal SIGINT -> vmm [2]"]
    sig_take = [e for e in m.on("CPU 0 activity") if e.name == "vmm [2] takes SIGINT"]
    assert len(sig_send) == len(sig_take) == 1
    assert sig_send[0].flows and sig_send[0].flows == sig_take[0].term
    ipi_send = [e for e in m.on("CPU 1 activity") if e.name == "IPI kmsg -> CPU 0"]
    ipi_recv = [e for e in m.on("CPU 0 activity") if e.name == "IPI kmsg received"]
    assert ipi_send and ipi_recv
    assert ipi_recv[0].term == ipi_send[0].flows


def test_process_names_follow_create_exec_and_pid_reuse(work):
    """Lanes name a process as it was at that moment (exec renames it from
    there on); its tracks and ProcessDescriptor carry its last name; a
    process the trace never named stays "pid N"; a reused pid is "(2)"."""
    w = rawtrace.Writer(ncpus=1)
    E = rawtrace.schema()["enums"]
    tsc = [1000]

    def ev(event, /, **f):
        tsc[0] += 1000
        w.add(0, tsc[0], event, **f)
    ev("proc_create", pid=5, parent=0, proc=0x1000, name="init")
    ev("cur_proc", old=0, new=5)
    ev("proc_exec", pid=5, name="sh")
    ev("cur_proc", old=5, new=9)               # 9: created before the trace began
    ev("kref_get", pid=9, proc=0x2000, old=1, new=2, site=0, reason=E["ref_reason"]["LOOKUP"])
    ev("cur_proc", old=9, new=5)
    ev("proc_free", pid=5, proc=0x1000)
    ev("proc_create", pid=5, parent=0, proc=0x1000, name="hello")
    ev("cur_proc", old=5, new=5)
    raw, out = work / "names.raw", work / "names.perfetto-trace"
    w.write(str(raw))
    r = run(T2P, raw, out)
    assert r.returncode == 0, r.stderr
    m = model(work, out)
    assert [s[1] for s in m.slices_on("CPU 0 cur_proc")] == \
        ["init [5]", "sh [5]", "pid 9", "sh [5]", "hello [5]"]
    procs = sorted(((d.name, d.process.process_name, d.process.pid)
                    for d in m.tracks.values() if d.HasField("process")))
    assert procs == [("hello [5] (2)", "hello", 5), ("pid 9", "", 9), ("sh [5]", "sh", 5)]
    assert "sh [5] refcount" in {d.name for d in m.tracks.values()}
    assert [e.args.get("name") for e in m.on("sh [5] state")
            if e.name in ("proc_create", "proc_exec")] == ["init", "sh"]


@pytest.mark.parametrize("opts", [(), ("--lean",), ("--absolute-ts",)])
@pytest.mark.parametrize("scenario", ["all_events", "abandon_core"])
def test_fast_encoder_writes_protobuf_c_bytes(work, scenario, opts):
    """Event packets without interned data are written by pf_encode.c, not
    protobuf-c: --verify-encoder packs each one both ways and fails (exit 3)
    on the first byte that differs; the file is the same either way."""
    raw, out, _ = convert(work, scenario, *opts)
    checked = work / ("verified-%s%s.perfetto-trace" % (scenario, "".join(opts)))
    r = run(T2P, "--verify-encoder", *opts, raw, checked)
    assert r.returncode == 0, r.stderr
    assert checked.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_event_soup_stays_well_formed(work, seed):
    """Events in any order with any values (ends without begins, frees of
    unknown procs, VMCLEARs of unknown GPCs, huge enums): the output is still
    balanced and declared-before-use, and tracecheck does not crash."""
    rng = random.Random(seed)
    sch = rawtrace.schema()
    w = rawtrace.Writer(ncpus=4, panic=bool(seed % 2), chunk_records=64)
    tsc = 1000
    small = [0, 1, 2, 3, 0xffffffff80a00400, 0xffff800001230000, 2 ** 64 - 1]
    for _ in range(3000):
        ev = rng.choice(sch["events"])
        tsc += rng.randrange(0, 5000)
        vals = {f["name"]: rng.choice(small) if rng.random() < 0.7 else rng.randrange(2 ** 64)
                for f in ev["fields"]}
        w.add(rng.randrange(4), tsc, ev["name"], **vals)
        if rng.random() < 0.01:
            w.skip(rng.randrange(4), rng.randrange(1, 50))
    raw = work / ("soup%d.raw" % seed)
    w.write(str(raw))
    out = work / ("soup%d.perfetto-trace" % seed)
    r = run(T2P, "--verify-encoder", raw, out)     # any values: negative counters, big iids
    assert r.returncode == 0, r.stderr
    model(work, out)
    r = run(os.path.join(BIN, "tracecheck"), raw)
    assert r.returncode in (0, 1), r.stderr
