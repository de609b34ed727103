/*
 * event_map: the role of every event (tools/perfetto/event_map.def) and the
 * positions of the fields those roles read, resolved by name from the event
 * table. Shared by trace2perfetto and tracecheck, so both read an event the
 * same way.
 */
#ifndef TOOLS_PERFETTO_EVENT_MAP_H
#define TOOLS_PERFETTO_EVENT_MAP_H

#include <stdbool.h>
#include <stdint.h>
#include "trace/schema.h"

/* Roles; the comment lists the fields a role reads (checked at start-up). */
enum ev_role {
	ROLE_UNSET,
	ROLE_INSTANT,        /* an instant on the core's activity lane, all fields as args */
	ROLE_PROC_INSTANT,   /* an instant on the process's track if it has a pid field */
	ROLE_LOST,           /* count, reason */
	ROLE_IRQ_BEGIN,      /* vector */
	ROLE_IRQ_END,
	ROLE_SYSCALL_BEGIN,  /* pid, num */
	ROLE_SYSCALL_END,
	ROLE_KMSG_SEND,      /* dst, handler, type */
	ROLE_KMSG_BEGIN,     /* src, handler, type */
	ROLE_KMSG_END,
	ROLE_IPI_SEND,       /* dst, vector */
	ROLE_IPI_RECV,       /* vector */
	ROLE_SIGNAL_SEND,    /* to, sig */
	ROLE_SIGNAL_DELIVER, /* pid, sig */
	ROLE_GUEST_BEGIN,    /* pid, gpc */
	ROLE_GUEST_END,      /* reason */
	ROLE_IDLE,
	ROLE_CRASH_TRAP,     /* vector, rip */
	ROLE_CRASH_PANIC,    /* site */
	ROLE_CUR_PROC,       /* old, new */
	ROLE_OWNING_PROC,    /* old, new */
	ROLE_PROC_CREATE,    /* pid, proc, name */
	ROLE_PROC_EXEC,      /* pid, name */
	ROLE_PROC_STATE,     /* pid, new */
	ROLE_PROC_FREE,      /* pid, proc */
	ROLE_PROC_LEAK,      /* pid */
	ROLE_KREF,           /* pid, proc, old, new, site, reason */
	ROLE_KREF_ERROR,     /* pid, proc, count, site, reason, kind */
	ROLE_KTHREAD_BLOCK,  /* kthread, pid */
	ROLE_KTHREAD_WAKE,   /* kthread, target */
	ROLE_KTHREAD_RESTART,/* kthread, pid */
	ROLE_GPC_CREATE,     /* pid, gpc */
	ROLE_GPC_FREE,       /* pid, gpc */
	ROLE_VMCS_LOAD,      /* pid, gpc */
	ROLE_VMCS_LINGER,    /* pid, gpc */
	ROLE_VMCS_CLEAR,     /* pid, gpc, site */
	ROLE_INVEPT,         /* pid, eptp, result, site */
	NUM_ROLES
};

/* The fields roles read, by name. */
enum ev_field {
	EF_PID, EF_OLD, EF_NEW, EF_SITE, EF_REASON, EF_COUNT, EF_KIND,
	EF_DST, EF_SRC, EF_HANDLER, EF_TYPE, EF_KTHREAD, EF_TARGET,
	EF_GPC, EF_VMCS, EF_EPTP, EF_RESULT, EF_VECTOR, EF_RIP, EF_NUM,
	EF_PROC, EF_ARG0, EF_VMCS_CORE, EF_TO, EF_SIG, EF_NAME,
	NUM_EV_FIELDS
};

struct ev_info {
	uint8_t role;                   /* enum ev_role */
	int8_t field[NUM_EV_FIELDS];    /* index in the record, -1 if absent */
};

extern struct ev_info ev_info[TRACE_NUM_EVENTS];

/*
 * Fills ev_info from the table and checks that every role finds the fields
 * it reads. Returns false after printing what is missing (a table and a map
 * that disagree: the tool cannot draw the trace correctly).
 */
bool event_map_init(const char *tool);

static inline int ev_field_idx(unsigned id, enum ev_field f)
{
	return id < TRACE_NUM_EVENTS ? ev_info[id].field[f] : -1;
}

const char *ev_role_name(unsigned role);

/*
 * The text of the event's `name` field (a NAME16: a process's program) into
 * out, as trace_name16_text() makes it; "" when the event has none.
 * field: the record's words (struct tl_event.field). Returns the length.
 */
size_t ev_name_text(unsigned id, const uint64_t *field, char out[TRACE_NAME16_BYTES + 1]);

#endif
