/*
 * tmpfiles.c — see tmpfiles.h. The handler uses only async-signal-safe calls (getpid, unlink,
 * sigaction, raise); the table is written with the signals blocked, so the handler never sees
 * a half-made entry.
 */
#include "config.h"

#include "util/tmpfiles.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

static struct {
	char *path;
	pid_t owner;
} table[SPK_TMPFILES_MAX];
static int installed;
static void (*hook)(void);
static pid_t hook_owner;

static void on_signal(int sig)
{
	pid_t me = getpid();
	struct sigaction dfl;

	if (hook != NULL && hook_owner == me)
		hook();
	for (int i = 0; i < SPK_TMPFILES_MAX; i++)
		if (table[i].path != NULL && table[i].owner == me)
			unlink(table[i].path);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void install(void)
{
	struct sigaction sa, cur;

	installed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* an ignored signal (nohup) stays ignored */
		if (sigaction(sigs[i], NULL, &cur) == 0 && cur.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

void spk_tmpfile_add(const char *path)
{
	sigset_t old;
	char *copy = strdup(path);

	if (copy == NULL)
		return;
	block(&old);
	if (!installed)
		install();
	for (int i = 0; i < SPK_TMPFILES_MAX; i++) {
		if (table[i].path == NULL) {
			table[i].owner = getpid();
			table[i].path = copy;
			copy = NULL;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(copy);
}

void spk_tmpfile_drop(const char *path)
{
	sigset_t old;
	char *gone = NULL;

	block(&old);
	for (int i = 0; i < SPK_TMPFILES_MAX; i++) {
		if (table[i].path != NULL && strcmp(table[i].path, path) == 0) {
			gone = table[i].path;
			table[i].path = NULL;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(gone);
}

void spk_tmpfile_signal_hook(void (*fn)(void))
{
	sigset_t old;

	block(&old);
	if (!installed)
		install();
	hook = fn;
	hook_owner = getpid();
	sigprocmask(SIG_SETMASK, &old, NULL);
}
