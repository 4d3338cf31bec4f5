/*
 * bench_chip.c — `make bench`: how fast the native cycle-accurate chip simulation runs, against
 * the integer reference inference on the same images (doc/performance.md).
 *
 * It compiles the model onto the `default` chip (spikechip map, not timed), runs
 * `spikechip ref --model M --images N`, `spikechip sim IMAGE --images N` (native engine) and
 * `spikechip sim IMAGE --images N --engine systemc`, each as a child process, and reads their
 * JSON reports: SOPs per image and each tool's own SOPs/s and seconds (model and data loading
 * excluded). From wait4() it takes each child's CPU time and peak resident memory. It prints
 * the reference's and both engines' SOPs/s, their ratios, seconds per image, and peak RSS, and
 * fails if the two engines disagree on the simulated cycles (they must be identical).
 *
 * usage: bench_chip SPIKECHIP SRCDIR [IMAGES]
 * The model is $SPK_BENCH_MODEL if set, else SRCDIR/models/fmnist_t4.spkm (the shipped model),
 * else the tiny test fixture (random weights: a note says so). IMAGES (default 20, or
 * $SPK_BENCH_IMAGES) are the first Fashion-MNIST test images. Scratch files go to $TMPDIR.
 * Exit status: 0, or 1 if a child failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct child_run {
	double wall_s;			/* process wall-clock time */
	double cpu_s;			/* user + system CPU time */
	long maxrss_kib;		/* peak resident set */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs argv with stdout to /dev/null; 0 if it exited 0. */
static int run(char *const argv[], struct child_run *res)
{
	struct rusage ru;
	double t0;
	int status;
	pid_t pid;

	fflush(stdout);
	t0 = now_s();
	pid = fork();

	if (pid < 0) {
		perror("bench_chip: fork");
		return -1;
	}
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("bench_chip: wait4");
		return -1;
	}
	res->wall_s = now_s() - t0;
	res->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
		     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	res->maxrss_kib = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_chip: %s failed (status %d)\n", argv[0], status);
		return -1;
	}
	return 0;
}

/* The number after "key": in a JSON file (top-level keys of the reports are unique). */
static int json_number(const char *path, const char *key, double *v)
{
	FILE *f = fopen(path, "r");
	char pat[128], *buf, *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "bench_chip: cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	fclose(f);
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(buf, pat);
	if (p == NULL) {
		fprintf(stderr, "bench_chip: %s: no \"%s\"\n", path, key);
		free(buf);
		return -1;
	}
	*v = strtod(p + strlen(pat), NULL);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR"), *model = getenv("SPK_BENCH_MODEL");
	const char *env_images = getenv("SPK_BENCH_IMAGES");
	char shipped[4096], img[4096], ref_json[4096], sim_json[4096], sc_json[4096], nbuf[32];
	struct child_run rmap, rref, rsim, rsc;
	double ref_sops_s, ref_s, sim_sops_s, sim_s, sops_img, sim_sops_img;
	double sc_sops_s, sc_s, sim_lat, sc_lat;
	long images = 20;
	int rc = 1;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_chip SPIKECHIP SRCDIR [IMAGES]\n");
		return 2;
	}
	if (argc == 4)
		images = atol(argv[3]);
	else if (env_images != NULL)
		images = atol(env_images);
	if (images < 1)
		images = 1;
	if (tmp == NULL)
		tmp = "/tmp";
	if (model == NULL || *model == '\0') {
		snprintf(shipped, sizeof(shipped), "%s/models/fmnist_t4.spkm", argv[2]);
		if (access(shipped, R_OK) == 0) {
			model = shipped;
		} else {
			snprintf(shipped, sizeof(shipped),
				 "%s/tests/data/fixtures/tiny-fmnist-t2.spkm", argv[2]);
			model = shipped;
			printf("note: models/fmnist_t4.spkm not found: using the tiny test fixture "
			       "(random weights, T = 2); set SPK_BENCH_MODEL to bench another model\n");
		}
	}
	snprintf(img, sizeof(img), "%s/bench_chip.%ld.spki", tmp, (long)getpid());
	snprintf(ref_json, sizeof(ref_json), "%s/bench_chip.%ld.ref.json", tmp, (long)getpid());
	snprintf(sim_json, sizeof(sim_json), "%s/bench_chip.%ld.sim.json", tmp, (long)getpid());
	snprintf(sc_json, sizeof(sc_json), "%s/bench_chip.%ld.sc.json", tmp, (long)getpid());
	snprintf(nbuf, sizeof(nbuf), "%ld", images);

	char *map_argv[] = { argv[1], "map", "--model", (char *)model, "--arch", "default",
			     "--out", img, NULL };
	char *ref_argv[] = { argv[1], "ref", "--model", (char *)model, "--images", nbuf,
			     "--json", ref_json, NULL };
	char *sim_argv[] = { argv[1], "sim", img, "--images", nbuf, "--json", sim_json, NULL };
	char *sc_argv[] = { argv[1], "sim", img, "--images", nbuf, "--engine", "systemc",
			    "--json", sc_json, NULL };

	printf("chip simulation against the integer reference: %s, %ld images, default chip\n",
	       model, images);
	if (run(map_argv, &rmap) < 0 || run(ref_argv, &rref) < 0 || run(sim_argv, &rsim) < 0 ||
	    run(sc_argv, &rsc) < 0)
		goto out;
	if (json_number(ref_json, "sops_per_second", &ref_sops_s) < 0 ||
	    json_number(ref_json, "seconds", &ref_s) < 0 ||
	    json_number(ref_json, "sops_per_image", &sops_img) < 0 ||
	    json_number(sim_json, "sim_sops_per_s", &sim_sops_s) < 0 ||
	    json_number(sim_json, "sim_wall_s", &sim_s) < 0 ||
	    json_number(sim_json, "sops_per_image", &sim_sops_img) < 0 ||
	    json_number(sim_json, "latency_cycles_mean", &sim_lat) < 0 ||
	    json_number(sc_json, "sim_sops_per_s", &sc_sops_s) < 0 ||
	    json_number(sc_json, "sim_wall_s", &sc_s) < 0 ||
	    json_number(sc_json, "latency_cycles_mean", &sc_lat) < 0)
		goto out;
	if (sc_lat != sim_lat) {
		fprintf(stderr, "bench_chip: the engines disagree: mean latency %.17g (native) vs "
			"%.17g (systemc) cycles\n", sim_lat, sc_lat);
		goto out;
	}
	/* SOPs/s and s/image: the tools' own figures (wall clock of the run, loading excluded);
	 * process wall and CPU seconds include loading (CPU < wall: the machine is shared). */
	printf("%-12s %12s %10s %14s %10s %12s\n", "", "SOPs/s", "s/image", "process wall s",
	       "CPU s", "peak RSS");
	printf("%-12s %12.4g %10.4f %14.2f %10.2f %8.1f MiB\n", "reference", ref_sops_s,
	       ref_s / images, rref.wall_s, rref.cpu_s, rref.maxrss_kib / 1024.0);
	printf("%-12s %12.4g %10.4f %14.2f %10.2f %8.1f MiB\n", "sim", sim_sops_s,
	       sim_s / images, rsim.wall_s, rsim.cpu_s, rsim.maxrss_kib / 1024.0);
	printf("%-12s %12.4g %10.4f %14.2f %10.2f %8.1f MiB\n", "sim systemc", sc_sops_s,
	       sc_s / images, rsc.wall_s, rsc.cpu_s, rsc.maxrss_kib / 1024.0);
	printf("sim / reference SOPs/s: %.4f (target >= 0.333); %.4g SOPs per image "
	       "(reference %.4g)\n", sim_sops_s / ref_sops_s, sim_sops_img, sops_img);
	printf("systemc engine / reference SOPs/s: %.4f; systemc / native: %.3f (same cycles: "
	       "mean latency %.1f)\n", sc_sops_s / ref_sops_s, sc_sops_s / sim_sops_s, sim_lat);
	printf("10,000 images in 2 processes at this speed: %.1f min\n",
	       sim_s / images * 10000 / 2 / 60);
	rc = 0;
out:
	unlink(img);
	unlink(ref_json);
	unlink(sim_json);
	unlink(sc_json);
	return rc;
}
