/*
 * convert_events: what each event role of event_map.def draws: slices on a
 * core's activity lane, its cur_proc/owning_proc/VMCS lanes, a process's
 * refcount and state, flows, crash and loss markers. The primitives and
 * the state are in convert.c / convert_state.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/kaddr2line.h"
#include "tools/perfetto/convert_state.h"

#define FTEXT_BYTES 32

/* The text of one of e's fields (enum names, symbols) for an event name. */
static const char *ftext(struct conv *c, const struct tl_event *e, enum ev_field f,
			 char buf[FTEXT_BYTES])
{
	int i = ev_field_idx(e->id, f);
	return i >= 0 ? cv_field_text(c, e, (unsigned)i, buf, FTEXT_BYTES) : "?";
}

/*
 * One event, by its role: the name shown in the UI is built here; every
 * field also goes along as a typed arg (cv_ann_fields), so the name only
 * has to say what a student needs at a glance.
 */
void cv_event(struct conv *c, const struct tl_event *e)
{
	unsigned cpu = e->cpu < c->ncpus ? e->cpu : 0;
	struct cpu_state *s = &c->cpu[cpu];
	uint64_t ts = convert_ts_ns(c->t, e->ts);
	unsigned role = ev_info[e->id].role;
	uint32_t cat = c->cat[trace_event_descs[e->id].category];
	struct anns as = { .n = 0 };
	char name[160], buf[FTEXT_BYTES], who[32];

	/* A halted core wakes up for whatever it records next. */
	if (role != ROLE_IDLE && s->depth && s->kind[s->depth - 1] == K_IDLE)
		cv_act_end(c, cpu, ts, K_IDLE, NULL, 0);

	switch (role) {
	case ROLE_LOST:
		cv_ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "LOST %" PRIu64 " records (%s)", cv_fld(e, EF_COUNT),
			 ftext(c, e, EF_REASON, buf));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, 0);
		break;

	case ROLE_IRQ_BEGIN:
		cv_ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "irq %s",
			 ftext(c, e, EF_VECTOR, buf));
		cv_act_begin(c, cpu, ts, K_IRQ, cv_intern_name(c, name), e, &as, 0, 0);
		break;
	case ROLE_IRQ_END:
		cv_ann_end_fields(c, &as, e, cpu, K_IRQ);
		if (!cv_act_end(c, cpu, ts, K_IRQ, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_SYSCALL_BEGIN:
		cv_ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "syscall %s",
			 ftext(c, e, EF_NUM, buf));
		cv_act_begin(c, cpu, ts, K_SYSCALL, cv_intern_name(c, name), e, &as, 0, 0);
		break;
	case ROLE_SYSCALL_END:
		cv_ann_end_fields(c, &as, e, cpu, K_SYSCALL);
		if (!cv_act_end(c, cpu, ts, K_SYSCALL, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_KMSG_SEND: {
		cv_ann_fields(c, &as, e);
		uint64_t flow = cv_pend_send(c, PEND_KMSG, cpu, (unsigned)cv_fld(e, EF_DST),
					     cv_fld(e, EF_TYPE), cv_fld(e, EF_HANDLER));
		const char *fn = kaddr2line_func(c->k, cv_fld(e, EF_HANDLER));
		snprintf(name, sizeof(name), "kmsg send %s -> CPU %" PRIu64,
			 fn ? fn : kaddr2line_lookup(c->k, cv_fld(e, EF_HANDLER)), cv_fld(e, EF_DST));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, flow, 0);
		break;
	}
	case ROLE_KMSG_BEGIN: {
		cv_ann_fields(c, &as, e);
		uint64_t flow = cv_pend_arrive(c, PEND_KMSG, (unsigned)cv_fld(e, EF_SRC), cpu,
					       cv_fld(e, EF_TYPE), cv_fld(e, EF_HANDLER));
		const char *fn = kaddr2line_func(c->k, cv_fld(e, EF_HANDLER));
		snprintf(name, sizeof(name), "kmsg %s",
			 fn ? fn : kaddr2line_lookup(c->k, cv_fld(e, EF_HANDLER)));
		cv_act_begin(c, cpu, ts, K_KMSG, cv_intern_name(c, name), e, &as, 0, flow);
		break;
	}
	case ROLE_IPI_SEND: {
		cv_ann_fields(c, &as, e);
		uint64_t flow = cv_pend_send(c, PEND_IPI, cpu, (unsigned)cv_fld(e, EF_DST),
					     cv_fld(e, EF_VECTOR), 0);
		snprintf(name, sizeof(name), "IPI %s -> CPU %" PRIu64,
			 ftext(c, e, EF_VECTOR, buf),
			 cv_fld(e, EF_DST));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, flow, 0);
		break;
	}
	case ROLE_IPI_RECV: {
		cv_ann_fields(c, &as, e);
		uint64_t flow = cv_pend_arrive(c, PEND_IPI, ANY_CPU, cpu, cv_fld(e, EF_VECTOR), 0);
		snprintf(name, sizeof(name), "IPI %s received",
			 ftext(c, e, EF_VECTOR, buf));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, flow);
		break;
	}
	case ROLE_SIGNAL_SEND: {
		cv_ann_fields(c, &as, e);
		uint64_t flow = cv_pend_send(c, PEND_SIGNAL, cpu, ANY_CPU, cv_fld(e, EF_TO),
					     cv_fld(e, EF_SIG));
		cv_pid_name(c, who, sizeof(who), cv_fld(e, EF_TO));
		snprintf(name, sizeof(name), "signal %s -> %s",
			 ftext(c, e, EF_SIG, buf), who);
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, flow, 0);
		break;
	}
	case ROLE_SIGNAL_DELIVER: {
		cv_ann_fields(c, &as, e);
		uint64_t flow = cv_pend_arrive(c, PEND_SIGNAL, ANY_CPU, ANY_CPU, cv_fld(e, EF_PID),
					       cv_fld(e, EF_SIG));
		cv_pid_name(c, who, sizeof(who), cv_fld(e, EF_PID));
		snprintf(name, sizeof(name), "%s takes %s", who,
			 ftext(c, e, EF_SIG, buf));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, flow);
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		break;
	}
	case ROLE_KMSG_END:
		cv_ann_end_fields(c, &as, e, cpu, K_KMSG);
		if (!cv_act_end(c, cpu, ts, K_KMSG, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_GUEST_BEGIN:
		/* Entering the guest with a lingering VMCS: it is in use again. */
		if (s->vmcs.open && s->vmcs.lingering && s->vmcs.key == cv_fld(e, EF_GPC)) {
			cv_pid_name(c, who, sizeof(who), s->vmcs.pid);
			snprintf(name, sizeof(name), "%s VMCS loaded", who);
			cv_lane_open(c, &s->vmcs, ts, name, cat, NULL, s->vmcs.key, s->vmcs.pid);
		}
		cv_ann_fields(c, &as, e);
		cv_pid_name(c, who, sizeof(who), cv_fld(e, EF_PID));
		snprintf(name, sizeof(name), "guest of %s", who);
		cv_act_begin(c, cpu, ts, K_GUEST, cv_intern_name(c, name), e, &as, 0, 0);
		break;
	case ROLE_GUEST_END:
		cv_ann_end_fields(c, &as, e, cpu, K_GUEST);
		if (!cv_act_end(c, cpu, ts, K_GUEST, &as, c->s_unwound))
			c->st->unmatched_ends++;
		break;

	case ROLE_IDLE:
		if (!(s->depth && s->kind[s->depth - 1] == K_IDLE))
			cv_act_begin(c, cpu, ts, K_IDLE, c->n_idle, e, NULL, 0, 0);
		break;

	case ROLE_CRASH_TRAP:
	case ROLE_CRASH_PANIC:
		cv_ann_fields(c, &as, e);
		if (role == ROLE_CRASH_TRAP)
			snprintf(name, sizeof(name), "TRAP %s at %s",
				 ftext(c, e, EF_VECTOR, buf),
				 kaddr2line_lookup(c->k, cv_fld(e, EF_RIP)));
		else
			snprintf(name, sizeof(name), "PANIC at %s", kaddr2line_lookup(c->k, cv_fld(e, EF_SITE)));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, 0);
		/* The first trap or panic is the cause; later ones are fallout. */
		if (!c->crash_desc[0])
			snprintf(c->crash_desc, sizeof(c->crash_desc), "crash: %s (CPU %u)", name, cpu);
		if (role == ROLE_CRASH_PANIC)
			c->st->crashed = true;
		break;

	case ROLE_CUR_PROC:
	case ROLE_OWNING_PROC: {
		struct lane *l = role == ROLE_CUR_PROC ? &s->cur : &s->own;
		cv_ann_fields(c, &as, e);
		uint64_t pid = cv_fld(e, EF_NEW);
		if (pid) {
			cv_pid_name(c, who, sizeof(who), pid);
			cv_lane_open(c, l, ts, who, cat, &as, pid, (uint32_t)pid);
		} else {
			cv_lane_close(c, l, ts, &as);
		}
		break;
	}

	case ROLE_PROC_CREATE:
	case ROLE_PROC_EXEC: {
		char pname[TRACE_NAME16_BYTES + 1];
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID),
						   role == ROLE_PROC_CREATE);
		ev_name_text(e->id, e->field, pname);
		cv_proc_set_name(c, p, pname);
		cv_ann_fields(c, &as, e);
		cv_emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		if (role != ROLE_PROC_EXEC || !pname[0])
			break;
		/* The cores it runs on show it by its new name from here on. */
		cv_pid_name(c, who, sizeof(who), p->pid);
		for (unsigned i = 0; i < c->ncpus; i++) {
			struct lane *lanes[2] = { &c->cpu[i].cur, &c->cpu[i].own };
			for (int j = 0; j < 2; j++)
				if (lanes[j]->open && lanes[j]->pid == p->pid)
					cv_lane_open(c, lanes[j], ts, who, cat, NULL, p->pid, p->pid);
		}
		break;
	}
	case ROLE_PROC_STATE: {
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_ann_fields(c, &as, e);
		if (p->state_open)
			cv_emit(c, ts, p->state, PF_SLICE_END, 0, 0, NULL, 0, 0);
		p->state_open = false;
		const char *st = ftext(c, e, EF_NEW, buf);
		if (cv_fld(e, EF_NEW) != 0) {  /* 0 is FREE: nothing to draw */
			cv_emit(c, ts, p->state, PF_SLICE_BEGIN, cv_intern_name(c, st), cat, &as, 0, 0);
			p->state_open = true;
		}
		break;
	}
	case ROLE_PROC_FREE: {
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_ann_fields(c, &as, e);
		if (p->state_open)
			cv_emit(c, ts, p->state, PF_SLICE_END, 0, 0, NULL, 0, 0);
		p->state_open = false;
		cv_emit_instant(c, ts, p->refs, cv_intern_name(c, "__proc_free"), e, &as, 0, 0);
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, "__proc_free"), e, &as, 0, 0);
		p->freed = true;
		break;
	}
	case ROLE_PROC_LEAK: {
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_ann_fields(c, &as, e);
		cv_emit_instant(c, ts, p->state, cv_intern_name(c, "LEAKED at shutdown"), e, &as, 0, 0);
		break;
	}
	case ROLE_KREF:
	case ROLE_KREF_ERROR: {
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_ann_fields(c, &as, e);
		const char *why = ftext(c, e, EF_REASON, buf);
		struct pf_event ev = {
			.ts_ns = ts, .track = p->refs, .type = PF_INSTANT,
			.cat_iid = cat, .n_ann = as.n,
		};
		if (role == ROLE_KREF) {
			snprintf(name, sizeof(name), "%s %s %" PRIu64 "->%" PRIu64,
				 e->id == TRACE_EV_kref_get ? "get" : "put", why,
				 cv_fld(e, EF_OLD), cv_fld(e, EF_NEW));
			ev.extra_counter_track = p->count;
			ev.extra_counter = (int64_t)cv_fld(e, EF_NEW);
		} else {
			char kbuf[FTEXT_BYTES];   /* `why` may live in buf */
			snprintf(name, sizeof(name), "KREF ERROR %s (%s)",
				 ftext(c, e, EF_KIND, kbuf), why);
			cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, 0);
		}
		ev.name_iid = cv_intern_name(c, name);
		pf_emit(c->w, &ev, as.a);
		break;
	}

	case ROLE_KTHREAD_BLOCK: {
		cv_ann_fields(c, &as, e);
		uint64_t kt = cv_fld(e, EF_KTHREAD) % MAX_KTHREADS;
		uint64_t flow = ++c->next_flow;
		c->kt[kt].flow = flow;
		c->kt[kt].name_iid = 0;
		/* The kthread leaves the core: its syscall slice ends here and
		 * resumes wherever the kthread restarts. */
		for (int i = (int)s->depth - 1; i >= 0; i--) {
			if (s->kind[i] == K_SYSCALL) {
				snprintf(name, sizeof(name), "%s (resumed)",
					 pf_interned(c->w, PF_EVENT_NAME, s->name[i]));
				c->kt[kt].name_iid = cv_intern_name(c, name);
				struct anns b = { .n = 0 };
				cv_ann_add(&b, c->a_closed, PF_ANN_STR, cv_intern_str(c, "kthread blocked"));
				cv_act_end(c, cpu, ts, K_SYSCALL, &b, c->s_unwound);
				break;
			}
		}
		snprintf(name, sizeof(name), "kthread %" PRIu64 " blocks", cv_fld(e, EF_KTHREAD));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, flow, 0);
		break;
	}
	case ROLE_KTHREAD_WAKE: {
		cv_ann_fields(c, &as, e);
		uint64_t kt = cv_fld(e, EF_KTHREAD) % MAX_KTHREADS;
		snprintf(name, sizeof(name), "wake kthread %" PRIu64 " -> CPU %" PRIu64,
			 cv_fld(e, EF_KTHREAD), cv_fld(e, EF_TARGET));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, c->kt[kt].flow, 0);
		break;
	}
	case ROLE_KTHREAD_RESTART: {
		cv_ann_fields(c, &as, e);
		uint64_t kt = cv_fld(e, EF_KTHREAD) % MAX_KTHREADS;
		uint64_t flow = c->kt[kt].flow;
		/* restart_kthread never returns to the KMSG handler that called
		 * it: whatever was open on this core ends here. */
		while (s->depth) {
			struct anns u = { .n = 0 };
			cv_ann_add(&u, c->a_closed, PF_ANN_STR, c->s_restart);
			cv_emit(c, ts, s->act, PF_SLICE_END, 0, 0, &u, 0, 0);
			s->depth--;
		}
		snprintf(name, sizeof(name), "restart kthread %" PRIu64, cv_fld(e, EF_KTHREAD));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, flow);
		if (flow)
			c->st->flows++;
		if (c->kt[kt].name_iid)
			cv_act_begin(c, cpu, ts, K_SYSCALL, c->kt[kt].name_iid, e, NULL, 0, 0);
		c->kt[kt].flow = 0;
		c->kt[kt].name_iid = 0;
		break;
	}

	case ROLE_GPC_CREATE: {
		cv_gpc_note(c, cv_fld(e, EF_GPC), (uint32_t)cv_fld(e, EF_PID));
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_ann_fields(c, &as, e);
		cv_emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		break;
	}
	case ROLE_GPC_FREE: {
		uint64_t gpc = cv_fld(e, EF_GPC);
		struct gpc_owner *g = cv_gpc_note(c, gpc, (uint32_t)cv_fld(e, EF_PID));
		struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
		cv_ann_fields(c, &as, e);
		cv_emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
		g->freed = true;
		/* A VMCS still cached on a core now points at a freed page: the
		 * lane says so until the core clears it. */
		for (unsigned i = 0; i < c->ncpus; i++) {
			struct lane *l = &c->cpu[i].vmcs;
			if (l->open && l->key == gpc) {
				struct anns d = { .n = 0 };
				cv_ann_add(&d, c->a_dangling, PF_ANN_BOOL, 1);
				cv_pid_name(c, who, sizeof(who), l->pid);
				snprintf(name, sizeof(name), "%s VMCS FREED, still cached", who);
				cv_lane_open(c, l, ts, name, cat, &d, gpc, l->pid);
			}
		}
		break;
	}
	case ROLE_VMCS_LOAD:
	case ROLE_VMCS_LINGER: {
		uint64_t gpc = cv_fld(e, EF_GPC);
		cv_gpc_note(c, gpc, (uint32_t)cv_fld(e, EF_PID));
		cv_ann_fields(c, &as, e);
		cv_pid_name(c, who, sizeof(who), cv_fld(e, EF_PID));
		snprintf(name, sizeof(name), "%s VMCS %s", who,
			 role == ROLE_VMCS_LOAD ? "loaded" : "lingering");
		cv_lane_open(c, &s->vmcs, ts, name, cat, &as, gpc, (uint32_t)cv_fld(e, EF_PID));
		s->vmcs.lingering = role == ROLE_VMCS_LINGER;
		break;
	}
	case ROLE_VMCS_CLEAR: {
		uint64_t gpc = cv_fld(e, EF_GPC);
		struct gpc_owner *g = cv_gpc_find(c, gpc);
		cv_ann_fields(c, &as, e);
		if (s->vmcs.open && s->vmcs.key == gpc)
			cv_lane_close(c, &s->vmcs, ts, &as);
		snprintf(name, sizeof(name), "VMCLEAR%s from %s", g && g->freed ? " OF A FREED GPC" : "",
			 kaddr2line_lookup(c->k, cv_fld(e, EF_SITE)));
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, 0);
		break;
	}
	case ROLE_INVEPT:
		cv_ann_fields(c, &as, e);
		snprintf(name, sizeof(name), "INVEPT eptp=0x%" PRIx64 "%s", cv_fld(e, EF_EPTP),
			 cv_fld(e, EF_RESULT) ? " FAILED" : "");
		cv_emit_instant(c, ts, s->act, cv_intern_name(c, name), e, &as, 0, 0);
		break;

	case ROLE_PROC_INSTANT:
		if (ev_field_idx(e->id, EF_PID) >= 0 && cv_fld(e, EF_PID)) {
			struct proc_track *p = cv_proc_get(c, (uint32_t)cv_fld(e, EF_PID), false);
			cv_ann_fields(c, &as, e);
			cv_emit_instant(c, ts, p->state, c->ev_name[e->id], e, &as, 0, 0);
			break;
		}
		/* fall through */
	default:
		cv_ann_fields(c, &as, e);
		cv_emit_instant(c, ts, s->act, c->ev_name[e->id], e, &as, 0, 0);
		break;
	}
}
