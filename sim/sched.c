/*
 * sched.c — the event queue (see sched.h): a binary min-heap over (cycle, key), where key packs
 * the priority above a 48-bit sequence number, so that one 128-bit comparison orders events by
 * (cycle, priority, sequence number); beside it a calendar of near wake-ups at priority 0.
 *
 * Wake-ups in the heap are ordinary entries marked by bit 31 of target; pos[target] follows the
 * entry as the heap moves it, so that a wake-up can be found and moved earlier (decrease-key) in
 * O(log n). Every store into the heap goes through place(), which keeps pos[] right.
 *
 * The calendar keeps a FIFO per cycle of the window [now, now + SPK_SCHED_NEAR) in a ring of
 * buckets, linked through the targets (a target has at most one wake-up); its entries are in
 * sequence order, since each was appended with a fresh sequence number. Its first cycle is kept
 * (cal_first); when that bucket empties, the next non-empty one is a rotate and a count of
 * trailing zeros of cal_mask away. Because time never goes back, an entry for a cycle in
 * [now, now + NEAR) when it was linked stays in the window, and a bucket never mixes two
 * cycles. Entries never move between the heap and the calendar except when a wake-up is
 * replaced or re-woken (the new one goes where its own cycle and priority say): which structure
 * holds an event changes nothing about its place in the order, only what finding it costs.
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
#define NEAR SPK_SCHED_NEAR
#define NIL UINT32_MAX

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

		if (c >= s->hlen)
			break;
		if (c + 1 < s->hlen && before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!before(&s->heap[c], &e))
			break;
		place(s, i, &s->heap[c]);
		i = c;
	}
	place(s, i, &e);
}

/* Takes heap entry i out (its pos[] is the caller's). */
static void heap_delete(struct spk_sched *s, size_t i)
{
	struct spk_sched_entry last = s->heap[--s->hlen];

	if (i == s->hlen)
		return;
	if (i > 0 && before(&last, &s->heap[(i - 1) / 2]))
		sift_up(s, i, last);
	else
		sift_down(s, i, last);
}

/* True if a wake-up of target at (cycle, prio) belongs in the calendar. */
static inline bool near(const struct spk_sched *s, uint64_t cycle, uint32_t prio)
{
	return prio == 0 && cycle - s->now < NEAR;
}

/* Appends target's wake-up at cycle, sequence number seq, to its bucket. */
static inline void cal_link(struct spk_sched *s, uint32_t target, uint64_t cycle, uint64_t seq)
{
	unsigned b = (unsigned)cycle & (NEAR - 1);
	struct spk_sched_link *l = &s->link[target];
	uint32_t tail = s->cal_tail[b];

	l->cycle = cycle;
	l->seq = seq;
	l->next = NIL;
	l->prev = tail;
	if (tail == NIL)
		s->cal_head[b] = target;
	else
		s->link[tail].next = target;
	s->cal_tail[b] = target;
	s->cal_mask |= UINT64_C(1) << b;
	if (cycle < s->cal_first)
		s->cal_first = cycle;
	s->pos[target] = SPK_SCHED_IN_CAL;
}

/*
 * Bucket b (of the cycle `cycle`) just became empty: if it held the calendar's first wake-up,
 * the next non-empty bucket from there on holds it now (all entries lie in [cycle, cycle + NEAR)).
 */
static inline void cal_emptied(struct spk_sched *s, unsigned b, uint64_t cycle)
{
	uint64_t m;

	s->cal_mask &= ~(UINT64_C(1) << b);
	if (cycle != s->cal_first)
		return;
	m = s->cal_mask;
	if (m == 0) {
		s->cal_first = UINT64_MAX;
		return;
	}
	m = m >> b | m << ((NEAR - b) & (NEAR - 1));
	s->cal_first = cycle + (uint64_t)__builtin_ctzll(m);
}

/* Takes target's wake-up out of its bucket (pos[] is the caller's). */
static void cal_unlink(struct spk_sched *s, uint32_t target)
{
	const struct spk_sched_link *l = &s->link[target];
	unsigned b = (unsigned)l->cycle & (NEAR - 1);

	if (l->prev == NIL)
		s->cal_head[b] = l->next;
	else
		s->link[l->prev].next = l->next;
	if (l->next == NIL)
		s->cal_tail[b] = l->prev;
	else
		s->link[l->next].prev = l->prev;
	if (s->cal_head[b] == NIL)
		cal_emptied(s, b, l->cycle);
}

/* Takes the calendar's first wake-up, target t, out (pos[] is the caller's). */
static inline void cal_unlink_first(struct spk_sched *s, uint32_t t)
{
	uint64_t cycle = s->link[t].cycle;
	unsigned b = (unsigned)cycle & (NEAR - 1);
	uint32_t next = s->link[t].next;

	s->cal_head[b] = next;
	if (next == NIL) {
		s->cal_tail[b] = NIL;
		cal_emptied(s, b, cycle);
	} else {
		s->link[next].prev = NIL;
	}
}

/* Inserts a new heap entry (room checked by the caller). */
static void heap_insert(struct spk_sched *s, uint64_t cycle, uint64_t key, uint32_t target,
			uint32_t arg)
{
	struct spk_sched_entry e;

	e.cycle = cycle;
	e.key = key;
	e.target = target;
	e.arg = arg;
	sift_up(s, s->hlen++, e);
}

/*
 * Where the first event is: the target of the calendar's first wake-up if it comes before the
 * heap's first, else NIL (the heap's root). Assumes a non-empty queue.
 */
static inline uint32_t first_in_cal(const struct spk_sched *s)
{
	uint64_t c = s->cal_first;
	uint32_t t;

	if (c == UINT64_MAX)
		return NIL;
	t = s->cal_head[(unsigned)c & (NEAR - 1)];
	if (s->hlen > 0 && (s->heap[0].cycle < c ||
			    (s->heap[0].cycle == c && s->heap[0].key < s->link[t].seq)))
		return NIL;
	return t;
}

int spk_sched_init(struct spk_sched *s, size_t capacity, uint32_t n_targets)
{
	memset(s, 0, sizeof(*s));
	assert(n_targets <= SPK_SCHED_MAX_TARGET);
	s->pos = malloc((n_targets > 0 ? n_targets : 1) * sizeof(*s->pos));
	s->link = malloc((n_targets > 0 ? n_targets : 1) * sizeof(*s->link));
	if (s->pos == NULL || s->link == NULL)
		goto out_fini;
	s->n_targets = n_targets;
	for (uint32_t t = 0; t < n_targets; t++)
		s->pos[t] = -1;
	for (unsigned b = 0; b < NEAR; b++)
		s->cal_head[b] = s->cal_tail[b] = NIL;
	s->cal_first = UINT64_MAX;
	if (spk_sched_reserve(s, capacity > 0 ? capacity : 1) < 0)
		goto out_fini;
	return 0;

out_fini:
	spk_sched_fini(s);
	return -ENOMEM;
}

void spk_sched_fini(struct spk_sched *s)
{
	free(s->heap);
	free(s->pos);
	free(s->link);
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
	for (uint32_t t = 0; t < s->n_targets; t++)
		s->pos[t] = -1;
	for (unsigned b = 0; b < NEAR; b++)
		s->cal_head[b] = s->cal_tail[b] = NIL;
	s->cal_mask = 0;
	s->cal_first = UINT64_MAX;
	s->hlen = 0;
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
	assert(target <= SPK_SCHED_MAX_TARGET);
	assert(cycle >= s->now && "event scheduled in the past");
	if (s->len == s->cap)
		return -ENOSPC;
	heap_insert(s, cycle, make_key(s, prio), target, arg);
	s->len++;
	return 0;
}

int spk_sched_wake(struct spk_sched *s, uint32_t target, uint64_t cycle, uint32_t prio)
{
	int64_t i;
	uint64_t key;

	assert(target < s->n_targets);
	assert(prio <= SPK_SCHED_MAX_PRIO);
	assert(cycle >= s->now && "wake-up scheduled in the past");
	i = s->pos[target];
	if (i == SPK_SCHED_IN_CAL) {
		/* priority 0 there: only an earlier cycle replaces it */
		if (s->link[target].cycle <= cycle)
			return 0;
		cal_unlink(s, target);
		key = make_key(s, prio);
		if (prio == 0)		/* earlier than a near one: near too */
			cal_link(s, target, cycle, key);
		else
			heap_insert(s, cycle, key, target | WAKE_BIT, 0);
		return 0;
	}
	if (i >= 0) {
		const struct spk_sched_entry *old = &s->heap[i];
		uint32_t old_prio = (uint32_t)(old->key >> SEQ_BITS);
		struct spk_sched_entry e;

		if (old->cycle < cycle || (old->cycle == cycle && old_prio <= prio))
			return 0;
		key = make_key(s, prio);
		if (near(s, cycle, prio)) {
			heap_delete(s, (size_t)i);
			cal_link(s, target, cycle, key);
			return 0;
		}
		/* Earlier: the key only decreases, so the entry can only move up. */
		e = *old;
		e.cycle = cycle;
		e.key = key;
		sift_up(s, (size_t)i, e);
		return 0;
	}
	if (s->len == s->cap)
		return -ENOSPC;
	key = make_key(s, prio);
	if (near(s, cycle, prio))
		cal_link(s, target, cycle, key);
	else
		heap_insert(s, cycle, key, target | WAKE_BIT, 0);
	s->len++;
	return 0;
}

bool spk_sched_pending(const struct spk_sched *s, uint32_t target, uint64_t *cycle)
{
	assert(target < s->n_targets);
	if (s->pos[target] == -1)
		return false;
	if (cycle != NULL)
		*cycle = s->pos[target] == SPK_SCHED_IN_CAL ? s->link[target].cycle :
			 s->heap[s->pos[target]].cycle;
	return true;
}

/* The calendar's wake-up of target as an event. */
static void cal_event(const struct spk_sched *s, uint32_t t, struct spk_sched_event *ev)
{
	ev->cycle = s->link[t].cycle;
	ev->seq = s->link[t].seq;
	ev->prio = 0;
	ev->target = t;
	ev->arg = 0;
	ev->wake = true;
}

/* Heap entry e as an event. */
static void heap_event(const struct spk_sched_entry *e, struct spk_sched_event *ev)
{
	ev->cycle = e->cycle;
	ev->seq = e->key & SEQ_MASK;
	ev->prio = (uint32_t)(e->key >> SEQ_BITS);
	ev->target = e->target & ~WAKE_BIT;
	ev->arg = e->arg;
	ev->wake = (e->target & WAKE_BIT) != 0;
}

int spk_sched_pop(struct spk_sched *s, struct spk_sched_event *ev)
{
	struct spk_sched_entry top;
	uint32_t t;

	if (s->len == 0)
		return -ENOENT;
	s->len--;
	t = first_in_cal(s);
	if (t != NIL) {
		cal_event(s, t, ev);
		cal_unlink_first(s, t);
		s->pos[t] = -1;
		s->now = ev->cycle;
		return 0;
	}
	top = s->heap[0];
	if (top.target & WAKE_BIT)
		s->pos[top.target & ~WAKE_BIT] = -1;
	if (--s->hlen > 0)
		sift_down(s, 0, s->heap[s->hlen]);
	heap_event(&top, ev);
	s->now = top.cycle;
	return 0;
}

int spk_sched_peek(const struct spk_sched *s, struct spk_sched_event *ev)
{
	uint32_t t;

	if (s->len == 0)
		return -ENOENT;
	t = first_in_cal(s);
	if (t != NIL)
		cal_event(s, t, ev);
	else
		heap_event(&s->heap[0], ev);
	return 0;
}

void spk_sched_rewake_first(struct spk_sched *s, uint64_t cycle, uint32_t prio)
{
	struct spk_sched_entry e;
	uint32_t t;
	uint64_t key;

	assert(s->len > 0);
	t = first_in_cal(s);
	if (t != NIL) {
		assert(cycle >= s->link[t].cycle && "wake-up scheduled in the past");
		s->now = s->link[t].cycle;
		cal_unlink_first(s, t);
		key = make_key(s, prio);
		if (near(s, cycle, prio)) {
			cal_link(s, t, cycle, key);
		} else {
			s->pos[t] = -1;
			heap_insert(s, cycle, key, t | WAKE_BIT, 0);
		}
		return;
	}
	assert(s->heap[0].target & WAKE_BIT);
	assert(cycle >= s->heap[0].cycle && "wake-up scheduled in the past");
	e = s->heap[0];
	s->now = e.cycle;
	key = make_key(s, prio);
	if (near(s, cycle, prio)) {
		t = e.target & ~WAKE_BIT;
		if (--s->hlen > 0)
			sift_down(s, 0, s->heap[s->hlen]);
		cal_link(s, t, cycle, key);
		return;
	}
	e.cycle = cycle;
	e.key = key;
	/* The entry only moves later: down from the root (pos[] follows it). */
	sift_down(s, 0, e);
}
