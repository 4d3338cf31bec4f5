/*
 * sched.h — the chip top's event queue: events ordered by (cycle, priority, sequence number), so
 * that a block is woken only in the cycles in which it has work and events of one cycle are
 * handled in a fixed order (priority first, then the order they were pushed: libuv timers, gem5
 * event priorities). Same pushes, same pops: deterministic.
 *
 * Two kinds of events share the queue:
 *   - plain events (spk_sched_push): any number per target, each popped once;
 *   - wake-ups (spk_sched_wake): at most one pending per target; waking a target that already
 *     has a pending wake-up keeps the earlier of the two (an earlier one replaces a later one in
 *     place, with a fresh sequence number). This is what the chip top uses: "block b has work at
 *     cycle c" said many times costs one event.
 * Time never goes back: an event may not be pushed for a cycle before the last popped one
 * (an assert).
 *
 * Two structures hold the events, one order over both. Wake-ups at priority 0 for one of the
 * SPK_SCHED_NEAR cycles from the last popped one on (the chip top's: almost all for the next
 * cycle) go into a calendar, a FIFO per cycle in a ring of buckets, at O(1) per operation; a
 * FIFO is in sequence order because every entry comes with a fresh sequence number. Everything
 * else (plain events, other priorities, far wake-ups) goes into a binary heap. The first event
 * is the earlier of the calendar's first and the heap's first by the full (cycle, priority,
 * sequence) key, so the pop order is exactly that of one heap.
 *
 * Memory: the heap and the calendar's per-target links are allocated by spk_sched_init(); the
 * heap grows only through spk_sched_reserve(), between runs; a new event beyond the capacity is
 * refused (-ENOSPC) rather than allocating on the hot path. Heap operations are O(log n).
 *
 * Ownership: the caller allocates struct spk_sched; spk_sched_init()/spk_sched_fini().
 */
#ifndef SPK_SCHED_H
#define SPK_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest priority (lower runs first within a cycle). */
#define SPK_SCHED_MAX_PRIO 0x7fffu
/* Largest target id (and number of targets). */
#define SPK_SCHED_MAX_TARGET 0x7fffffffu

struct spk_sched_event {
	uint64_t cycle;
	uint64_t seq;			/* order of push among equal (cycle, priority) */
	uint32_t prio;
	uint32_t target;		/* the block to run */
	uint32_t arg;			/* the caller's (0 for wake-ups) */
	bool wake;			/* a wake-up (spk_sched_wake) rather than a plain event */
};

/* Internal heap entry: the ordering key packed into two words. */
struct spk_sched_entry {
	uint64_t cycle;
	uint64_t key;			/* prio << 48 | seq */
	uint32_t target;		/* bit 31: wake-up */
	uint32_t arg;
};

/* Cycles the calendar covers from the last popped one (one bit each in cal_mask). */
#define SPK_SCHED_NEAR 64u

/* A target's wake-up in the calendar: its bucket's doubly linked FIFO. */
struct spk_sched_link {
	uint64_t cycle;
	uint64_t seq;			/* priority 0: the key is the sequence number */
	uint32_t next, prev;		/* targets, or UINT32_MAX */
};

struct spk_sched {
	struct spk_sched_entry *heap;
	size_t hlen, cap;		/* heap entries; most events (heap and calendar) */
	size_t len;			/* events pending, heap and calendar */
	int64_t *pos;			/* [n_targets] heap index of the target's wake-up, -1
					   none, SPK_SCHED_IN_CAL in the calendar */
	uint32_t n_targets;
	uint64_t seq;			/* next sequence number */
	uint64_t now;			/* cycle of the last popped event */
	/* Calendar: bucket c mod SPK_SCHED_NEAR holds the wake-ups for cycle c, now <= c <
	 * now + SPK_SCHED_NEAR (so one cycle per bucket), oldest first. */
	struct spk_sched_link *link;	/* [n_targets] */
	uint64_t cal_first;		/* cycle of the calendar's first wake-up, or UINT64_MAX */
	uint64_t cal_mask;		/* bit b: bucket b is not empty */
	uint32_t cal_head[SPK_SCHED_NEAR], cal_tail[SPK_SCHED_NEAR];
};

#define SPK_SCHED_IN_CAL (-2)

/*
 * An empty queue for up to `capacity` pending events and wake-ups of targets 0..n_targets-1.
 * Returns 0 or -ENOMEM.
 */
int spk_sched_init(struct spk_sched *s, size_t capacity, uint32_t n_targets);
void spk_sched_fini(struct spk_sched *s);

/* Grows the heap to hold at least `capacity` events (between runs). 0 or -ENOMEM. */
int spk_sched_reserve(struct spk_sched *s, size_t capacity);

/* Empties the queue and restarts time and sequence numbers at 0 (a new run). */
void spk_sched_clear(struct spk_sched *s);

/* Queues a plain event. 0, or -ENOSPC when the heap is full. */
int spk_sched_push(struct spk_sched *s, uint64_t cycle, uint32_t prio, uint32_t target,
		   uint32_t arg);

/*
 * Wakes target at (cycle, prio) unless it already has a wake-up at an earlier or equal
 * (cycle, prio). 0, or -ENOSPC when a new entry is needed and the heap is full.
 */
int spk_sched_wake(struct spk_sched *s, uint32_t target, uint64_t cycle, uint32_t prio);

/* True if target has a pending wake-up; its cycle in *cycle (may be NULL). */
bool spk_sched_pending(const struct spk_sched *s, uint32_t target, uint64_t *cycle);

static inline bool spk_sched_empty(const struct spk_sched *s)
{
	return s->len == 0;
}

/* The cycle of the next event; UINT64_MAX when empty. */
static inline uint64_t spk_sched_next_cycle(const struct spk_sched *s)
{
	uint64_t c = s->cal_first;

	if (s->hlen > 0 && s->heap[0].cycle < c)
		c = s->heap[0].cycle;
	return c;
}

/* Removes the first event into *ev. 0, or -ENOENT when empty. */
int spk_sched_pop(struct spk_sched *s, struct spk_sched_event *ev);

/* The first event into *ev, leaving it queued. 0, or -ENOENT when empty. */
int spk_sched_peek(const struct spk_sched *s, struct spk_sched_event *ev);

/*
 * Replaces the first event, a wake-up, by a wake-up of the same target at (cycle, prio), cycle
 * no earlier than the first event's: exactly spk_sched_pop() then spk_sched_wake(), sequence
 * number included, in one step instead of two (a block that is evaluated and has work again).
 */
void spk_sched_rewake_first(struct spk_sched *s, uint64_t cycle, uint32_t prio);

#endif
