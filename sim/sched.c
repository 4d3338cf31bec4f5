/*
 * sched.c — the event queue (see sched.h): a binary min-heap over (cycle, key), where key packs
 * the priority above a 48-bit sequence number, so that one 128-bit comparison orders events by
 * (cycle, priority, sequence number).
 *
 * Wake-ups are ordinary entries marked by bit 31 of target; pos[target] follows the entry as the
 * heap moves it, so that a wake-up can be found and moved earlier (decrease-key) in O(log n).
 * Every store into the heap goes through place(), which keeps pos[] right.
 */
#include "config.h"

#include "sim/sched.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WAKE_BIT 0x80000000u
#define SEQ_BITS 48
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)

static bool before(const struct spk_sched_entry *a, const struct spk_sched_entry *b)
{
	return a->cycle < b->cycle || (a->cycle == b->cycle && a->key < b->key);
}

static void place(struct spk_sched *s, size_t i, const struct spk_sched_entry *e)
{
	s->heap[i] = *e;
	if (e->target & WAKE_BIT)
		s->pos[e->target & ~WAKE_BIT] = (int64_t)i;
}

static void sift_up(struct spk_sched *s, size_t i, struct spk_sched_entry e)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(&e, &s->heap[parent]))
			break;
		place(s, i, &s->heap[parent]);
		i = parent;
	}
	place(s, i, &e);
}

static void sift_down(struct spk_sched *s, size_t i, struct spk_sched_entry e)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->len)
			break;
		if (c + 1 < s->len && before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!before(&s->heap[c], &e))
			break;
		place(s, i, &s->heap[c]);
		i = c;
	}
	place(s, i, &e);
}

int spk_sched_init(struct spk_sched *s, size_t capacity, uint32_t n_targets)
{
	memset(s, 0, sizeof(*s));
	assert(n_targets <= SPK_SCHED_MAX_TARGET);
	s->pos = malloc((n_targets > 0 ? n_targets : 1) * sizeof(*s->pos));
	if (s->pos == NULL)
		return -ENOMEM;
	s->n_targets = n_targets;
	for (uint32_t t = 0; t < n_targets; t++)
		s->pos[t] = -1;
	if (spk_sched_reserve(s, capacity > 0 ? capacity : 1) < 0) {
		spk_sched_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void spk_sched_fini(struct spk_sched *s)
{
	free(s->heap);
	free(s->pos);
	memset(s, 0, sizeof(*s));
}

int spk_sched_reserve(struct spk_sched *s, size_t capacity)
{
	struct spk_sched_entry *h;

	if (capacity <= s->cap)
		return 0;
	h = realloc(s->heap, capacity * sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	s->heap = h;
	s->cap = capacity;
	return 0;
}

void spk_sched_clear(struct spk_sched *s)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->heap[i].target & WAKE_BIT)
			s->pos[s->heap[i].target & ~WAKE_BIT] = -1;
	s->len = 0;
	s->seq = 0;
	s->now = 0;
}

static uint64_t make_key(struct spk_sched *s, uint32_t prio)
{
	assert(prio <= SPK_SCHED_MAX_PRIO);
	assert(s->seq <= SEQ_MASK);
	return (uint64_t)prio << SEQ_BITS | s->seq++;
}

int spk_sched_push(struct spk_sched *s, uint64_t cycle, uint32_t prio, uint32_t target,
		   uint32_t arg)
{
	struct spk_sched_entry e;

	assert(target <= SPK_SCHED_MAX_TARGET);
	assert(cycle >= s->now && "event scheduled in the past");
	if (s->len == s->cap)
		return -ENOSPC;
	e.cycle = cycle;
	e.key = make_key(s, prio);
	e.target = target;
	e.arg = arg;
	sift_up(s, s->len++, e);
	return 0;
}

int spk_sched_wake(struct spk_sched *s, uint32_t target, uint64_t cycle, uint32_t prio)
{
	struct spk_sched_entry e;
	int64_t i;

	assert(target < s->n_targets);
	assert(prio <= SPK_SCHED_MAX_PRIO);
	assert(cycle >= s->now && "wake-up scheduled in the past");
	i = s->pos[target];
	if (i >= 0) {
		const struct spk_sched_entry *old = &s->heap[i];
		uint32_t old_prio = (uint32_t)(old->key >> SEQ_BITS);

		if (old->cycle < cycle || (old->cycle == cycle && old_prio <= prio))
			return 0;
		/* Earlier: the key only decreases, so the entry can only move up. */
		e = *old;
		e.cycle = cycle;
		e.key = make_key(s, prio);
		sift_up(s, (size_t)i, e);
		return 0;
	}
	if (s->len == s->cap)
		return -ENOSPC;
	e.cycle = cycle;
	e.key = make_key(s, prio);
	e.target = target | WAKE_BIT;
	e.arg = 0;
	sift_up(s, s->len++, e);
	return 0;
}

bool spk_sched_pending(const struct spk_sched *s, uint32_t target, uint64_t *cycle)
{
	assert(target < s->n_targets);
	if (s->pos[target] < 0)
		return false;
	if (cycle != NULL)
		*cycle = s->heap[s->pos[target]].cycle;
	return true;
}

int spk_sched_pop(struct spk_sched *s, struct spk_sched_event *ev)
{
	struct spk_sched_entry top;

	if (s->len == 0)
		return -ENOENT;
	top = s->heap[0];
	if (top.target & WAKE_BIT)
		s->pos[top.target & ~WAKE_BIT] = -1;
	if (--s->len > 0)
		sift_down(s, 0, s->heap[s->len]);
	ev->cycle = top.cycle;
	ev->seq = top.key & SEQ_MASK;
	ev->prio = (uint32_t)(top.key >> SEQ_BITS);
	ev->target = top.target & ~WAKE_BIT;
	ev->arg = top.arg;
	ev->wake = (top.target & WAKE_BIT) != 0;
	s->now = top.cycle;
	return 0;
}

int spk_sched_peek(const struct spk_sched *s, struct spk_sched_event *ev)
{
	const struct spk_sched_entry *top;

	if (s->len == 0)
		return -ENOENT;
	top = &s->heap[0];
	ev->cycle = top->cycle;
	ev->seq = top->key & SEQ_MASK;
	ev->prio = (uint32_t)(top->key >> SEQ_BITS);
	ev->target = top->target & ~WAKE_BIT;
	ev->arg = top->arg;
	ev->wake = (top->target & WAKE_BIT) != 0;
	return 0;
}

void spk_sched_rewake_first(struct spk_sched *s, uint64_t cycle, uint32_t prio)
{
	struct spk_sched_entry e;

	assert(s->len > 0 && (s->heap[0].target & WAKE_BIT));
	assert(cycle >= s->heap[0].cycle && "wake-up scheduled in the past");
	e = s->heap[0];
	s->now = e.cycle;
	e.cycle = cycle;
	e.key = make_key(s, prio);
	/* The entry only moves later: down from the root (pos[] follows it). */
	sift_down(s, 0, e);
}
