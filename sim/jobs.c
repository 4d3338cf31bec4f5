/*
 * jobs.c — work items over worker processes, results merged in item order (sim/jobs.h).
 *
 * The wire between a worker and the parent is one pipe, written only by that worker. Every
 * message is a header { type, item, value, length } followed by `length` bytes:
 *   TICK    value = units of progress, no payload;
 *   RESULT  item's blob;
 *   FAIL    value = exit status, payload = the message (no terminating NUL).
 * Both ends are the same binary (fork without exec), so the header is a plain struct. The
 * parent polls every worker's pipe and reads a whole message once its header is there (the
 * writer sends the rest right behind it). End of file on a pipe means the worker is done:
 * either it sent every item's result or failure, or it died, and the parent says so.
 */
#include "config.h"

#include "sim/jobs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MSG_TICK = 1, MSG_RESULT = 2, MSG_FAIL = 3 };

struct msg_head {
	uint32_t type;
	uint32_t item;
	int64_t value;
	uint64_t len;
};

struct spk_jobs_worker {
	int fd;				/* write end (in a worker); -1 in process */
	const struct spk_jobs_ops *ops;	/* in process: progress goes straight to ops */
	void *ctx;
	uint64_t done;
};

/* One worker as the parent sees it. */
struct child {
	pid_t pid;
	int fd;				/* read end; -1 once closed */
	uint32_t next;			/* the next item it owes: w, w + N, ... */
};

static void fail(struct spk_jobs_failure *f, uint32_t item, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct spk_jobs_failure *f, uint32_t item, int status, const char *fmt, ...)
{
	va_list ap;

	f->item = item;
	f->status = status;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* 1 read, 0 end of file before any byte, -1 error or end of file inside. */
static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)k;
	}
	return 1;
}

static int send_msg(int fd, uint32_t type, uint32_t item, int64_t value, const void *p,
		    size_t len)
{
	struct msg_head h = { .type = type, .item = item, .value = value, .len = len };

	if (write_full(fd, &h, sizeof(h)) < 0)
		return -1;
	return len > 0 ? write_full(fd, p, len) : 0;
}

void spk_jobs_tick(struct spk_jobs_worker *w, uint32_t units)
{
	if (w->fd >= 0) {
		send_msg(w->fd, MSG_TICK, 0, units, NULL, 0);
		return;
	}
	w->done += units;
	if (w->ops->progress != NULL)
		w->ops->progress(w->ctx, w->done);
}

/* The worker's life: its items in order, each result or its first failure, then exit. */
static void worker_main(int fd, uint32_t w, uint32_t n, uint32_t jobs,
			const struct spk_jobs_ops *ops, void *ctx)
{
	struct spk_jobs_worker wk = { .fd = fd, .ops = ops, .ctx = ctx };
	char err[1024];

	for (uint32_t k = w; k < n; k += jobs) {
		void *blob = NULL;
		size_t len = 0;
		int st;

		err[0] = '\0';
		st = ops->run(ctx, &wk, k, &blob, &len, err, sizeof(err));
		if (st != 0) {
			free(blob);
			send_msg(fd, MSG_FAIL, k, st, err, strlen(err));
			_exit(st);
		}
		if (send_msg(fd, MSG_RESULT, k, 0, blob, len) < 0)
			_exit(1);
		free(blob);
	}
	_exit(0);
}

static int run_in_process(uint32_t n, const struct spk_jobs_ops *ops, void *ctx,
			  struct spk_jobs_failure *f)
{
	struct spk_jobs_worker wk = { .fd = -1, .ops = ops, .ctx = ctx };
	char err[1024];

	for (uint32_t k = 0; k < n; k++) {
		void *blob = NULL;
		size_t len = 0;
		int st;

		err[0] = '\0';
		st = ops->run(ctx, &wk, k, &blob, &len, err, sizeof(err));
		if (st == 0)
			st = ops->merge(ctx, k, blob, len, err, sizeof(err));
		free(blob);
		if (st != 0) {
			fail(f, k, st, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* Why a worker that closed its pipe stopped owing items. */
static void describe_exit(struct spk_jobs_failure *f, const struct spk_jobs_ops *ops,
			  uint32_t item, pid_t pid, int status)
{
	const char *what = ops->item_name != NULL ? ops->item_name : "item";

	if (WIFSIGNALED(status))
		fail(f, item, 1, "worker process %ld was killed by signal %d (%s) in %s %u",
		     (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)), what, item);
	else
		fail(f, item, 1, "worker process %ld exited with status %d before finishing "
		     "%s %u", (long)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1, what, item);
}

int spk_jobs_run(uint32_t n, uint32_t jobs, const struct spk_jobs_ops *ops, void *ctx,
		 struct spk_jobs_failure *f)
{
	struct child *ch = NULL;
	struct pollfd *pf = NULL;
	void **blob = NULL;
	size_t *blen = NULL;
	bool *ready = NULL;
	uint32_t next = 0, first_fail = UINT32_MAX, started = 0;
	uint64_t done = 0;
	struct spk_jobs_failure ff = { 0 };
	int ret = -1;

	memset(f, 0, sizeof(*f));
	if (jobs > n)
		jobs = n;
	if (jobs <= 1)
		return run_in_process(n, ops, ctx, f);

	ch = calloc(jobs, sizeof(*ch));
	pf = calloc(jobs, sizeof(*pf));
	blob = calloc(n, sizeof(*blob));
	blen = calloc(n, sizeof(*blen));
	ready = calloc(n, sizeof(*ready));
	if (ch == NULL || pf == NULL || blob == NULL || blen == NULL || ready == NULL) {
		fail(f, 0, 1, "out of memory for %u jobs", jobs);
		goto out_free;
	}
	fflush(NULL);		/* a worker must not repeat the parent's buffered output */
	for (uint32_t w = 0; w < jobs; w++) {
		int p[2];

		ch[w].fd = -1;
		if (pipe(p) < 0) {
			fail(f, 0, 1, "cannot create a pipe for worker %u: %s", w, strerror(errno));
			goto out_kill;
		}
		ch[w].pid = fork();
		if (ch[w].pid < 0) {
			fail(f, 0, 1, "cannot start worker %u: %s", w, strerror(errno));
			close(p[0]);
			close(p[1]);
			goto out_kill;
		}
		if (ch[w].pid == 0) {
			close(p[0]);
			for (uint32_t v = 0; v < w; v++)
				if (ch[v].fd >= 0)
					close(ch[v].fd);
			signal(SIGPIPE, SIG_DFL);
			worker_main(p[1], w, n, jobs, ops, ctx);
		}
		close(p[1]);
		ch[w].fd = p[0];
		ch[w].next = w;
		started++;
	}

	/* Until every item is merged or the first failure in item order is known. */
	while (next < n && next != first_fail) {
		nfds_t np = 0;

		for (uint32_t w = 0; w < jobs; w++)
			if (ch[w].fd >= 0) {
				pf[np].fd = ch[w].fd;
				pf[np].events = POLLIN;
				pf[np].revents = 0;
				np++;
			}
		if (np == 0) {
			/* every worker gone, yet items missing: cannot happen (each closes owing
			   nothing, or its first unfinished item fails) */
			fail(f, next, 1, "internal error: item %u was never run", next);
			goto out_kill;
		}
		if (poll(pf, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(f, next, 1, "poll: %s", strerror(errno));
			goto out_kill;
		}
		for (nfds_t q = 0; q < np; q++) {
			struct child *c = NULL;
			struct msg_head h;
			int rc;

			if (pf[q].revents == 0)
				continue;
			for (uint32_t w = 0; w < jobs; w++)
				if (ch[w].fd == pf[q].fd)
					c = &ch[w];
			rc = read_full(c->fd, &h, sizeof(h));
			if (rc <= 0) {
				int status = 0;

				close(c->fd);
				c->fd = -1;
				waitpid(c->pid, &status, 0);
				if (c->next < n && c->next < first_fail) {
					describe_exit(&ff, ops, c->next, c->pid, status);
					first_fail = c->next;
				}
				c->pid = 0;
				continue;
			}
			if (h.type == MSG_TICK) {
				done += (uint64_t)h.value;
				if (ops->progress != NULL)
					ops->progress(ctx, done);
				continue;
			}
			if (h.item != c->next || h.len > (1ull << 40) ||
			    (h.type != MSG_RESULT && h.type != MSG_FAIL)) {
				fail(f, c->next, 1, "internal error: garbled message from a worker");
				goto out_kill;
			}
			if (h.type == MSG_FAIL) {
				char *msg = malloc(h.len + 1);

				if (msg == NULL || read_full(c->fd, msg, h.len) < 0) {
					free(msg);
					fail(f, h.item, 1, "lost a worker's failure message");
					goto out_kill;
				}
				msg[h.len] = '\0';
				if (h.item < first_fail) {
					fail(&ff, h.item, (int)h.value, "%s", msg);
					first_fail = h.item;
				}
				free(msg);
				c->next = n;	/* it stops here */
				continue;
			}
			blob[h.item] = h.len > 0 ? malloc(h.len) : NULL;
			if ((h.len > 0 && blob[h.item] == NULL) ||
			    (h.len > 0 && read_full(c->fd, blob[h.item], h.len) <= 0)) {
				fail(f, h.item, 1, "lost item %u's result", h.item);
				goto out_kill;
			}
			blen[h.item] = h.len;
			ready[h.item] = true;
			c->next += jobs;
		}
		while (next < n && next != first_fail && ready[next]) {
			char err[1024] = "";
			int st = ops->merge(ctx, next, blob[next], blen[next], err, sizeof(err));

			free(blob[next]);
			blob[next] = NULL;
			if (st != 0) {
				fail(&ff, next, st, "%s", err);
				first_fail = next;
				break;
			}
			next++;
		}
	}
	if (next == n) {
		ret = 0;
	} else {
		*f = ff;
	}

out_kill:
	for (uint32_t w = 0; w < started; w++) {
		if (ch[w].fd >= 0)
			close(ch[w].fd);
		if (ch[w].pid > 0) {
			kill(ch[w].pid, SIGKILL);
			waitpid(ch[w].pid, NULL, 0);
		}
	}
out_free:
	if (blob != NULL)
		for (uint32_t k = 0; k < n; k++)
			free(blob[k]);
	free(ready);
	free(blen);
	free(blob);
	free(pf);
	free(ch);
	return ret;
}
