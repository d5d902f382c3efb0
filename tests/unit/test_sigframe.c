// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The forged signal frame rule of bpf/sc_step.h (sc_sigframe_forged), with
 * the kernel's side played by this file: the stack pointer a delivery
 * records, and the one the user's frame holds at rt_sigreturn.  The
 * replay records none, so these cases only happen in the kernel.
 */
#include <string.h>

#include "syscfi.h"
#include "tap.h"

/* the stack pointer "read" from the user's frame; 0: unreadable */
static __u64 saved_sp;

#define SC_READ_SLOT(ctx, i) ((void)(ctx), (void)(i), 0ull)
#define SC_SIGRETURN_SP(ctx) ((void)(ctx), saved_sp)
#include "sc_step.h"

enum { SIGRETURN = 15 };

/* a format-2 thread with no settings: the step moves the state but
 * checks no transition, so only the signal rules give a verdict */
static void start(struct sc_core *c)
{
	sc_core_start(c, 1, 59);
	c->flags = SC_PF_V2;
}

static __u32 sigreturn(struct sc_core *c, __u64 sp, int learn)
{
	struct sc_verdict v;

	saved_sp = sp;
	return sc_step(NULL, 0, c, SIGRETURN, 0, learn, &v);
}

int main(void)
{
	const __u64 s1 = 0x7ffd00001000, s2 = 0x7ffd00000800;
	struct sc_core c;
	int i;

	start(&c);
	sc_signal(&c, 1, -1, s1);
	is(c.frames[0].sp, s1, "a delivery records the interrupted stack pointer");
	is(sigreturn(&c, s1, 0), 0, "the frame saved at delivery: no verdict");
	is(c.nframes, 0, "and it is closed");

	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, s1 + 8, 0), SC_EV_SIGRETURN_FORGED,
	   "a saved stack pointer above the recorded one: sigreturn-forged");
	ok(c.nframes == 0 && c.a == SC_START && c.b == 59,
	   "the frame is closed all the same, its state restored");
	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, s1 - SC_SIGFRAME_SP_SLACK - 8, 0), SC_EV_SIGRETURN_FORGED,
	   "more than the slack below: sigreturn-forged");
	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, s1 - 8, 0), 0,
	   "a return address pushed by the handler (an injected call): no verdict");
	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, s1 - SC_SIGFRAME_SP_SLACK, 0), 0, "the slack's limit: no verdict");

	/* what is not checked */
	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, 0, 0), 0, "a frame that cannot be read: not checked");
	sc_signal(&c, 1, -1, 0);
	is(sigreturn(&c, s2, 0), 0, "no stack pointer recorded (the replay): not checked");
	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, s2, 1), 0, "learning: not checked");
	is(sigreturn(&c, s2, 0), SC_EV_SIGRETURN,
	   "no frame open: sigreturn-unexpected, as before");

	/* nested handlers and siglongjmp */
	sc_signal(&c, 1, -1, s1);
	sc_signal(&c, 1, -1, s2);
	is(sigreturn(&c, s2, 0), 0, "nested: the inner handler returns through its frame");
	is(sigreturn(&c, s1, 0), 0, "then the outer one");
	sc_signal(&c, 1, -1, s1);
	sc_signal(&c, 1, -1, s2);	/* its handler siglongjmps into the outer one */
	is(sigreturn(&c, s1, 0), 0,
	   "a handler returns past a frame a nested one abandoned: no verdict");
	is(c.nframes, 1, "the newest frame is the one closed (as in the replay)");
	is(sigreturn(&c, s1 - 4096, 0), SC_EV_SIGRETURN_FORGED,
	   "a frame no open delivery recorded: sigreturn-forged");

	/* frames forgotten past the bound */
	start(&c);
	for (i = 0; i < SC_FRAMES_MAX + 1; i++)
		sc_signal(&c, 1, -1, s1 - 256 * (__u64)i);
	is(c.lost, 1, "one frame forgotten");
	is(sigreturn(&c, s2 - 65536, 0), 0,
	   "with frames forgotten, a frame no open one matches may be theirs: not checked");
	sc_core_unknown(&c, 1);
	c.flags = SC_PF_V2;
	sc_signal(&c, 1, -1, s1);
	is(sigreturn(&c, s2 - 65536, 0), 0,
	   "nor in a task bound in UNKNOWN state (its earlier frames are unknown)");

	/* a child forked in a handler returns through its parent's frame */
	start(&c);
	sc_signal(&c, 1, -1, s1);
	{
		struct sc_core child;

		sc_core_fork(&child, &c, 57);
		is(child.frames[0].sp, s1, "a child inherits the recorded stack pointer");
		is(sigreturn(&child, s1, 0), 0, "and returns through the frame");
	}
	return tap_done();
}
