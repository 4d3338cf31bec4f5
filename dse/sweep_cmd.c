/*
 * sweep_cmd.c — `spikechip sweep`: design-space exploration over architectures (doc/dse.md).
 *
 * Locally (--jobs N) the points run in child processes, N at a time, after the distinct chip
 * images have been mapped (also N at a time, so that two points never map one image twice). Each
 * point's result file is written atomically when it is done, so the command killed and run again
 * computes only the missing points; the merged files do not depend on how the points were run.
 * --emit parallel|slurm writes the same points as GNU parallel's job list or a Slurm array job,
 * each task one `spikechip sweep SPEC --out DIR --point K` (or --task I --tasks T), and a merge.
 */
#include "config.h"

#include "cli/commands.h"
#include "dse/spec.h"
#include "dse/sweep.h"
#include "util/outfile.h"
#include "util/tmpfiles.h"
#include "util/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERRLEN 2048
#define SLURM_MAX_ARRAY 1000	/* Slurm's default MaxArraySize is 1001 */

static void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip sweep SPEC --out DIR [--jobs N] [--pareto OBJECTIVES]\n"
		"       spikechip sweep SPEC --list\n"
		"       spikechip sweep SPEC --out DIR --point K | --task I --tasks T\n"
		"       spikechip sweep SPEC --out DIR --merge [--pareto OBJECTIVES]\n"
		"       spikechip sweep SPEC --out DIR --emit parallel|slurm [--pareto OBJECTIVES]\n"
		"                                [--slurm-option OPT]...\n"
		"\n"
		"Design-space exploration: every point of the sweep file SPEC (doc/dse.md: a base\n"
		"architecture, models, images and the axes to vary) is resolved and validated,\n"
		"compiled (points that share every mapping parameter share one chip image) and\n"
		"simulated with --check; its result goes to DIR/points/K.json, and all of them are\n"
		"merged into DIR/results.csv and DIR/results.json. An invalid architecture or a\n"
		"model that does not fit is recorded as such, not fatal. Run again after an\n"
		"interruption, the same command computes only the missing points.\n"
		"\n"
		"options:\n"
		"  --out DIR            the sweep's directory (created; must hold this SPEC's sweep)\n"
		"  --jobs N             run N points at a time (default: the online CPUs)\n"
		"  --pareto OBJECTIVES  mark the non-dominated points and print the front; a comma\n"
		"                       list of energy, latency, accuracy, area (the chip's area at\n"
		"                       45 nm as `arch show --area` gives it, metric area_mm2;\n"
		"                       yosys synthesises each distinct network once, then cached)\n"
		"  --list               print the points and their values, run nothing\n"
		"  --point K            run point K only (0-based; what a parallel or Slurm task runs)\n"
		"  --task I --tasks T   run points I, I+T, I+2T, ... (a Slurm array task)\n"
		"  --merge              merge the recorded points only (exit 1 if some are missing)\n"
		"  --emit parallel      write DIR/parallel.jobs (GNU parallel's job list, one point\n"
		"                       per line) and DIR/run-parallel.sh, which runs it and merges\n"
		"  --emit slurm         write DIR/slurm/points.sbatch (an array job, memory and time\n"
		"                       per task from a measured one-image run of each chip image),\n"
		"                       DIR/slurm/merge.sbatch and DIR/slurm/submit.sh, which submits\n"
		"                       both (the merge after the array, whatever its tasks' end)\n"
		"  --slurm-option OPT   an extra #SBATCH line for both scripts (e.g. --partition=p)\n"
		"  -h, --help           show this help\n"
		"\n"
		"exit status: 0 every point recorded, 1 a point could not be run or recorded (or\n"
		"--merge with missing points), 2 bad option or sweep file.\n");
}

/* ---- the local pool -------------------------------------------------------------------------- */

static pid_t *children;		/* running children (0: free slot), for the signal handler */
static size_t n_children;

/*
 * Stops the running children when the sweep is stopped (util/tmpfiles.h's signal hook), and
 * waits for them, so that nothing is written into DIR once the sweep has exited.
 */
static void stop_children(void)
{
	for (size_t i = 0; i < n_children; i++)
		if (children[i] > 0)
			kill(children[i], SIGTERM);
	for (size_t i = 0; i < n_children; i++)
		if (children[i] > 0)
			waitpid(children[i], NULL, 0);
}

enum task_kind { TASK_MAP, TASK_POINT };

/*
 * Runs task(k) for every k of list[n] in child processes, jobs at a time; done(k, ok) after
 * each. Returns the number of tasks that failed.
 */
static uint32_t run_pool(const struct spk_sweep_spec *s, const char *dir, enum task_kind kind,
			 const uint32_t *list, uint32_t n, uint32_t jobs, uint32_t sim_jobs,
			 void (*done)(const char *dir, uint32_t k, bool ok, void *ctx), void *ctx)
{
	uint32_t *slot_k = calloc(jobs, sizeof(*slot_k)), next = 0, running = 0, failed = 0;

	children = calloc(jobs, sizeof(*children));
	n_children = jobs;
	if (slot_k == NULL || children == NULL) {
		spk_error("sweep: out of memory");
		free(slot_k);
		return n;
	}
	while (next < n || running > 0) {
		while (next < n && running < jobs) {
			size_t slot = 0;
			pid_t pid;

			while (children[slot] != 0)
				slot++;
			fflush(stdout);
			fflush(stderr);
			pid = fork();
			if (pid == 0) {
				char err[ERRLEN];
				int rc = kind == TASK_MAP ?
					 spk_sweep_map_point(s, dir, list[next], err, sizeof(err)) :
					 spk_sweep_run_point(s, dir, list[next], sim_jobs, err,
							     sizeof(err));

				if (rc < 0)
					spk_error("sweep: point %u: %s", list[next], err);
				fflush(stdout);
				_exit(rc < 0 ? 1 : 0);
			}
			if (pid < 0) {
				spk_error("sweep: cannot fork: %s", strerror(errno));
				failed += n - next;
				next = n;
				break;
			}
			children[slot] = pid;
			slot_k[slot] = list[next++];
			running++;
		}
		if (running == 0)
			break;
		{
			int st;
			pid_t pid = wait(&st);

			if (pid < 0)
				break;
			for (size_t slot = 0; slot < jobs; slot++) {
				bool ok;

				if (children[slot] != pid)
					continue;
				children[slot] = 0;
				running--;
				ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
				failed += !ok;
				if (done != NULL)
					done(dir, slot_k[slot], ok, ctx);
			}
		}
	}
	free(slot_k);
	free(children);
	children = NULL;
	n_children = 0;
	return failed;
}

struct progress {
	const struct spk_sweep_spec *s;
	uint32_t done, total;
	double t0;
};

static void point_done(const char *dir, uint32_t k, bool ok, void *ctx)
{
	struct progress *p = ctx;
	char label[1024], sum[2048];

	p->done++;
	spk_sweep_point_label(p->s, k, label, sizeof(label));
	if (ok)
		spk_sweep_point_summary(dir, k, sum, sizeof(sum));
	else
		spk_fmt(sum, sizeof(sum), "not recorded (see the message above)");
	printf("[%*u/%u] point %u%s%s: %s (%.0f s)\n", p->total >= 100 ? 3 : 2, p->done, p->total,
	       k, label[0] != '\0' ? " " : "", label, sum, spk_now() - p->t0);
	fflush(stdout);
	spk_test_stop("point", p->done);
}

static void map_done(const char *dir, uint32_t k, bool ok, void *ctx)
{
	struct progress *p = ctx;

	(void)dir;
	(void)k;
	(void)ok;
	p->done++;
	if (isatty(2))
		fprintf(stderr, "\rsweep: mapping chip images: %u/%u%s", p->done, p->total,
			p->done == p->total ? "\n" : "");
	else if (p->done == p->total)
		fprintf(stderr, "sweep: mapped %u chip images (%.0f s)\n", p->total,
			spk_now() - p->t0);
}

static int run_local(const struct spk_sweep_spec *s, const char *dir, uint32_t jobs)
{
	uint32_t *pending = malloc(s->n_points * sizeof(*pending)), n = 0, n_maps = 0;
	uint32_t *maps = malloc(s->n_points * sizeof(*maps)), failed, sim_jobs;
	char (*keys)[40] = calloc(s->n_points, sizeof(*keys));
	struct progress pr = { s, 0, 0, spk_now() };

	if (pending == NULL || maps == NULL || keys == NULL) {
		spk_error("sweep: out of memory");
		free(pending);
		free(maps);
		free(keys);
		return SPK_EXIT_FAIL;
	}
	for (uint32_t k = 0; k < s->n_points; k++) {
		char key[40], path[PATH_MAX + 64];
		bool seen = false;

		if (spk_sweep_point_done(dir, k))
			continue;
		pending[n++] = k;
		spk_sweep_point_image_key(s, k, key, sizeof(key));
		if (key[0] == '\0')
			continue;
		spk_fmt(path, sizeof(path), "%s/images/%s.spki", dir, key);
		if (access(path, F_OK) == 0)
			continue;
		spk_fmt(path, sizeof(path), "%s/images/%s.nofit", dir, key);
		if (access(path, F_OK) == 0)
			continue;
		for (uint32_t i = 0; i < n_maps && !seen; i++)
			seen = strcmp(keys[i], key) == 0;
		if (!seen) {
			spk_fmt(keys[n_maps], sizeof(keys[0]), "%s", key);
			maps[n_maps++] = k;
		}
	}
	printf("sweep %s: %u points (%u done before), %u images each, %u at a time; "
	       "%u chip images to map\n", s->path, s->n_points, s->n_points - n, s->images,
	       jobs, n_maps);
	fflush(stdout);
	spk_tmpfile_signal_hook(stop_children);
	failed = 0;
	if (n_maps > 0) {
		pr.total = n_maps;
		failed = run_pool(s, dir, TASK_MAP, maps, n_maps, jobs < n_maps ? jobs : n_maps, 1,
				  map_done, &pr);
	}
	if (failed == 0 && n > 0) {
		/* Spare CPUs go to the points' own segments. */
		sim_jobs = n < jobs ? jobs / n : 1;
		pr.done = 0;
		pr.total = n;
		failed = run_pool(s, dir, TASK_POINT, pending, n, jobs < n ? jobs : n, sim_jobs,
				  point_done, &pr);
	}
	free(pending);
	free(maps);
	free(keys);
	return failed > 0 ? SPK_EXIT_FAIL : SPK_EXIT_OK;
}

/* ---- backends -------------------------------------------------------------------------------- */

/* s with every "'" escaped for a single-quoted shell word. */
static void shq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		spk_fmt(buf, len, "spikechip");
	else
		buf[n] = '\0';
}

/* "spikechip sweep SPEC --out DIR" as a shell command prefix. */
static void command_prefix(FILE *f, const char *self, const struct spk_sweep_spec *s,
			   const char *dir)
{
	shq(f, self);
	fputs(" sweep ", f);
	shq(f, s->path);
	fputs(" --out ", f);
	shq(f, dir);
}

static void pareto_arg(FILE *f, const char *pareto)
{
	if (pareto != NULL) {
		fputs(" --pareto ", f);
		shq(f, pareto);
	}
}

/* A script or job file being written: text in memory, then to DIR/NAME at once. */
struct script {
	FILE *f;
	char *text;
	size_t len;
};

static FILE *script_open(struct script *sc)
{
	sc->text = NULL;
	sc->len = 0;
	sc->f = open_memstream(&sc->text, &sc->len);
	if (sc->f == NULL)
		spk_error("sweep: out of memory");
	return sc->f;
}

/* Writes the script to DIR/NAME atomically (executable if exec); 0, or -1 with the message. */
static int script_commit(struct script *sc, const char *dir, const char *name, bool exec)
{
	char path[PATH_MAX + 64], err[ERRLEN];
	int rc = 0;

	fclose(sc->f);
	spk_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (spk_outfile_write(path, sc->text, sc->len, err, sizeof(err)) < 0) {
		spk_error("sweep: %s", err);
		rc = -1;
	} else if (exec && chmod(path, 0755) != 0) {
		spk_error("sweep: %s: cannot make executable: %s", path, strerror(errno));
		rc = -1;
	}
	free(sc->text);
	return rc;
}

static int emit_parallel(const struct spk_sweep_spec *s, const char *dir, const char *pareto)
{
	char self[PATH_MAX];
	struct script sc;
	FILE *f;

	self_path(self, sizeof(self));
	if ((f = script_open(&sc)) == NULL)
		return SPK_EXIT_FAIL;
	for (uint32_t k = 0; k < s->n_points; k++) {
		command_prefix(f, self, s, dir);
		fprintf(f, " --point %u\n", k);
	}
	if (script_commit(&sc, dir, "parallel.jobs", false) < 0 || (f = script_open(&sc)) == NULL)
		return SPK_EXIT_FAIL;
	fprintf(f, "#!/bin/sh\n"
		"# Written by spikechip sweep --emit parallel: runs every point of the sweep with\n"
		"# GNU parallel (JOBS at a time, default one per CPU), then merges the results.\n"
		"# A point already done returns at once, so this may be run again after a stop.\n"
		"set -e\n"
		"parallel --jobs \"${JOBS:-100%%}\" --joblog ");
	shq(f, dir);
	fputs("/parallel.log < ", f);
	shq(f, dir);
	fputs("/parallel.jobs\nexec ", f);
	command_prefix(f, self, s, dir);
	fputs(" --merge", f);
	pareto_arg(f, pareto);
	fputc('\n', f);
	if (script_commit(&sc, dir, "run-parallel.sh", true) < 0)
		return SPK_EXIT_FAIL;
	printf("wrote %s/parallel.jobs (%u points) and %s/run-parallel.sh; run:\n"
	       "  %s/run-parallel.sh          (or: parallel < %s/parallel.jobs, then --merge)\n",
	       dir, s->n_points, dir, dir, dir);
	return SPK_EXIT_OK;
}

static void sbatch_header(FILE *f, const char *name, const char *const *opts, size_t n_opts)
{
	fprintf(f, "#!/bin/sh\n#SBATCH --job-name=%s\n", name);
	for (size_t i = 0; i < n_opts; i++)
		fprintf(f, "#SBATCH %s\n", opts[i]);
}

static int emit_slurm(const struct spk_sweep_spec *s, const char *dir, const char *pareto,
		      const char *const *opts, size_t n_opts)
{
	char self[PATH_MAX], sdir[PATH_MAX + 16], err[ERRLEN];
	uint32_t tasks = s->n_points < SLURM_MAX_ARRAY ? s->n_points : SLURM_MAX_ARRAY;
	uint32_t per_task = (s->n_points + tasks - 1) / tasks;
	uint64_t rss, mem_mb;
	double spi, task_s;
	unsigned minutes;
	struct script sc;
	FILE *f;

	printf("sweep: estimating a point's memory and time (one image per chip image)...\n");
	fflush(stdout);
	if (spk_sweep_estimate(s, dir, &rss, &spi, err, sizeof(err)) < 0) {
		spk_error("sweep: %s", err);
		return SPK_EXIT_FAIL;
	}
	/* Margins: memory 1.5x + 64 MiB; time 2x the images at the measured rate + 2 minutes. */
	mem_mb = (rss * 3 / 2) / (1024 * 1024) + 64;
	task_s = per_task * (2.0 * s->images * spi + 120);
	minutes = (unsigned)ceil(task_s / 60);
	spk_fmt(sdir, sizeof(sdir), "%s/slurm", dir);
	if (mkdir(sdir, 0777) != 0 && errno != EEXIST) {
		spk_error("sweep: %s: cannot create: %s", sdir, strerror(errno));
		return SPK_EXIT_FAIL;
	}
	self_path(self, sizeof(self));

	if ((f = script_open(&sc)) == NULL)
		return SPK_EXIT_FAIL;
	sbatch_header(f, "spikechip-sweep", opts, n_opts);
	fprintf(f, "#SBATCH --array=0-%u\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
		"#SBATCH --mem=%lluM\n#SBATCH --time=%u\n#SBATCH --output=%s/task-%%a.out\n"
		"# Written by spikechip sweep --emit slurm. Task I runs points I, I+%u, ... (%u "
		"each at most).\n# Measured: %.1f MiB peak and %.2f s for one image; %u images "
		"per point.\n", tasks - 1, (unsigned long long)mem_mb, minutes, sdir, tasks,
		per_task, rss / 1048576.0, spi, s->images);
	fputs("exec ", f);
	command_prefix(f, self, s, dir);
	fprintf(f, " --task \"$SLURM_ARRAY_TASK_ID\" --tasks %u\n", tasks);
	if (script_commit(&sc, sdir, "points.sbatch", false) < 0 || (f = script_open(&sc)) == NULL)
		return SPK_EXIT_FAIL;
	sbatch_header(f, "spikechip-sweep-merge", opts, n_opts);
	fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --mem=512M\n#SBATCH --time=30\n"
		"#SBATCH --output=%s/merge.out\nexec ", sdir);
	command_prefix(f, self, s, dir);
	fputs(" --merge", f);
	pareto_arg(f, pareto);
	fputc('\n', f);
	if (script_commit(&sc, sdir, "merge.sbatch", false) < 0 || (f = script_open(&sc)) == NULL)
		return SPK_EXIT_FAIL;
	fputs("#!/bin/sh\n"
	      "# Written by spikechip sweep --emit slurm: submits the points (an array job) and\n"
	      "# the merge, which runs after the array whatever its tasks' end (afterany).\n"
	      "set -e\ncd ", f);
	shq(f, sdir);
	fputs("\narray=$(sbatch --parsable points.sbatch)\n"
	      "array=${array%%;*}\n"
	      "merge=$(sbatch --parsable --dependency=afterany:\"$array\" merge.sbatch)\n"
	      "echo \"submitted: points as job $array, the merge as job ${merge%%;*}\"\n", f);
	if (script_commit(&sc, sdir, "submit.sh", true) < 0)
		return SPK_EXIT_FAIL;
	printf("wrote %s/points.sbatch (%u tasks, %llu MiB, %u min each), merge.sbatch and "
	       "submit.sh; run:\n  %s/submit.sh\n", sdir, tasks, (unsigned long long)mem_mb,
	       minutes, sdir);
	return SPK_EXIT_OK;
}

/* ---- options --------------------------------------------------------------------------------- */

static int parse_pareto(const char *arg, enum spk_sweep_objective *obj, uint32_t *n)
{
	static const char *const names[SPK_OBJ_COUNT] = { "energy", "latency", "accuracy",
							   "area" };
	char buf[256], *tok, *save = NULL;

	*n = 0;
	spk_fmt(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < SPK_OBJ_COUNT; i++)
			if (strcmp(tok, names[i]) == 0)
				break;
		if (i == SPK_OBJ_COUNT) {
			spk_error("sweep: --pareto: '%s' is not an objective; they are energy, "
				  "latency, accuracy, area", tok);
			return -1;
		}
		for (uint32_t j = 0; j < *n; j++)
			if (obj[j] == (enum spk_sweep_objective)i) {
				spk_error("sweep: --pareto: '%s' is given twice", tok);
				return -1;
			}
		obj[(*n)++] = (enum spk_sweep_objective)i;
	}
	if (*n < 2) {
		spk_error("sweep: --pareto: give at least two objectives, e.g. energy,latency");
		return -1;
	}
	return 0;
}

int spk_sweep_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "pareto", required_argument, NULL, 'p' },
		{ "list", no_argument, NULL, 'l' },
		{ "point", required_argument, NULL, 'k' },
		{ "task", required_argument, NULL, 'i' },
		{ "tasks", required_argument, NULL, 't' },
		{ "merge", no_argument, NULL, 'm' },
		{ "emit", required_argument, NULL, 'e' },
		{ "slurm-option", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum spk_sweep_objective obj[SPK_OBJ_COUNT];
	const char *out = NULL, *emit = NULL, *pareto = NULL, *slurm_opts[32];
	char err[ERRLEN], dir[PATH_MAX], spec_path[PATH_MAX];
	long online = sysconf(_SC_NPROCESSORS_ONLN), v;
	long point = -1, task = -1, tasks = -1;
	uint32_t jobs = online < 1 ? 1 : online > 1024 ? 1024 : (uint32_t)online, n_obj = 0;
	size_t n_slurm = 0;
	bool list = false, merge = false;
	struct spk_sweep_spec *s;
	int c, rc, missing;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'j':
			if (spk_parse_long(optarg, 1, 1024, &v) != 0) {
				spk_error("sweep: --jobs '%s': expected 1..1024", optarg);
				return SPK_EXIT_USAGE;
			}
			jobs = (uint32_t)v;
			break;
		case 'p':
			if (parse_pareto(optarg, obj, &n_obj) < 0)
				return SPK_EXIT_USAGE;
			pareto = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'k':
		case 'i':
		case 't':
			if (spk_parse_long(optarg, c == 't' ? 1 : 0, SPK_SWEEP_MAX_POINTS, &v) != 0) {
				spk_error("sweep: --%s '%s': expected an integer in %d..%u",
					  c == 'k' ? "point" : c == 'i' ? "task" : "tasks", optarg,
					  c == 't', SPK_SWEEP_MAX_POINTS);
				return SPK_EXIT_USAGE;
			}
			*(c == 'k' ? &point : c == 'i' ? &task : &tasks) = v;
			break;
		case 'm':
			merge = true;
			break;
		case 'e':
			if (strcmp(optarg, "parallel") != 0 && strcmp(optarg, "slurm") != 0) {
				spk_error("sweep: --emit '%s': expected parallel or slurm", optarg);
				return SPK_EXIT_USAGE;
			}
			emit = optarg;
			break;
		case 's':
			if (n_slurm == sizeof(slurm_opts) / sizeof(slurm_opts[0])) {
				spk_error("sweep: --slurm-option: at most 32");
				return SPK_EXIT_USAGE;
			}
			if (strchr(optarg, '\n') != NULL || optarg[0] != '-') {
				spk_error("sweep: --slurm-option '%s': expected one sbatch option, "
					  "e.g. --partition=batch", optarg);
				return SPK_EXIT_USAGE;
			}
			slurm_opts[n_slurm++] = optarg;
			break;
		case 'h':
			sweep_usage(stdout);
			return SPK_EXIT_OK;
		default:
			return spk_opt_fail("sweep", c, argv[optind - 1]);
		}
	}
	if (optind == argc) {
		spk_error("sweep: missing the sweep file; see 'spikechip sweep --help'");
		return SPK_EXIT_USAGE;
	}
	if (optind + 1 < argc)
		return spk_opt_extra("sweep", argv[optind + 1]);
	if ((task >= 0) != (tasks >= 0)) {
		spk_error("sweep: --task and --tasks go together");
		return SPK_EXIT_USAGE;
	}
	if ((point >= 0) + (task >= 0) + merge + (emit != NULL) + list > 1) {
		spk_error("sweep: --list, --point, --task, --merge and --emit exclude each other");
		return SPK_EXIT_USAGE;
	}
	if (task >= tasks && tasks > 0) {
		spk_error("sweep: --task %ld: expected 0..%ld (--tasks %ld)", task, tasks - 1, tasks);
		return SPK_EXIT_USAGE;
	}
	if (n_slurm > 0 && (emit == NULL || strcmp(emit, "slurm") != 0)) {
		spk_error("sweep: --slurm-option goes with --emit slurm");
		return SPK_EXIT_USAGE;
	}
	if (!list && out == NULL) {
		spk_error("sweep: missing --out DIR");
		return SPK_EXIT_USAGE;
	}
	/* Absolute paths: tasks of a backend may start elsewhere. */
	if (realpath(argv[optind], spec_path) == NULL) {
		spk_error("sweep: %s: cannot open: %s", argv[optind], strerror(errno));
		return SPK_EXIT_USAGE;
	}
	s = spk_sweep_spec_load(spec_path, err, sizeof(err));
	if (s == NULL) {
		spk_error("sweep: %s", err);
		return SPK_EXIT_USAGE;
	}
	if (point >= s->n_points) {
		spk_error("sweep: --point %ld: the sweep has points 0..%u", point, s->n_points - 1);
		spk_sweep_spec_free(s);
		return SPK_EXIT_USAGE;
	}
	if (list) {
		printf("sweep %s: %u points%s (grid %llu), %u images each, base %s\n", s->path,
		       s->n_points, s->sample > 0 ? " drawn" : "", (unsigned long long)s->grid,
		       s->images, s->arch);
		for (uint32_t k = 0; k < s->n_points; k++) {
			struct spk_arch a;
			char label[2048], why[1024];

			spk_sweep_point_label(s, k, label, sizeof(label));
			rc = spk_sweep_point_arch(s, k, &a, why, sizeof(why));
			printf("%5u  %s", k, label);
			if (rc < 0)
				printf("  [invalid: %s]", why);
			printf("\n");
		}
		spk_sweep_spec_free(s);
		return SPK_EXIT_OK;
	}
	if (spk_sweep_prepare_dir(s, out, err, sizeof(err)) < 0) {
		spk_error("sweep: %s", err);
		spk_sweep_spec_free(s);
		return SPK_EXIT_USAGE;
	}
	if (realpath(out, dir) == NULL) {
		spk_error("sweep: %s: %s", out, strerror(errno));
		spk_sweep_spec_free(s);
		return SPK_EXIT_FAIL;
	}

	rc = SPK_EXIT_OK;
	if (point >= 0 || task >= 0) {
		for (long k = point >= 0 ? point : task; k < (long)s->n_points;
		     k += point >= 0 ? (long)s->n_points : tasks) {
			char label[1024], sum[2048];

			if (spk_sweep_run_point(s, dir, (uint32_t)k, 1, err, sizeof(err)) < 0) {
				spk_error("sweep: point %ld: %s", k, err);
				rc = SPK_EXIT_FAIL;
				continue;
			}
			spk_sweep_point_label(s, (uint32_t)k, label, sizeof(label));
			spk_sweep_point_summary(dir, (uint32_t)k, sum, sizeof(sum));
			printf("point %ld %s: %s\n", k, label, sum);
		}
	} else if (emit != NULL) {
		rc = strcmp(emit, "parallel") == 0 ? emit_parallel(s, dir, pareto) :
		     emit_slurm(s, dir, pareto, slurm_opts, n_slurm);
	} else {
		if (!merge)
			rc = run_local(s, dir, jobs);
		missing = spk_sweep_merge(s, dir, obj, n_obj, false, err, sizeof(err));
		if (missing < 0) {
			spk_error("sweep: %s", err);
			rc = SPK_EXIT_FAIL;
		} else if (missing > 0) {
			spk_error("sweep: %d of %u points are missing from %s; run the sweep (or "
				  "the missing tasks) again", missing, s->n_points, dir);
			rc = SPK_EXIT_FAIL;
		}
	}
	spk_sweep_spec_free(s);
	return rc;
}
