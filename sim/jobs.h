/*
 * jobs.h — runs numbered work items over N worker processes and hands their results back to
 * the parent in item order, so that what the parent builds from them does not depend on N.
 *
 * `spikechip sim --jobs N` uses it with one item per segment of images (doc/simulator.md): a
 * worker runs its segments on its own chip and sends each segment's result as one opaque
 * blob; the parent merges the blobs strictly in item order (0, 1, 2, ...), buffering any that
 * arrive early. With N = 1 nothing is forked: the items run in this process, one after the
 * other, through the same run and merge callbacks, so the two paths cannot drift apart.
 *
 * Workers are fork()ed children: they share the parent's loaded inputs (copy on write), take
 * items k ≡ w (mod N) in increasing order, and talk to the parent through one pipe each
 * (framed messages: progress ticks, a result blob, or a failure with its message). A worker
 * stops at its first failing item. The parent reports the failure of the lowest item whose
 * predecessors all succeeded — the first failure in item order, whatever N — and stops the
 * remaining workers as soon as that is decided (SIGKILL: they hold nothing the parent needs).
 * A worker that dies without saying why (a signal, an exit) fails its first unfinished item.
 *
 * Ownership: the caller owns ctx; a blob returned by run() is malloc()ed and is freed here.
 * Nothing here prints.
 */
#ifndef SPK_JOBS_H
#define SPK_JOBS_H

#include <stddef.h>
#include <stdint.h>

struct spk_jobs_worker;

struct spk_jobs_ops {
	/*
	 * Runs item k (in a worker, or in this process when there is one job). Returns 0 with a
	 * malloc()ed result in *blob (*len bytes; NULL and 0 allowed), or an exit status (> 0)
	 * with a message in err. May call spk_jobs_tick(w, ...) to report progress.
	 */
	int (*run)(void *ctx, struct spk_jobs_worker *w, uint32_t k, void **blob, size_t *len,
		   char *err, size_t errlen);
	/* In the parent, in item order: item k's result. 0, or an exit status with a message. */
	int (*merge)(void *ctx, uint32_t k, const void *blob, size_t len, char *err,
		     size_t errlen);
	/* In the parent: units of progress done so far, all workers together. May be NULL. */
	void (*progress)(void *ctx, uint64_t done);
	/* What an item is called in messages ("segment"); NULL: "item". */
	const char *item_name;
};

/* What stopped a run: the first failing item in item order. */
struct spk_jobs_failure {
	uint32_t item;
	int status;			/* the exit status run() or merge() returned (> 0) */
	char msg[1024];
};

/*
 * Runs items 0..n-1 over `jobs` processes (1: in this process; more than n: n). Returns 0
 * once every item is merged, or -1 with the first failure in *f (items before it are merged,
 * none after). A failure to fork or create a pipe is item 0's, status 1.
 */
int spk_jobs_run(uint32_t n, uint32_t jobs, const struct spk_jobs_ops *ops, void *ctx,
		 struct spk_jobs_failure *f);

/* From run(): `units` more units of progress done (forwarded to the parent's progress()). */
void spk_jobs_tick(struct spk_jobs_worker *w, uint32_t units);

#endif
