/*
 * rtl_area.c — the network's area by yosys, cached (see rtl_area.h).
 *
 * The RTL sources and rtl/area.sh are found through spk_data_path() (the installed copies under
 * the package data directory, else the source tree), yosys as configure found it (SPK_YOSYS).
 */
#include "config.h"

#include "rtl/rtl_area.h"
#include "rtl/rtl_params.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char *const sources[] = {
	"rtl/router_buffer.sv", "rtl/router_arbiter.sv", "rtl/router.sv", "rtl/ni.sv", "rtl/area.sh",
};
#define N_SOURCES (sizeof(sources) / sizeof(sources[0]))

/* The cache directory, created if missing; -1 without HOME and XDG_CACHE_HOME. */
static int cache_dir(char *buf, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	char base[PATH_MAX];

	int n;

	if (x != NULL && *x != '\0')
		n = snprintf(base, sizeof(base), "%s", x);
	else if (h != NULL && *h != '\0')
		n = snprintf(base, sizeof(base), "%s/.cache", h);
	else
		return -1;
	if (n < 0 || (size_t)n >= sizeof(base) || (mkdir(base, 0755) < 0 && errno != EEXIST))
		return -1;
	n = snprintf(buf, len, "%s/spikechip", base);
	if (n < 0 || (size_t)n >= len || (mkdir(buf, 0755) < 0 && errno != EEXIST))
		return -1;
	return 0;
}

static int parse(FILE *f, struct spk_rtl_area *out)
{
	char line[256], name[64], block[64];
	unsigned long cells;
	double eq, um2;
	int got = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %63s %lu %lf %lf", name, block, &cells, &eq, &um2) != 5)
			continue;
		if (strcmp(block, "router") == 0) {
			out->router_cells = cells;
			out->router_nand2 = eq;
			out->router_um2 = um2;
			got |= 1;
		} else if (strcmp(block, "ni") == 0) {
			out->ni_cells = cells;
			out->ni_nand2 = eq;
			out->ni_um2 = um2;
			got |= 2;
		}
	}
	return got == 3 ? 0 : -1;
}

int spk_rtl_area(const struct spk_arch *a, struct spk_rtl_area *out, char *err, size_t errlen)
{
	struct spk_rtl_params p;
	char why[512], src[N_SOURCES][PATH_MAX], cache[PATH_MAX], cfile[PATH_MAX + 32];
	char tmp[] = "/tmp/spikechip-area.XXXXXX", pkgdir[PATH_MAX], pkg[PATH_MAX + 32];
	char cmd[4 * PATH_MAX], rtldir[PATH_MAX], *slash;
	uint32_t crc = 0;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f, *mem;
	int rc = -EIO, have_cache;

	memset(out, 0, sizeof(*out));
	if (spk_rtl_params_from_arch(&p, a, 0, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "the RTL does not support this architecture: %s", why);
		return -EINVAL;
	}
	for (size_t i = 0; i < N_SOURCES; i++)
		if (spk_data_path(sources[i], src[i], sizeof(src[i])) < 0 ||
		    spk_file_crc32(src[i], &crc, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: cannot read the RTL source", src[i]);
			return -ENOENT;
		}
	mem = open_memstream(&text, &tlen);
	if (mem == NULL || spk_rtl_params_write_pkg(mem, &p, "the architecture") < 0) {
		if (mem != NULL)
			fclose(mem);
		free(text);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fclose(mem);
	crc = (uint32_t)crc32(crc, (const Bytef *)text, (uInt)tlen);
	have_cache = cache_dir(cache, sizeof(cache)) == 0;
	if (have_cache) {
		snprintf(cfile, sizeof(cfile), "%s/area-%08lx.txt", cache, (unsigned long)crc);
		f = fopen(cfile, "r");
		if (f != NULL) {
			rc = parse(f, out);
			fclose(f);
			if (rc == 0) {
				out->cached = 1;
				free(text);
				return 0;
			}
		}
	}
	/* synthesise: the package in tmp/arch/spk_noc_pkg.sv, area.sh over it */
	if (mkdtemp(tmp) == NULL) {
		snprintf(err, errlen, "cannot create a temporary directory: %s", strerror(errno));
		free(text);
		return -EIO;
	}
	snprintf(pkgdir, sizeof(pkgdir), "%s/arch", tmp);
	snprintf(pkg, sizeof(pkg), "%s/spk_noc_pkg.sv", pkgdir);
	f = mkdir(pkgdir, 0700) == 0 ? fopen(pkg, "w") : NULL;
	if (f == NULL || fwrite(text, 1, tlen, f) != tlen) {
		snprintf(err, errlen, "%s: cannot write the package", pkg);
		if (f != NULL)
			fclose(f);
		goto out_rm;
	}
	fclose(f);
	snprintf(rtldir, sizeof(rtldir), "%s", src[0]);
	slash = strrchr(rtldir, '/');
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' '%s' '%s' arch 2>&1", src[N_SOURCES - 1], SPK_YOSYS,
		 rtldir, tmp);
	f = popen(cmd, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot run %s: %s", SPK_YOSYS, strerror(errno));
		goto out_rm;
	}
	rc = parse(f, out);
	if (pclose(f) != 0 || rc < 0) {
		snprintf(err, errlen, "synthesis with %s failed (run 'make area' to see its output)",
			 SPK_YOSYS);
		rc = -EIO;
		goto out_rm;
	}
	if (have_cache) {
		char part[PATH_MAX + 64];

		/* written whole, then renamed: a reader never sees half a result */
		snprintf(part, sizeof(part), "%s.tmp.%ld", cfile, (long)getpid());
		f = fopen(part, "w");
		if (f != NULL) {
			fprintf(f, "preset block cells nand2_eq area_um2\n"
				   "arch router %lu %.0f %.1f\narch ni %lu %.0f %.1f\n",
				out->router_cells, out->router_nand2, out->router_um2, out->ni_cells,
				out->ni_nand2, out->ni_um2);
			if (fclose(f) != 0 || rename(part, cfile) != 0)
				(void)unlink(part);
		}
	}
	rc = 0;
out_rm:
	(void)unlink(pkg);
	(void)rmdir(pkgdir);
	(void)rmdir(tmp);
	free(text);
	return rc;
}
