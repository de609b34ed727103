/*
 * format.h: the trace's binary formats, shared by the kernel and the host
 * tools. Two of them:
 *
 *  1. The trace area in guest memory (struct trace_area_header followed by
 *     one ring of fixed-size records per CPU). It is self-describing so that
 *     one extractor can find it in any dump of guest RAM: QEMU's
 *     memory-backend file, Bochs's `writemem` of the `trace_area` symbol,
 *     GDB's `dump memory`, also after a hang or a triple fault.
 *
 *  2. The raw trace file (trace.raw) the extractor writes: a file header,
 *     then framed chunks (type, cpu, sequence, length, CRC32), so that a
 *     truncated or corrupt file is detected where it is damaged and every
 *     chunk before the damage still decodes.
 *
 * All integers are little-endian (x86-64 on both sides). Change anything
 * here and bump TRACE_VERSION / TRACE_RAW_VERSION.
 */
#ifndef TRACE_FORMAT_H
#define TRACE_FORMAT_H

#include <stdint.h>

#define TRACE_VERSION 1

/* "TKTRACE1" read as a little-endian u64. */
#define TRACE_MAGIC 0x3145434152544b54ull

#define TRACE_MAX_CPUS 8
#define TRACE_MAX_FIELDS 6

/*
 * Records per CPU ring (a power of two). A record is one 64-byte slot, so
 * 4096 records are 256 KiB per CPU and the whole area is 2 MiB + 4 KiB.
 * Host unit tests build the ring code with a small value (-D).
 */
#ifndef TRACE_RING_RECORDS
#define TRACE_RING_RECORDS 4096
#endif

/*
 * One record: one 64-byte slot. Fixed-size slots make the reservation a
 * single local xadd on the CPU's sequence counter (safe against nested
 * interrupts and NMIs without disabling them), and let a reader of an
 * overwritten ring start at any slot: no record straddles another. The
 * cost is padding for events with few fields; the raw file stores records
 * compactly (header + nfields words).
 *
 * The writer stores the fields and the timestamp first and `info` last:
 * a slot whose seq_lo does not match the sequence number expected at that
 * position was reserved but never committed (a writer stopped mid-record,
 * e.g. a CPU halted by the panic IPI) or still holds an older record.
 */
struct trace_record {
	uint64_t tsc;                     /* timestamp: the CPU's TSC */
	union {
		uint64_t info;            /* the commit word, stored last */
		struct {
			uint16_t id;      /* event id: position in trace/events.def */
			uint8_t nfields;  /* field words that follow (<= TRACE_MAX_FIELDS; a
					     NAME16 field is two words, trace/events.h) */
			uint8_t flags;    /* reserved, 0 */
			uint32_t seq_lo;  /* low 32 bits of the per-CPU sequence number */
		};
	};
	uint64_t field[TRACE_MAX_FIELDS];
};

#define TRACE_RECORD_BYTES 64
#define TRACE_RECORD_HEADER_BYTES 16

static inline uint64_t trace_record_info(uint64_t seq, uint16_t id, uint8_t nfields)
{
	/* seq in the high half: one shift and one OR of a constant on the hot path */
	return (seq << 32) | ((uint32_t)nfields << 16) | id;
}

/* Ring modes (trace=overwrite|stop on the kernel command line). */
enum trace_mode {
	TRACE_MODE_OVERWRITE = 0, /* flight recorder: the newest records survive */
	TRACE_MODE_STOP = 1,      /* stop when full: the oldest records survive */
};

/* trace_ring_desc.flags */
#define TRACE_RING_ONLINE 0x1  /* the CPU started tracing into this ring */
#define TRACE_RING_FLUSHED 0x2 /* counts below are final (trace_flush ran) */

/*
 * Per-CPU ring descriptor. `next_seq` is the only field the hot path
 * writes, and only its own CPU writes it (local xadd, no lock prefix).
 * The reader derives everything it needs from next_seq, limit and the
 * slots; the three counts are a convenience, final once FLUSHED is set.
 *
 * Sequence numbers: record k of this CPU (k = 0, 1, ...) has seq k and
 * lives in slot k % ring_records. The ring holds seq
 * [max(0, next_seq - ring_records), min(next_seq, limit)).
 *
 * Stop mode: limit = ring_records - 1. The writer that reserves seq ==
 * limit writes a trace_lost(ring_full) record in the last slot; every
 * later reservation is dropped (next_seq still counts them, so dropped =
 * next_seq - limit). Overwrite mode: limit = UINT64_MAX.
 */
struct trace_ring_desc {
	uint64_t next_seq;      /* sequence number of the next record */
	uint64_t limit;         /* reservations at or above this are dropped */
	uint64_t data_off;      /* offset of this CPU's slots from the area start */
	uint32_t ring_records;  /* slots in this ring (a power of two) */
	uint32_t cpu;
	uint64_t written;       /* records that were stored (incl. overwritten) */
	uint64_t overwritten;   /* records lost to wrap-around */
	uint64_t dropped;       /* records refused because the ring was full */
	uint32_t flags;         /* TRACE_RING_* */
	uint32_t reserved;
};

/* trace_area_header.flags */
#define TRACE_AREA_INIT 0x1    /* trace_init ran: header fields are valid */
#define TRACE_AREA_FLUSHED 0x2 /* trace_flush ran: every online ring is final */
#define TRACE_AREA_PANIC 0x4   /* the kernel panicked (the flush was the panic path's) */

#define TRACE_CMDLINE_BYTES 512
#define TRACE_BACKEND_BYTES 16
#define TRACE_BUILD_ID_BYTES 48
#define TRACE_BUGS_BYTES 128

/*
 * The trace area header: the first 4 KiB of the `trace_area` object. The
 * extractor finds it by scanning a RAM image at 4 KiB steps for magic and
 * checking version, sizes and the header CRC. backend, build_id and bugs
 * may be filled in after trace_init (by VMX, the build, the bug flags), so
 * they are outside the CRC; strings are NUL-terminated.
 */
struct trace_area_header {
	/* Fixed by trace_init, covered by header_crc. */
	uint64_t magic;          /* TRACE_MAGIC, stored last by trace_init */
	uint32_t version;        /* TRACE_VERSION */
	uint32_t header_bytes;   /* sizeof(struct trace_area_header) */
	uint64_t area_bytes;     /* the whole trace area, header included */
	uint64_t area_vaddr;     /* kernel virtual address of the area */
	uint32_t max_cpus;       /* ring descriptors present (TRACE_MAX_CPUS) */
	uint32_t record_bytes;   /* TRACE_RECORD_BYTES */
	uint32_t mode;           /* enum trace_mode */
	uint32_t nevents;        /* events in the kernel's table */
	uint64_t tsc_hz;         /* calibrated TSC frequency */
	uint64_t schema_hash;    /* trace_schema_hash() of the kernel's table */
	uint32_t header_crc;     /* CRC32 of the fields above but the magic */
	/* Updated while the kernel runs. */
	uint32_t ncpus;          /* CPUs online at the flush (0: never flushed) */
	uint32_t flags;          /* TRACE_AREA_* */
	uint32_t reserved;
	char backend[TRACE_BACKEND_BYTES];   /* VMX backend that ran: "", "hardware", "emulated" */
	char build_id[TRACE_BUILD_ID_BYTES]; /* the kernel's build id (hex) */
	char bugs[TRACE_BUGS_BYTES];         /* bug-injection flags that were on */
	char cmdline[TRACE_CMDLINE_BYTES];   /* the kernel command line */
	struct trace_ring_desc ring[TRACE_MAX_CPUS];
};

#define TRACE_AREA_HEADER_BYTES 4096

/* header_crc covers version..schema_hash: everything between the magic
 * (stored after the CRC) and the CRC itself. */
#define TRACE_HEADER_CRC_START 8
#define TRACE_HEADER_CRC_BYTES 56

/*
 * The raw trace file (trace.raw).
 *
 *   struct trace_raw_file_header
 *   chunk*   each: struct trace_chunk_header, then `length` payload bytes
 *
 * Chunks, in this order from the extractor:
 *   AREA     payload: the trace_area_header as found in guest memory
 *            (cpu = 0, seq = 0). Exactly one, first.
 *   RECORDS  payload: consecutive records of one CPU in compact form
 *            (16-byte record header, then nfields 8-byte fields), seq =
 *            the first record's sequence number; the records' own seq_lo
 *            continue from it. A gap in sequence numbers between chunks of
 *            a CPU is a loss (the reader reports it there).
 *   END      payload: none; seq = number of chunks before it. Its absence
 *            means the file was truncated.
 *
 * crc = CRC32 (IEEE, as zlib) over the chunk header with crc = 0, then the
 * payload. A RECORDS chunk holds at most TRACE_CHUNK_MAX_RECORDS records,
 * so damage costs at most that many records.
 */
#define TRACE_RAW_MAGIC 0x574152544b54ull /* "TKTRAW\0\0" */
#define TRACE_RAW_VERSION 1
#define TRACE_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define TRACE_CHUNK_MAX_RECORDS 256

struct trace_raw_file_header {
	uint64_t magic;         /* TRACE_RAW_MAGIC */
	uint32_t version;       /* TRACE_RAW_VERSION */
	uint32_t header_bytes;  /* sizeof(struct trace_raw_file_header) */
};

enum trace_chunk_type {
	TRACE_CHUNK_AREA = 1,
	TRACE_CHUNK_RECORDS = 2,
	TRACE_CHUNK_END = 3,
};

struct trace_chunk_header {
	uint32_t magic;   /* TRACE_CHUNK_MAGIC */
	uint16_t type;    /* enum trace_chunk_type */
	uint16_t cpu;
	uint64_t seq;
	uint32_t length;  /* payload bytes */
	uint32_t crc;
};

_Static_assert(sizeof(struct trace_record) == TRACE_RECORD_BYTES, "record is one slot");
_Static_assert(sizeof(struct trace_ring_desc) == 64, "ring descriptor layout");
_Static_assert(sizeof(struct trace_area_header) <= TRACE_AREA_HEADER_BYTES, "header fits its page");
_Static_assert(sizeof(struct trace_chunk_header) == 24, "chunk header layout");
_Static_assert((TRACE_RING_RECORDS & (TRACE_RING_RECORDS - 1)) == 0, "ring size is a power of two");
_Static_assert(__builtin_offsetof(struct trace_area_header, header_crc) == \
	       TRACE_HEADER_CRC_START + TRACE_HEADER_CRC_BYTES, "header CRC span");

#endif
