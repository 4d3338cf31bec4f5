/*
 * test_jobs.c — unit tests of the worker-process runner (sim/jobs.c): results merged strictly in
 * item order whatever the number of jobs and whatever order workers finish in, and some results
 * larger than a pipe's buffer; progress ticks summed over workers; the first failure in item
 * order reported with its status and message, nothing after it merged, while a later item fails
 * earlier in time; a worker killed by a signal reported as its item's failure; a failing merge.
 *
 * The order in which workers finish is forced, not hoped for with sleeps: with J workers, the
 * items of each round (r·J .. r·J + J − 1, one per worker) finish last first — item k waits,
 * on a pipe, for item k + 1 of its round to finish (a baton passed down the round). A worker
 * takes its items in increasing order, so no item waits for one that comes after it in its
 * own worker: no deadlock.
 */
#include "config.h"

#include "sim/jobs.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define N_ITEMS 9

struct ctx {
	uint32_t n;
	int fail_item[2];		/* items whose run() fails (-1: none) */
	int fail_status[2];
	int crash_item;			/* item whose worker is killed (-1: none) */
	int merge_fail_item;		/* item whose merge fails (-1: none) */
	uint32_t jobs;			/* workers (at most N_ITEMS); 1: no batons */
	int baton[N_ITEMS][2];		/* baton[k]: item k + 1 is done (pipe) */
	uint32_t merged[N_ITEMS];
	uint32_t n_merged;
	uint64_t progress;
};

static size_t blob_size(uint32_t k)
{
	return (k % 3 == 1) ? 100000 + k : 8 + k;	/* some beyond a pipe's 64 KiB */
}

static int run(void *vctx, struct spk_jobs_worker *w, uint32_t k, void **blob, size_t *len,
	       char *err, size_t errlen)
{
	struct ctx *c = vctx;
	unsigned char *b, x = 1;

	/* the rest of this item's round finishes first, last item first */
	if (c->jobs > 1 && k + 1 < c->n && (k + 1) % c->jobs != 0)
		assert_int_equal(read(c->baton[k][0], &x, 1), 1);
	spk_jobs_tick(w, 1);
	if (c->jobs > 1 && k % c->jobs != 0)
		assert_int_equal(write(c->baton[k - 1][1], &x, 1), 1);
	for (int i = 0; i < 2; i++)
		if ((int)k == c->fail_item[i]) {
			snprintf(err, errlen, "item %u failed", k);
			return c->fail_status[i];
		}
	if ((int)k == c->crash_item)
		raise(SIGKILL);
	*len = blob_size(k);
	b = malloc(*len);
	if (b == NULL)
		return 1;
	for (size_t i = 0; i < *len; i++)
		b[i] = (unsigned char)(k * 7 + i);
	*blob = b;
	spk_jobs_tick(w, 2);
	return 0;
}

static int merge(void *vctx, uint32_t k, const void *blob, size_t len, char *err, size_t errlen)
{
	struct ctx *c = vctx;
	const unsigned char *b = blob;

	assert_int_equal(len, blob_size(k));
	for (size_t i = 0; i < len; i++)
		assert_int_equal(b[i], (unsigned char)(k * 7 + i));
	if ((int)k == c->merge_fail_item) {
		snprintf(err, errlen, "merge of %u failed", k);
		return 4;
	}
	assert_true(c->n_merged < N_ITEMS);
	c->merged[c->n_merged++] = k;
	return 0;
}

static void progress(void *vctx, uint64_t done)
{
	struct ctx *c = vctx;

	assert_true(done > c->progress);
	c->progress = done;
}

static const struct spk_jobs_ops ops = { .run = run, .merge = merge, .progress = progress };

static void reset(struct ctx *c, uint32_t jobs)
{
	memset(c, 0, sizeof(*c));
	c->n = N_ITEMS;
	c->fail_item[0] = c->fail_item[1] = -1;
	c->crash_item = -1;
	c->merge_fail_item = -1;
	c->jobs = jobs < N_ITEMS ? jobs : N_ITEMS;
	for (uint32_t k = 0; k < N_ITEMS; k++)
		assert_int_equal(pipe(c->baton[k]), 0);
}

static void done(struct ctx *c)
{
	for (uint32_t k = 0; k < N_ITEMS; k++) {
		close(c->baton[k][0]);
		close(c->baton[k][1]);
	}
}

static void test_all_in_order(void **state)
{
	(void)state;
	for (uint32_t jobs = 1; jobs <= N_ITEMS + 2; jobs++) {
		struct ctx c;
		struct spk_jobs_failure f;

		reset(&c, jobs);
		assert_int_equal(spk_jobs_run(N_ITEMS, jobs, &ops, &c, &f), 0);
		done(&c);
		assert_int_equal(c.n_merged, N_ITEMS);
		for (uint32_t k = 0; k < N_ITEMS; k++)
			assert_int_equal(c.merged[k], k);
		assert_int_equal(c.progress, 3 * N_ITEMS);
	}
}

static void test_first_failure(void **state)
{
	(void)state;
	for (uint32_t jobs = 1; jobs <= 4; jobs++) {
		struct ctx c;
		struct spk_jobs_failure f;

		/* item `first` fails; so does the last item of its round, earlier in time (with
		 * one job: later, in the same process) */
		uint32_t first = jobs > 1 ? jobs : 2, later = jobs > 1 ? 2 * jobs - 1 : 6;
		char msg[32];

		reset(&c, jobs);
		c.fail_item[0] = (int)later;
		c.fail_status[0] = 3;
		c.fail_item[1] = (int)first;
		c.fail_status[1] = 1;
		assert_int_equal(spk_jobs_run(N_ITEMS, jobs, &ops, &c, &f), -1);
		done(&c);
		assert_int_equal(f.item, first);
		assert_int_equal(f.status, 1);
		snprintf(msg, sizeof(msg), "item %u failed", first);
		assert_string_equal(f.msg, msg);
		assert_int_equal(c.n_merged, first);
		for (uint32_t k = 0; k < first; k++)
			assert_int_equal(c.merged[k], k);
	}
}

static void test_killed_worker(void **state)
{
	(void)state;
	for (uint32_t jobs = 2; jobs <= 4; jobs++) {
		struct ctx c;
		struct spk_jobs_failure f;

		reset(&c, jobs);
		c.crash_item = 5;
		assert_int_equal(spk_jobs_run(N_ITEMS, jobs, &ops, &c, &f), -1);
		done(&c);
		assert_int_equal(f.item, 5);
		assert_int_equal(f.status, 1);
		assert_non_null(strstr(f.msg, "signal"));
		assert_int_equal(c.n_merged, 5);
	}
}

static void test_merge_failure(void **state)
{
	(void)state;
	for (uint32_t jobs = 1; jobs <= 3; jobs++) {
		struct ctx c;
		struct spk_jobs_failure f;

		reset(&c, jobs);
		c.merge_fail_item = 3;
		assert_int_equal(spk_jobs_run(N_ITEMS, jobs, &ops, &c, &f), -1);
		done(&c);
		assert_int_equal(f.item, 3);
		assert_int_equal(f.status, 4);
		assert_string_equal(f.msg, "merge of 3 failed");
		assert_int_equal(c.n_merged, 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_in_order),
		cmocka_unit_test(test_first_failure),
		cmocka_unit_test(test_killed_worker),
		cmocka_unit_test(test_merge_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
