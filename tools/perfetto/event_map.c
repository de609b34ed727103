/*
 * event_map: see event_map.h and event_map.def.
 *
 * Build-time checks: a MAP_EVENT naming an event that is not in the table
 * does not compile (TRACE_EV_<name> is undeclared), and a category of the
 * table without a MAP_CATEGORY default does not compile either
 * (MAP_CAT_DEFINED_<name> is undeclared in the _Static_assert below).
 */
#include "tools/perfetto/event_map.h"

#include <stdio.h>
#include <string.h>

enum {
#define MAP_CATEGORY(cat, role) MAP_CAT_DEFINED_##cat = 1,
#define MAP_EVENT(ev, role)
#include "tools/perfetto/event_map.def"
#undef MAP_CATEGORY
#undef MAP_EVENT
	MAP_CAT_DEFINED_END_
};

#define TRACE_CATEGORY(name, doc) \
	_Static_assert(MAP_CAT_DEFINED_##name, \
		       "category " #name " needs a MAP_CATEGORY line in tools/perfetto/event_map.def");
#include "trace/events.def"

static const uint8_t category_role[TRACE_NUM_CATEGORIES] = {
#define MAP_CATEGORY(cat, role) [TRACE_CAT_##cat] = ROLE_##role,
#define MAP_EVENT(ev, role)
#include "tools/perfetto/event_map.def"
#undef MAP_CATEGORY
#undef MAP_EVENT
};

static const uint8_t event_role[TRACE_NUM_EVENTS] = {
#define MAP_CATEGORY(cat, role)
#define MAP_EVENT(ev, role) [TRACE_EV_##ev] = ROLE_##role,
#include "tools/perfetto/event_map.def"
#undef MAP_CATEGORY
#undef MAP_EVENT
};

static const char *const field_names[NUM_EV_FIELDS] = {
	[EF_PID] = "pid", [EF_OLD] = "old", [EF_NEW] = "new", [EF_SITE] = "site",
	[EF_REASON] = "reason", [EF_COUNT] = "count", [EF_KIND] = "kind",
	[EF_DST] = "dst", [EF_SRC] = "src", [EF_HANDLER] = "handler",
	[EF_TYPE] = "type", [EF_KTHREAD] = "kthread", [EF_TARGET] = "target",
	[EF_GPC] = "gpc", [EF_VMCS] = "vmcs", [EF_EPTP] = "eptp",
	[EF_RESULT] = "result", [EF_VECTOR] = "vector", [EF_RIP] = "rip",
	[EF_NUM] = "num", [EF_PROC] = "proc", [EF_ARG0] = "arg0",
	[EF_VMCS_CORE] = "vmcs_core", [EF_TO] = "to", [EF_SIG] = "sig",
	[EF_NAME] = "name",
};

#define FM(f) (1u << (f))

/* What each role reads: a missing field is a table/map disagreement. */
static const uint32_t role_needs[NUM_ROLES] = {
	[ROLE_LOST] = FM(EF_COUNT) | FM(EF_REASON),
	[ROLE_IRQ_BEGIN] = FM(EF_VECTOR),
	[ROLE_SYSCALL_BEGIN] = FM(EF_PID) | FM(EF_NUM),
	[ROLE_KMSG_SEND] = FM(EF_DST) | FM(EF_HANDLER) | FM(EF_TYPE),
	[ROLE_KMSG_BEGIN] = FM(EF_SRC) | FM(EF_HANDLER) | FM(EF_TYPE),
	[ROLE_IPI_SEND] = FM(EF_DST) | FM(EF_VECTOR),
	[ROLE_IPI_RECV] = FM(EF_VECTOR),
	[ROLE_SIGNAL_SEND] = FM(EF_TO) | FM(EF_SIG),
	[ROLE_SIGNAL_DELIVER] = FM(EF_PID) | FM(EF_SIG),
	[ROLE_GUEST_BEGIN] = FM(EF_PID) | FM(EF_GPC),
	[ROLE_GUEST_END] = FM(EF_REASON),
	[ROLE_CRASH_TRAP] = FM(EF_VECTOR) | FM(EF_RIP),
	[ROLE_CRASH_PANIC] = FM(EF_SITE),
	[ROLE_CUR_PROC] = FM(EF_OLD) | FM(EF_NEW),
	[ROLE_OWNING_PROC] = FM(EF_OLD) | FM(EF_NEW),
	[ROLE_PROC_CREATE] = FM(EF_PID) | FM(EF_PROC) | FM(EF_NAME),
	[ROLE_PROC_EXEC] = FM(EF_PID) | FM(EF_NAME),
	[ROLE_PROC_STATE] = FM(EF_PID) | FM(EF_NEW),
	[ROLE_PROC_FREE] = FM(EF_PID) | FM(EF_PROC),
	[ROLE_PROC_LEAK] = FM(EF_PID),
	[ROLE_KREF] = FM(EF_PID) | FM(EF_PROC) | FM(EF_OLD) | FM(EF_NEW) |
		      FM(EF_SITE) | FM(EF_REASON),
	[ROLE_KREF_ERROR] = FM(EF_PID) | FM(EF_PROC) | FM(EF_COUNT) | FM(EF_SITE) |
			    FM(EF_REASON) | FM(EF_KIND),
	[ROLE_KTHREAD_BLOCK] = FM(EF_KTHREAD) | FM(EF_PID),
	[ROLE_KTHREAD_WAKE] = FM(EF_KTHREAD) | FM(EF_TARGET),
	[ROLE_KTHREAD_RESTART] = FM(EF_KTHREAD) | FM(EF_PID),
	[ROLE_GPC_CREATE] = FM(EF_PID) | FM(EF_GPC),
	[ROLE_GPC_FREE] = FM(EF_PID) | FM(EF_GPC),
	[ROLE_VMCS_LOAD] = FM(EF_PID) | FM(EF_GPC),
	[ROLE_VMCS_LINGER] = FM(EF_PID) | FM(EF_GPC),
	[ROLE_VMCS_CLEAR] = FM(EF_PID) | FM(EF_GPC) | FM(EF_SITE),
	[ROLE_INVEPT] = FM(EF_PID) | FM(EF_EPTP) | FM(EF_RESULT) | FM(EF_SITE),
};

static const char *const role_names[NUM_ROLES] = {
	[ROLE_UNSET] = "UNSET", [ROLE_INSTANT] = "INSTANT",
	[ROLE_PROC_INSTANT] = "PROC_INSTANT", [ROLE_LOST] = "LOST",
	[ROLE_IRQ_BEGIN] = "IRQ_BEGIN", [ROLE_IRQ_END] = "IRQ_END",
	[ROLE_SYSCALL_BEGIN] = "SYSCALL_BEGIN", [ROLE_SYSCALL_END] = "SYSCALL_END",
	[ROLE_KMSG_SEND] = "KMSG_SEND", [ROLE_KMSG_BEGIN] = "KMSG_BEGIN",
	[ROLE_KMSG_END] = "KMSG_END", [ROLE_IPI_SEND] = "IPI_SEND",
	[ROLE_IPI_RECV] = "IPI_RECV", [ROLE_SIGNAL_SEND] = "SIGNAL_SEND",
	[ROLE_SIGNAL_DELIVER] = "SIGNAL_DELIVER", [ROLE_GUEST_BEGIN] = "GUEST_BEGIN",
	[ROLE_GUEST_END] = "GUEST_END", [ROLE_IDLE] = "IDLE",
	[ROLE_CRASH_TRAP] = "CRASH_TRAP", [ROLE_CRASH_PANIC] = "CRASH_PANIC",
	[ROLE_CUR_PROC] = "CUR_PROC", [ROLE_OWNING_PROC] = "OWNING_PROC",
	[ROLE_PROC_CREATE] = "PROC_CREATE", [ROLE_PROC_EXEC] = "PROC_EXEC",
	[ROLE_PROC_STATE] = "PROC_STATE",
	[ROLE_PROC_FREE] = "PROC_FREE", [ROLE_PROC_LEAK] = "PROC_LEAK",
	[ROLE_KREF] = "KREF", [ROLE_KREF_ERROR] = "KREF_ERROR",
	[ROLE_KTHREAD_BLOCK] = "KTHREAD_BLOCK", [ROLE_KTHREAD_WAKE] = "KTHREAD_WAKE",
	[ROLE_KTHREAD_RESTART] = "KTHREAD_RESTART", [ROLE_GPC_CREATE] = "GPC_CREATE",
	[ROLE_GPC_FREE] = "GPC_FREE", [ROLE_VMCS_LOAD] = "VMCS_LOAD",
	[ROLE_VMCS_LINGER] = "VMCS_LINGER", [ROLE_VMCS_CLEAR] = "VMCS_CLEAR",
	[ROLE_INVEPT] = "INVEPT",
};

struct ev_info ev_info[TRACE_NUM_EVENTS];

const char *ev_role_name(unsigned role)
{
	return role < NUM_ROLES && role_names[role] ? role_names[role] : "?";
}

bool event_map_init(const char *tool)
{
	bool ok = true;
	for (unsigned id = 0; id < TRACE_NUM_EVENTS; id++) {
		const struct trace_event_desc *d = &trace_event_descs[id];
		struct ev_info *e = &ev_info[id];
		e->role = event_role[id] ? event_role[id] : category_role[d->category];
		for (unsigned f = 0; f < NUM_EV_FIELDS; f++) {
			e->field[f] = -1;
			for (unsigned i = 0; i < d->nfields; i++)
				if (strcmp(d->field[i].name, field_names[f]) == 0)
					e->field[f] = (int8_t)i;
		}
		if (e->role == ROLE_UNSET || e->role >= NUM_ROLES) {
			fprintf(stderr, "%s: event %s has no role (event_map.def)\n", tool, d->name);
			ok = false;
			continue;
		}
		int nf = e->field[EF_NAME];
		if (nf >= 0 && d->field[nf].type != TRACE_FT_NAME16) {
			fprintf(stderr, "%s: event %s: field 'name' is not a name16\n", tool, d->name);
			ok = false;
		}
		uint32_t need = role_needs[e->role];
		for (unsigned f = 0; f < NUM_EV_FIELDS; f++) {
			if ((need & FM(f)) && e->field[f] < 0) {
				fprintf(stderr,
					"%s: event %s (role %s) has no field '%s': "
					"trace/events.def and tools/perfetto/event_map.def disagree\n",
					tool, d->name, ev_role_name(e->role), field_names[f]);
				ok = false;
			}
		}
	}
	return ok;
}

size_t ev_name_text(unsigned id, const uint64_t *field, char out[TRACE_NAME16_BYTES + 1])
{
	int i = ev_field_idx(id, EF_NAME);
	if (i < 0) {
		out[0] = '\0';
		return 0;
	}
	return trace_name16_text(&field[i], out);  /* a NAME16 is last: words i, i+1 */
}
