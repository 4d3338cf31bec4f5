/*
 * tmpfiles.h — temporary output files removed when a signal ends the program.
 *
 * Every output file is written to a temporary name and renamed when complete (util/outfile.h,
 * traces/trace.c). A command stopped by Ctrl-C, SIGTERM or SIGHUP would leave that temporary
 * file behind; registering it here makes the first such signal unlink every registered file
 * of this process, then end the program as the signal would have (default action, re-raised).
 *
 *   spk_tmpfile_add(tmp);      after creating it
 *   spk_tmpfile_drop(tmp);     after renaming or removing it yourself
 *
 * At most SPK_TMPFILES_MAX files at once (a command writes a handful); beyond that a file is
 * simply not protected. Paths are copied. Only the process that registered a file removes it
 * (a forked worker's signal does not touch its parent's files, nor the reverse). Not thread-
 * safe: register from the main thread.
 */
#ifndef SPK_TMPFILES_H
#define SPK_TMPFILES_H

#define SPK_TMPFILES_MAX 32

void spk_tmpfile_add(const char *path);
void spk_tmpfile_drop(const char *path);

/*
 * Also call fn (async-signal-safe calls only, e.g. kill()) from the same handler, before the
 * files are removed, in this process only (not in children forked later): a parent that runs
 * children (spikechip sweep) stops them when it is stopped.
 */
void spk_tmpfile_signal_hook(void (*fn)(void));

#endif
