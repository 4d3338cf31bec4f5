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
#include <stdbool.h>
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

/* ---- the whole chip ---------------------------------------------------------------------- */

const char *const spk_area_memory_names[SPK_AREA_MEMORIES] = {
	[SPK_MEM_SYNAPSE] = "synapse memory",
	[SPK_MEM_NEURON] = "neuron memory",
	[SPK_MEM_ROUTES] = "routing table",
	[SPK_MEM_KV] = "KV counters",
	[SPK_MEM_ENC_WEIGHTS] = "encoder weights",
};

/*
 * Reads the units' logic from rtl/unit_logic.txt: lines "KIND LABEL CELLS NAND2 NOTE...", NAND2
 * "-" for a unit not synthesised (NOTE says why). Returns 0 or -1 with err.
 */
static int read_unit_logic(struct spk_chip_area *out, char *err, size_t errlen)
{
	char path[PATH_MAX], line[512];
	bool seen[SPK_AREA_BLOCKS] = { false };
	FILE *f;
	int lineno = 0;

	if (spk_data_path("rtl/unit_logic.txt", path, sizeof(path)) < 0 ||
	    (f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "rtl/unit_logic.txt: cannot read the units' logic figures");
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char kind[32], label[64], cells[32], nand2[32];
		int n = 0, b;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%31s %63s %31s %31s %n", kind, label, cells, nand2, &n) != 4) {
			snprintf(err, errlen, "%s:%d: expected KIND LABEL CELLS NAND2 NOTE", path,
				 lineno);
			fclose(f);
			return -1;
		}
		for (b = 0; b < SPK_AREA_NETWORK; b++)
			if (strcmp(kind, out->block[b].key) == 0)
				break;
		if (b == SPK_AREA_NETWORK || seen[b]) {
			snprintf(err, errlen, "%s:%d: '%s' is %s", path, lineno, kind,
				 b == SPK_AREA_NETWORK ? "not a unit (core, attn, encoder, readout)"
						       : "given twice");
			fclose(f);
			return -1;
		}
		seen[b] = true;
		if (strcmp(nand2, "-") == 0) {
			out->block[b].logic_nand2 = -1;
			snprintf(out->block[b].logic_from, sizeof(out->block[b].logic_from), "%s",
				 line + n);
		} else {
			char *end;

			out->block[b].logic_nand2 = strtod(nand2, &end);
			if (*end != '\0' || out->block[b].logic_nand2 < 0) {
				snprintf(err, errlen, "%s:%d: '%s' is not a NAND2 count", path,
					 lineno, nand2);
				fclose(f);
				return -1;
			}
			snprintf(out->block[b].logic_from, sizeof(out->block[b].logic_from),
				 "yosys, %s (%s cells): %s", label, cells, line + n);
		}
	}
	fclose(f);
	for (int b = 0; b < SPK_AREA_NETWORK; b++)
		if (!seen[b]) {
			snprintf(err, errlen, "%s: no line for the %s", path, out->block[b].name);
			return -1;
		}
	return 0;
}

int spk_chip_area(const struct spk_arch *a, struct spk_chip_area *out, char *err, size_t errlen)
{
	static const char *const names[SPK_AREA_BLOCKS] = {
		"synapse core", "attention unit", "encoder", "readout", "router and NI",
	};
	static const char *const keys[SPK_AREA_BLOCKS] = {
		"core", "attn", "encoder", "readout", "network",
	};
	struct spk_arch_totals t;
	double kib = 8192.0;	/* bits per KiB */
	int rc;

	memset(out, 0, sizeof(*out));
	spk_arch_get_totals(a, &t);
	for (int b = 0; b < SPK_AREA_BLOCKS; b++) {
		out->block[b].name = names[b];
		out->block[b].key = keys[b];
	}
	out->block[SPK_AREA_CORE].count = t.synapse_cores;
	out->block[SPK_AREA_ATTN].count = a->attention.units;
	out->block[SPK_AREA_ENCODER].count = a->encoder.units;
	out->block[SPK_AREA_READOUT].count = a->chip.readout_units;
	out->block[SPK_AREA_NETWORK].count = t.tiles;

	/* memory: what the architecture names; a routing entry builds one packet header (a flit) */
	out->memory_bits[SPK_MEM_SYNAPSE] = a->core.synapse_kib * kib;
	out->memory_bits[SPK_MEM_NEURON] = (double)a->core.neurons * a->core.membrane_bits;
	out->memory_bits[SPK_MEM_ROUTES] = (double)a->core.route_entries * a->noc.flit_bits;
	out->memory_bits[SPK_MEM_KV] = a->attention.kv_kib * kib;
	out->memory_bits[SPK_MEM_ENC_WEIGHTS] = a->encoder.weight_kib * kib;
	out->block[SPK_AREA_CORE].sram_bits = out->memory_bits[SPK_MEM_SYNAPSE] +
		out->memory_bits[SPK_MEM_NEURON] + out->memory_bits[SPK_MEM_ROUTES];
	out->block[SPK_AREA_ATTN].sram_bits = out->memory_bits[SPK_MEM_KV];
	out->block[SPK_AREA_ENCODER].sram_bits = out->memory_bits[SPK_MEM_ENC_WEIGHTS];

	/* logic: the units' recorded syntheses, the network's for this architecture */
	if (read_unit_logic(out, err, errlen) < 0)
		return -EINVAL;
	rc = spk_rtl_area(a, &out->network, err, errlen);
	if (rc < 0)
		return rc;
	out->block[SPK_AREA_NETWORK].logic_nand2 = out->network.router_nand2 + out->network.ni_nand2;
	snprintf(out->block[SPK_AREA_NETWORK].logic_from,
		 sizeof(out->block[SPK_AREA_NETWORK].logic_from),
		 "yosys, this architecture: router %.0f + NI %.0f NAND2 eq.%s",
		 out->network.router_nand2, out->network.ni_nand2,
		 out->network.cached ? " (cached)" : "");

	for (int b = 0; b < SPK_AREA_BLOCKS; b++) {
		struct spk_area_block_figures *k = &out->block[b];

		k->sram_um2 = k->sram_bits * a->area.sram_um2_per_bit;
		k->logic_um2 = k->logic_nand2 >= 0 ? k->logic_nand2 * a->area.nand2_um2 : 0;
		if (k->logic_nand2 < 0 && k->count > 0)
			out->logic_unknown++;
		out->sram_mm2 += k->count * k->sram_um2 / 1e6;
		out->logic_mm2 += k->count * k->logic_um2 / 1e6;
	}
	out->total_mm2 = out->sram_mm2 + out->logic_mm2;
	return 0;
}

void spk_chip_area_json(struct spk_jsonw *j, const struct spk_arch *a,
			const struct spk_chip_area *ca)
{
	spk_jsonw_object(j);
	spk_jsonw_key_real(j, "total_mm2", ca->total_mm2);
	spk_jsonw_key_real(j, "memory_mm2", ca->sram_mm2);
	spk_jsonw_key_real(j, "logic_mm2", ca->logic_mm2);
	spk_jsonw_key_int(j, "blocks_without_logic", ca->logic_unknown);
	spk_jsonw_key_real(j, "nand2_um2", a->area.nand2_um2);
	spk_jsonw_key_real(j, "sram_um2_per_bit", a->area.sram_um2_per_bit);
	spk_jsonw_key_str(j, "source", a->area.source);
	spk_jsonw_key(j, "memory_bits");
	spk_jsonw_object(j);
	for (int m = 0; m < SPK_AREA_MEMORIES; m++)
		spk_jsonw_key_real(j, spk_area_memory_names[m], ca->memory_bits[m]);
	spk_jsonw_end(j);
	spk_jsonw_key(j, "blocks");
	spk_jsonw_object(j);
	for (int b = 0; b < SPK_AREA_BLOCKS; b++) {
		const struct spk_area_block_figures *k = &ca->block[b];

		spk_jsonw_key(j, k->key);
		spk_jsonw_object(j);
		spk_jsonw_key_str(j, "name", k->name);
		spk_jsonw_key_int(j, "count", k->count);
		spk_jsonw_key_real(j, "memory_bits", k->sram_bits);
		spk_jsonw_key_real(j, "memory_um2", k->sram_um2);
		if (k->logic_nand2 >= 0) {
			spk_jsonw_key_real(j, "logic_nand2", k->logic_nand2);
			spk_jsonw_key_real(j, "logic_um2", k->logic_um2);
		} else {
			spk_jsonw_key_null(j, "logic_nand2");
			spk_jsonw_key_null(j, "logic_um2");
		}
		spk_jsonw_key_str(j, "logic_from", k->logic_from);
		spk_jsonw_key_real(j, "all_mm2", k->count * (k->sram_um2 + k->logic_um2) / 1e6);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_end(j);
}
