/*
 * test_sched.c — unit tests of the event queue (sim/sched.c): ordering by (cycle, priority,
 * sequence number), wake-ups (one per target, earlier replaces later), capacity and reserve,
 * clear; and the queue against a naive reference — an unsorted array searched linearly for the
 * minimum — over long runs of random pushes, wake-ups, pops and re-wakes of the first event (the
 * SQLite habit), with cycles near and far: near ones at priority 0 live in the calendar, the
 * rest in the heap, and the runs wrap the calendar's ring thousands of times.
 */
#include "config.h"

#include "sim/sched.h"
#include "util/rng.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_order(void **state)
{
	struct spk_sched s;
	struct spk_sched_event ev;

	(void)state;
	assert_int_equal(spk_sched_init(&s, 16, 4), 0);
	assert_true(spk_sched_empty(&s));
	assert_int_equal(spk_sched_next_cycle(&s), UINT64_MAX);
	assert_int_equal(spk_sched_pop(&s, &ev), -ENOENT);
	assert_int_equal(spk_sched_push(&s, 10, 1, 0, 100), 0);
	assert_int_equal(spk_sched_push(&s, 5, 2, 1, 101), 0);
	assert_int_equal(spk_sched_push(&s, 10, 0, 2, 102), 0);
	assert_int_equal(spk_sched_push(&s, 10, 1, 3, 103), 0);
	assert_int_equal(spk_sched_push(&s, 5, 2, 0, 104), 0);
	assert_int_equal(spk_sched_next_cycle(&s), 5);
	static const uint32_t want[] = { 101, 104, 102, 100, 103 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(spk_sched_pop(&s, &ev), 0);
		assert_int_equal(ev.arg, want[i]);
		assert_false(ev.wake);
	}
	assert_true(spk_sched_empty(&s));
	spk_sched_fini(&s);
}

static void test_wake(void **state)
{
	struct spk_sched s;
	struct spk_sched_event ev;
	uint64_t c;

	(void)state;
	assert_int_equal(spk_sched_init(&s, 4, 3), 0);
	assert_false(spk_sched_pending(&s, 1, NULL));
	assert_int_equal(spk_sched_wake(&s, 1, 50, 0), 0);
	assert_int_equal(spk_sched_wake(&s, 1, 60, 0), 0);	/* later: ignored */
	assert_int_equal(spk_sched_wake(&s, 1, 50, 3), 0);	/* same cycle, lower priority */
	assert_true(spk_sched_pending(&s, 1, &c));
	assert_int_equal(c, 50);
	assert_int_equal(spk_sched_push(&s, 40, 0, 2, 7), 0);
	assert_int_equal(spk_sched_wake(&s, 1, 30, 0), 0);	/* earlier: replaces */
	assert_int_equal(s.len, 2);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_true(ev.wake);
	assert_int_equal(ev.target, 1);
	assert_int_equal(ev.cycle, 30);
	assert_false(spk_sched_pending(&s, 1, NULL));
	assert_int_equal(spk_sched_wake(&s, 1, 40, 0), 0);	/* after the plain event */
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_false(ev.wake);
	assert_int_equal(ev.arg, 7);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_true(ev.wake);
	assert_int_equal(ev.cycle, 40);

	/* Full: a plain push and a new wake-up are refused; reserve grows it. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(spk_sched_push(&s, 100, 0, 0, (uint32_t)i), 0);
	assert_int_equal(spk_sched_push(&s, 100, 0, 0, 9), -ENOSPC);
	assert_int_equal(spk_sched_wake(&s, 2, 100, 0), -ENOSPC);
	assert_int_equal(spk_sched_reserve(&s, 8), 0);
	assert_int_equal(spk_sched_wake(&s, 2, 100, 0), 0);
	assert_int_equal(s.len, 5);
	spk_sched_clear(&s);
	assert_true(spk_sched_empty(&s));
	assert_false(spk_sched_pending(&s, 2, NULL));
	assert_int_equal(spk_sched_wake(&s, 2, 0, 0), 0);	/* time restarted */
	spk_sched_fini(&s);
}

/* The naive reference: an unsorted array, minimum found by a linear scan. */
struct ref_ev {
	uint64_t cycle, seq;
	uint32_t prio, target, arg;
	int wake;
};

static size_t ref_min(const struct ref_ev *r, size_t n)
{
	size_t m = 0;

	for (size_t i = 1; i < n; i++) {
		const struct ref_ev *a = &r[i], *b = &r[m];

		if (a->cycle < b->cycle || (a->cycle == b->cycle &&
		    (a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq))))
			m = i;
	}
	return m;
}

/*
 * ops random operations against the naive queue: new events for cycles now + [0, span), wake-ups
 * moved on by [0, respan), priorities below prios (0 in prio0 of every 4 draws).
 */
static void run_against_naive(uint64_t seed, uint32_t span, uint32_t respan, uint32_t prios,
			      uint32_t prio0, int ops)
{
	enum { CAP = 600, TARGETS = 40 };
	struct spk_sched s;
	struct ref_ev *ref = malloc(CAP * sizeof(*ref));
	struct spk_rng rng;
	size_t n = 0;
	uint64_t seq = 0, now = 0;

	assert_non_null(ref);
	spk_rng_seed(&rng, seed);
	assert_int_equal(spk_sched_init(&s, CAP, TARGETS), 0);
	for (int op = 0; op < ops; op++) {
		uint32_t kind = spk_rng_below(&rng, 10);
		uint64_t cycle = now + spk_rng_below(&rng, span);
		uint32_t prio = prio0 > 0 && spk_rng_below(&rng, 4) < prio0 ? 0 :
				spk_rng_below(&rng, prios);

		if (n > 0 && (kind < 4 || n >= CAP - 1)) {
			struct spk_sched_event ev;
			size_t m = ref_min(ref, n);

			assert_int_equal(spk_sched_next_cycle(&s), ref[m].cycle);
			if (ref[m].wake && kind < 2) {
				/* evaluated with work again: the wake-up moves later in one step */
				uint64_t c2 = ref[m].cycle + spk_rng_below(&rng, respan);

				assert_int_equal(spk_sched_peek(&s, &ev), 0);
				assert_int_equal(ev.target, ref[m].target);
				assert_int_equal(ev.seq, ref[m].seq);
				assert_true(ev.wake);
				spk_sched_rewake_first(&s, c2, prio);
				now = ev.cycle;
				ref[m].cycle = c2;
				ref[m].prio = prio;
				ref[m].seq = seq++;
				assert_int_equal(s.len, n);
				continue;
			}
			assert_int_equal(spk_sched_pop(&s, &ev), 0);
			assert_int_equal(ev.cycle, ref[m].cycle);
			assert_int_equal(ev.prio, ref[m].prio);
			assert_int_equal(ev.seq, ref[m].seq);
			assert_int_equal(ev.target, ref[m].target);
			assert_int_equal(ev.arg, ref[m].arg);
			assert_int_equal(ev.wake, ref[m].wake);
			now = ev.cycle;
			ref[m] = ref[--n];
		} else if (kind < 7) {
			uint32_t t = spk_rng_below(&rng, TARGETS), arg = spk_rng_below(&rng, 1000);

			assert_int_equal(spk_sched_push(&s, cycle, prio, t, arg), 0);
			ref[n++] = (struct ref_ev){ cycle, seq++, prio, t, arg, 0 };
		} else {
			uint32_t t = spk_rng_below(&rng, TARGETS);
			size_t i;

			assert_int_equal(spk_sched_wake(&s, t, cycle, prio), 0);
			for (i = 0; i < n; i++)
				if (ref[i].wake && ref[i].target == t)
					break;
			if (i == n) {
				ref[n++] = (struct ref_ev){ cycle, seq++, prio, t, 0, 1 };
			} else if (cycle < ref[i].cycle ||
				   (cycle == ref[i].cycle && prio < ref[i].prio)) {
				ref[i].cycle = cycle;
				ref[i].prio = prio;
				ref[i].seq = seq++;
			}
		}
		assert_int_equal(s.len, n);
		if (op % 997 == 0) {
			for (uint32_t t = 0; t < TARGETS; t++) {
				size_t i;
				uint64_t c;

				for (i = 0; i < n; i++)
					if (ref[i].wake && ref[i].target == t)
						break;
				assert_int_equal(spk_sched_pending(&s, t, &c), i < n);
				if (i < n)
					assert_int_equal(c, ref[i].cycle);
			}
		}
	}
	spk_sched_fini(&s);
	free(ref);
}

static void test_against_naive(void **state)
{
	(void)state;
	/* few cycles and priorities: many ties; all near */
	run_against_naive(42, 8, 8, 3, 0, 200000);
}

static void test_against_naive_near_far(void **state)
{
	(void)state;
	/* mostly priority 0 around the calendar's edge: wake-ups move between heap and calendar */
	run_against_naive(7, SPK_SCHED_NEAR + SPK_SCHED_NEAR / 2, SPK_SCHED_NEAR + 8, 2, 3,
			  200000);
	/* the chip top's pattern: priority 0, mostly the next few cycles, some far */
	run_against_naive(9, 3, 3 * SPK_SCHED_NEAR, 1, 4, 200000);
}

/* Wake-ups across the ring's wrap, a far one moved into the calendar, and the order kept. */
static void test_calendar_wrap(void **state)
{
	struct spk_sched s;
	struct spk_sched_event ev;
	uint64_t c;

	(void)state;
	assert_int_equal(spk_sched_init(&s, 8, 4), 0);
	assert_int_equal(spk_sched_wake(&s, 0, SPK_SCHED_NEAR - 2, 0), 0);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);		/* now = NEAR - 2 */
	assert_int_equal(spk_sched_wake(&s, 1, SPK_SCHED_NEAR + 1, 0), 0);	/* bucket 1 */
	assert_int_equal(spk_sched_wake(&s, 2, SPK_SCHED_NEAR - 1, 0), 0);	/* bucket NEAR-1 */
	assert_int_equal(spk_sched_wake(&s, 3, 3 * SPK_SCHED_NEAR, 0), 0);	/* far: heap */
	assert_int_equal(spk_sched_push(&s, SPK_SCHED_NEAR + 1, 0, 0, 5), 0);	/* heap, same cycle */
	assert_int_equal(spk_sched_next_cycle(&s), SPK_SCHED_NEAR - 1);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_int_equal(ev.target, 2);
	/* the far wake-up comes near, earlier than the plain event but later in sequence */
	assert_int_equal(spk_sched_wake(&s, 3, SPK_SCHED_NEAR + 1, 0), 0);
	assert_true(spk_sched_pending(&s, 3, &c));
	assert_int_equal(c, SPK_SCHED_NEAR + 1);
	assert_int_equal(spk_sched_next_cycle(&s), SPK_SCHED_NEAR + 1);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_true(ev.wake && ev.target == 1);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_true(!ev.wake && ev.arg == 5);
	assert_int_equal(spk_sched_pop(&s, &ev), 0);
	assert_true(ev.wake && ev.target == 3 && ev.cycle == SPK_SCHED_NEAR + 1);
	assert_true(spk_sched_empty(&s));
	assert_int_equal(spk_sched_next_cycle(&s), UINT64_MAX);
	spk_sched_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_against_naive),
		cmocka_unit_test(test_against_naive_near_far),
		cmocka_unit_test(test_calendar_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
