/*
 * progress.h — the progress bar of the long-running commands (`spikechip ref`, `spikechip sim`)
 * on stderr:
 *
 *   [=====>                        ] 123/10000  45.6 img/s  ETA 3m41s
 *
 * redrawn in place (carriage return) at most ten times a second, and once more, ending the
 * line, when the work is done. The rate is items since spk_progress_init() over the wall time
 * since then (util.h spk_now()).
 *
 * Ownership: the caller allocates struct spk_progress (it holds no resource). The commands show
 * the bar only when stderr is a terminal; that choice is theirs.
 */
#ifndef SPK_PROGRESS_H
#define SPK_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct spk_progress {
	double t0;		/* when counting started */
	double last;		/* the last redraw */
	uint32_t total;		/* items to do */
};

/* Starts counting now towards total items. */
void spk_progress_init(struct spk_progress *p, uint32_t total);

/* done of total items are done; final draws even within 0.1 s of the last redraw and ends the
 * line. */
void spk_progress_show(struct spk_progress *p, uint32_t done, bool final);

#endif
